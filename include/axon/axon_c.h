/* Axon's C API: load a model, ask for its inputs and outputs, run it on caller-owned buffers,
 * and train it. A thin layer over the C++ API (axon/axon.h) for C programs and for other
 * languages' foreign-function interfaces; it includes only C standard headers.
 *
 *   axon_session* s = NULL;
 *   if (axon_session_load("mlp.axon", NULL, &s) != AXON_OK) { puts(axon_last_error()); return 1; }
 *   int64_t dims[2] = {1, 784};
 *   axon_input x = {.data = pixels, .nbytes = sizeof pixels, .shape = dims, .rank = 2, .dtype = AXON_F32};
 *   float probs[10];
 *   axon_output y = {.data = probs, .capacity = sizeof probs};
 *   if (axon_session_run(s, &x, 1, &y, 1) != AXON_OK) puts(axon_last_error());
 *   axon_session_destroy(s);
 *
 * Errors: every call that can fail returns an axon_status; AXON_OK is 0. No C++ exception ever
 * crosses this API (out-of-memory included: AXON_OUT_OF_MEMORY). On failure, axon_last_error()
 * gives the message (naming the file, node, op or shapes involved); out-parameters are left as
 * they were unless a function says otherwise (a run that fails while running may have written
 * part of its output buffers).
 *
 * Ownership: handles are made by *_create / *_load and freed by the matching *_destroy, which
 * accepts NULL. Strings and arrays that a query returns (names, shapes) belong to the session and
 * stay valid until it is destroyed. Buffers passed in (model bytes, inputs, outputs) stay the
 * caller's: Axon reads model bytes only during the load call and inputs/outputs only during the
 * run call (a thread remembers the addresses of its last run's buffers, to recognize them when a
 * serving loop passes them again, but never touches them outside a call that passes them).
 *
 * Threads: a session may be run from several threads at once (each run gets its own working
 * memory); loading, querying and running never need a lock of the caller's. Destroying a session
 * while another thread uses it is the caller's error, as is using a handle after destroying it
 * (destroying it twice is caught: the second call is ignored and sets axon_last_error, as long
 * as no new handle got the same address in between). An axon_options or axon_training_session
 * is used by one thread at a time. axon_last_error() is per thread.
 */
#ifndef AXON_AXON_C_H_
#define AXON_AXON_C_H_

#include <stddef.h>
#include <stdint.h>

/* The C API stays exported when the library is built with hidden visibility. */
#if defined(_WIN32)
#define AXON_C_API
#elif defined(__GNUC__) || defined(__clang__)
#define AXON_C_API __attribute__((visibility("default")))
#else
#define AXON_C_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* What went wrong. The first eight mirror axon::ErrorCode. */
typedef enum axon_status {
  AXON_OK = 0,
  AXON_INVALID_ARGUMENT = 1, /* the caller passed something wrong: NULL, a name, shape, dtype, size */
  AXON_INVALID_MODEL = 2,    /* the graph breaks a rule (verifier, shape inference) */
  AXON_INVALID_FILE = 3,     /* a file is truncated, garbage or hostile */
  AXON_UNSUPPORTED = 4,      /* valid but not implemented (an op, a dtype, a file variant) */
  AXON_IO = 5,               /* the OS refused (open, read, write) */
  AXON_INTERNAL = 6,
  AXON_MEMORY_LIMIT = 7,     /* the run needs more than the session's memory limit */
  AXON_TRY_AGAIN = 8,        /* the session's concurrent runs hold the memory this run needs */
  AXON_OUT_OF_MEMORY = 9     /* an allocation failed */
} axon_status;

/* Element types; the values are axon::DType's. */
typedef enum axon_dtype {
  AXON_UNDEFINED = 0,
  AXON_F32 = 1,
  AXON_I64 = 2,
  AXON_BOOL = 3, /* one byte, 0 or 1 */
  AXON_I32 = 4,
  AXON_I8 = 5,
  AXON_U8 = 6
} axon_dtype;

typedef struct axon_options axon_options;
typedef struct axon_session axon_session;
typedef struct axon_training_session axon_training_session;

/* "0.1.0": the library's version, as `axon --version` prints it. */
AXON_C_API const char* axon_version(void);
/* "ok", "invalid argument", ...; "unknown" for a value not in axon_status. Never NULL. */
AXON_C_API const char* axon_status_name(axon_status status);
/* The message of this thread's last failed call: valid until this thread's next axon_* call;
 * "" when no call has failed yet. Never NULL. */
AXON_C_API const char* axon_last_error(void);
/* "f32", "i64", ...; "undefined" for anything else. Bytes per element: 0 for AXON_UNDEFINED. */
AXON_C_API const char* axon_dtype_name(axon_dtype dtype);
AXON_C_API size_t axon_dtype_size(axon_dtype dtype);

/* ---- Options for loading a session (axon::SessionOptions). NULL options mean the defaults. */
AXON_C_API axon_status axon_options_create(axon_options** out);
AXON_C_API void axon_options_destroy(axon_options* options);
/* Worker threads: 0 (default) = one per core; a larger number is capped at that. */
AXON_C_API axon_status axon_options_set_threads(axon_options* options, int threads);
/* 0 runs the graph as loaded, 1 cleans it up, 2 (default) also fuses ops. */
AXON_C_API axon_status axon_options_set_opt_level(axon_options* options, int opt_level);
/* Most bytes the session's runs may hold at once; 0 (default) = half the machine's memory. */
AXON_C_API axon_status axon_options_set_memory_limit(axon_options* options, int64_t bytes);

/* ---- Sessions: load, query, run. */
AXON_C_API axon_status axon_session_load(const char* path, const axon_options* options, axon_session** out);
/* An .axon (or, when libaxon_onnx is loaded, ONNX) model held in memory; the bytes are read
 * during this call only. */
AXON_C_API axon_status axon_session_load_from_memory(const void* data, size_t size, const axon_options* options,
                                                     axon_session** out);
AXON_C_API void axon_session_destroy(axon_session* session);

/* An input or output as the model declares it. Pointers belong to the session. */
typedef struct axon_tensor_info {
  const char* name;
  axon_dtype dtype;
  size_t rank;            /* dims in shape; 0 for a scalar or when has_rank is 0 */
  const int64_t* shape;   /* rank dims; -1 for a symbolic or unknown dim */
  const char* const* symbols; /* rank names: a symbolic dim's name ("batch"), else "" */
  int has_rank;           /* 0 when even the number of dims is unknown */
} axon_tensor_info;

AXON_C_API axon_status axon_session_input_count(const axon_session* session, size_t* count);
AXON_C_API axon_status axon_session_output_count(const axon_session* session, size_t* count);
AXON_C_API axon_status axon_session_input_info(const axon_session* session, size_t index, axon_tensor_info* info);
AXON_C_API axon_status axon_session_output_info(const axon_session* session, size_t index, axon_tensor_info* info);
/* The position of the input named `name` (AXON_INVALID_ARGUMENT listing the inputs if none). */
AXON_C_API axon_status axon_session_input_index(const axon_session* session, const char* name, size_t* index);
/* The worker threads the session uses. */
AXON_C_API axon_status axon_session_threads(const axon_session* session, int* threads);

/* A run's input: caller memory, read during the run only. nbytes must be the shape's element
 * count times the dtype's size; dtype and shape must match the model's input. */
typedef struct axon_input {
  const void* data;
  size_t nbytes;
  const int64_t* shape;
  size_t rank;
  axon_dtype dtype;
} axon_input;

/* A run's output: the caller gives `data` (capacity bytes, suitably aligned for the dtype) and,
 * optionally, `shape` (room for shape_capacity dims) to receive the output's dims; the run fills
 * dtype, rank and nbytes, also when it fails because capacity or shape_capacity is too small, so
 * that the caller can size its buffers and call again. */
typedef struct axon_output {
  void* data;
  size_t capacity;
  int64_t* shape;
  size_t shape_capacity;
  axon_dtype dtype; /* out */
  size_t rank;      /* out */
  size_t nbytes;    /* out: bytes of the output */
} axon_output;

/* Runs the model: inputs in the order of axon_session_input_info, outputs in the order of
 * axon_session_output_info, the counts exactly the model's. Writes each output into its buffer
 * (no copy: the kernels write there), which must not overlap an input. A run on the same session,
 * buffers and shapes as the last run on its thread allocates nothing. */
AXON_C_API axon_status axon_session_run(axon_session* session, const axon_input* inputs, size_t input_count,
                                        axon_output* outputs, size_t output_count);
/* What axon_session_run would write for these inputs, without running: fills each output's
 * dtype, rank, nbytes and (when given room) shape; data and capacity are ignored. */
AXON_C_API axon_status axon_session_output_shapes(axon_session* session, const axon_input* inputs,
                                                  size_t input_count, axon_output* outputs, size_t output_count);

/* ---- Training (axon::TrainingSession): one thread at a time per session. */
/* loss: "mse", "bce", "bce-logits", "ce" or "nll" (NULL: "mse"); optimizer: "sgd", "momentum",
 * "adam" or "adamw" (NULL: "sgd"); learning_rate finite and >= 0 (0 trains nothing, as in torch.optim
 * and the C++ and Python APIs). */
AXON_C_API axon_status axon_training_session_load(const char* path, const axon_options* options, const char* loss,
                                                  const char* optimizer, float learning_rate,
                                                  axon_training_session** out);
AXON_C_API void axon_training_session_destroy(axon_training_session* session);
/* The model's output, which feeds the loss (dtype and shape; -1 for the batch dim). */
AXON_C_API axon_status axon_training_session_output_info(const axon_training_session* session, axon_tensor_info* info);
/* What a step's labels must be (dtype and shape; -1 for the batch dim). */
AXON_C_API axon_status axon_training_session_labels_info(const axon_training_session* session, axon_tensor_info* info);
/* One optimizer step on a batch (the model's inputs in order, then the labels); *loss receives
 * the batch's loss. A NaN or infinite loss fails before the parameters change. */
AXON_C_API axon_status axon_training_session_step(axon_training_session* session, const axon_input* inputs,
                                                  size_t input_count, const axon_input* labels, float* loss);
/* A step in three phases, for data-parallel training that reduces gradients between them (as
 * axon::TrainingSession's ComputeGradients, gradients(), ApplyOptimizer):
 *   1. axon_training_session_compute_gradients: forward, loss (*loss, not checked) and backward;
 *   2. axon_training_session_gradient: each parameter's gradient, to read or overwrite in place
 *      (an all-reduce, clipping);
 *   3. axon_training_session_apply_optimizer: one optimizer step from those gradients.
 * axon_training_session_step does all three (and refuses a NaN or infinite loss). */
AXON_C_API axon_status axon_training_session_compute_gradients(axon_training_session* session, const axon_input* inputs,
                                                               size_t input_count, const axon_input* labels, float* loss);
/* The trainable parameters, whose gradients axon_training_session_gradient gives by index. */
AXON_C_API axon_status axon_training_session_parameter_count(const axon_training_session* session, size_t* count);
/* The gradient of parameter `index` from the last compute_gradients: *data points at its f32
 * values (*count of them, the parameter's elements in row-major order), which the caller may read
 * and overwrite in place before apply_optimizer; the memory belongs to the session and stays at
 * that address until it is destroyed (the next compute_gradients overwrites it). *name (optional:
 * NULL to skip) receives the parameter's name, valid as long as the session. Fails unless
 * compute_gradients ran since the last apply_optimizer or step. */
AXON_C_API axon_status axon_training_session_gradient(axon_training_session* session, size_t index, float** data,
                                                      size_t* count, const char** name);
/* One optimizer step from the gradients; fails unless compute_gradients ran since the last
 * apply_optimizer or step. */
AXON_C_API axon_status axon_training_session_apply_optimizer(axon_training_session* session);
/* The loss of the current parameters on a batch, changing nothing (no gradients, no step). */
AXON_C_API axon_status axon_training_session_evaluate(axon_training_session* session, const axon_input* inputs,
                                                      size_t input_count, const axon_input* labels, float* loss);
/* axon_training_session_evaluate that also writes the model's output on the batch (the
 * predictions the loss compared with the labels) into `output`, as axon_session_run fills an
 * axon_output: dtype, rank, nbytes and (given room) shape are filled also when the call fails
 * because capacity or shape_capacity is too small, so that the caller can size it and call again. */
AXON_C_API axon_status axon_training_session_evaluate_output(axon_training_session* session, const axon_input* inputs,
                                                             size_t input_count, const axon_input* labels, float* loss,
                                                             axon_output* output);
/* Optimizer steps taken so far. */
AXON_C_API axon_status axon_training_session_step_count(const axon_training_session* session, int64_t* steps);
/* Writes the trained model as an inference .axon file (atomically). */
AXON_C_API axon_status axon_training_session_save_model(const axon_training_session* session, const char* path);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* AXON_AXON_C_H_ */
