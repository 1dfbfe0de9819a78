/* Classifying with Axon's C API: load a model, run it on one input, print the class with the
 * highest score. Usage: classify MODEL.axon [INPUT.f32], where INPUT.f32 holds the model's first
 * input at batch 1 as raw little-endian float32 values (e.g. numpy's x.astype("<f4").tofile());
 * without it, the input is all ones. */
#include <axon/axon_c.h>

#include <stdio.h>
#include <stdlib.h>

static int fail(const char* what) {
  fprintf(stderr, "%s: %s\n", what, axon_last_error());
  return 1;
}

int main(int argc, char** argv) {
  if (argc != 2 && argc != 3) {
    fprintf(stderr, "usage: %s MODEL.axon [INPUT.f32]\n", argv[0]);
    return 2;
  }
  axon_session* session = NULL;
  if (axon_session_load(argv[1], NULL, &session) != AXON_OK) return fail("load");

  /* The input's shape as declared, with 1 for a symbolic dim (the batch). */
  axon_tensor_info info;
  if (axon_session_input_info(session, 0, &info) != AXON_OK) return fail("input");
  int64_t dims[8];
  size_t count = 1;
  if (info.rank > 8) return fprintf(stderr, "input rank %zu > 8\n", info.rank), 1;
  for (size_t d = 0; d < info.rank; ++d) {
    dims[d] = info.shape[d] < 0 ? 1 : info.shape[d];
    count *= (size_t)dims[d];
  }

  float* x = malloc(count * sizeof(float));
  if (!x) return fprintf(stderr, "out of memory\n"), 1;
  if (argc == 3) {
    FILE* f = fopen(argv[2], "rb");
    size_t got = f ? fread(x, sizeof(float), count, f) : 0;
    if (f) fclose(f);
    if (got != count) return fprintf(stderr, "%s: expected %zu float32 values\n", argv[2], count), 1;
  } else {
    for (size_t i = 0; i < count; ++i) x[i] = 1.0f;
  }

  axon_input input = {.data = x, .nbytes = count * sizeof(float), .shape = dims, .rank = info.rank, .dtype = AXON_F32};
  float scores[1000];
  int64_t out_dims[8];
  axon_output output = {.data = scores, .capacity = sizeof scores, .shape = out_dims, .shape_capacity = 8};
  if (axon_session_run(session, &input, 1, &output, 1) != AXON_OK) return fail("run");
  if (output.dtype != AXON_F32) return fprintf(stderr, "output is %s, not f32\n", axon_dtype_name(output.dtype)), 1;

  size_t classes = output.nbytes / sizeof(float), best = 0;
  for (size_t i = 1; i < classes; ++i)
    if (scores[i] > scores[best]) best = i;
  printf("class %zu (score %g of %zu classes)\n", best, scores[best], classes);
  free(x);
  axon_session_destroy(session);
  return 0;
}
