// The C API (include/axon/axon_c.h): results against hand-computed values, and hostile calls
// (NULL handles, wrong names, sizes, dtypes, counts, double destroy) that must fail with a status
// and a message, never a crash or an exception.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "axon/axon.h"
#include "axon/axon_c.h"
#include "formats/axon_format.h"
#include "graph/builder.h"
#include "tests/runtime/allocation_counter.h"
#include "tests/tools/cli_test_util.h"

using namespace axon;
using graph::Dim;
using graph::Shape;

namespace {

// Two inputs, two outputs: sum = a + b (b broadcast over the batch), pos = relu(a).
std::string AddReluModel() {
  graph::GraphBuilder b("add_relu");
  auto a = b.Input("a", DType::kF32, Shape({Dim::Symbol("batch"), 3}));
  auto bias = b.Input("b", DType::kF32, Shape({3}));
  b.Output(b.Op("Add", {a, bias}), "sum");
  b.Output(b.Op("Relu", {a}), "pos");
  graph::Model m;
  m.graph = b.Build();
  return formats::SerializeModel(m);
}

// y = x·Wᵀ with W = [1, -1]: one output, one trainable parameter.
std::string LinearModel() {
  graph::GraphBuilder b("linear");
  auto x = b.Input("x", DType::kF32, Shape({Dim::Symbol("batch"), 2}));
  auto w = b.Weight("w", Tensor::FromVector(std::vector<float>{1, -1}, {1, 2}));
  b.Output(b.Op("Gemm", {x, w}, {{"transB", int64_t{1}}}), "y");
  graph::Model m;
  m.graph = b.Build();
  return formats::SerializeModel(m);
}

// LinearModel() as dir/linear.axon; returns its path.
std::string WriteLinearModel(const std::filesystem::path& dir) {
  const std::string path = (dir / "linear.axon").string();
  const std::string bytes = LinearModel();
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path;
}

struct CSession {
  CSession() {
    const std::string bytes = AddReluModel();
    REQUIRE(axon_session_load_from_memory(bytes.data(), bytes.size(), nullptr, &s) == AXON_OK);
  }
  ~CSession() { axon_session_destroy(s); }
  axon_session* s = nullptr;
};

// The run's buffers for AddReluModel at batch 2; in and out point into the struct itself.
struct Run {
  Run() { Bind(); }
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;
  // Back to the state a new Run has, for the next hostile variation.
  void Reset() {
    std::destroy_at(this);
    std::construct_at(this);
  }
  void Bind() {
    in[0] = {a, sizeof a, a_dims, 2, AXON_F32};
    in[1] = {b, sizeof b, b_dims, 1, AXON_F32};
    out[0] = {sum, sizeof sum, sum_dims, 4, AXON_UNDEFINED, 0, 0};
    out[1] = {pos, sizeof pos, pos_dims, 4, AXON_UNDEFINED, 0, 0};
  }
  float a[6] = {1, -2, 3, -4, 5, -6};
  float b[3] = {10, 20, 30};
  int64_t a_dims[2] = {2, 3};
  int64_t b_dims[1] = {3};
  axon_input in[2];
  float sum[6] = {}, pos[6] = {};
  int64_t sum_dims[4] = {}, pos_dims[4] = {};
  axon_output out[2];
};

bool Contains(const char* haystack, const std::string& needle) {
  return std::string(haystack).find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("C API: version, names and sizes", "[bindings][c]") {
  CHECK(std::string(axon_version()) == axon::Version());
  CHECK(std::string(axon_status_name(AXON_OK)) == "ok");
  CHECK(std::string(axon_status_name(AXON_INVALID_FILE)) == "invalid file");
  CHECK(std::string(axon_status_name(AXON_OUT_OF_MEMORY)) == "out of memory");
  CHECK(std::string(axon_status_name(static_cast<axon_status>(77))) == "unknown");
  CHECK(std::string(axon_dtype_name(AXON_I64)) == "i64");
  CHECK(std::string(axon_dtype_name(static_cast<axon_dtype>(-3))) == "undefined");
  CHECK(axon_dtype_size(AXON_F32) == 4);
  CHECK(axon_dtype_size(AXON_BOOL) == 1);
  CHECK(axon_dtype_size(static_cast<axon_dtype>(99)) == 0);
}

TEST_CASE("C API: a session describes its inputs and outputs", "[bindings][c]") {
  CSession s;
  size_t n = 0;
  REQUIRE(axon_session_input_count(s.s, &n) == AXON_OK);
  CHECK(n == 2);
  REQUIRE(axon_session_output_count(s.s, &n) == AXON_OK);
  CHECK(n == 2);
  axon_tensor_info info;
  REQUIRE(axon_session_input_info(s.s, 0, &info) == AXON_OK);
  CHECK(std::string(info.name) == "a");
  CHECK(info.dtype == AXON_F32);
  REQUIRE(info.rank == 2);
  CHECK(info.shape[0] == -1);
  CHECK(info.shape[1] == 3);
  CHECK(std::string(info.symbols[0]) == "batch");
  CHECK(std::string(info.symbols[1]).empty());
  CHECK(info.has_rank == 1);
  REQUIRE(axon_session_output_info(s.s, 1, &info) == AXON_OK);
  CHECK(std::string(info.name) == "pos");
  size_t index = 9;
  REQUIRE(axon_session_input_index(s.s, "b", &index) == AXON_OK);
  CHECK(index == 1);
  int threads = 0;
  REQUIRE(axon_session_threads(s.s, &threads) == AXON_OK);
  CHECK(threads >= 1);
}

TEST_CASE("C API: a run writes into the caller's buffers", "[bindings][c]") {
  CSession s;
  Run r;
  REQUIRE(axon_session_run(s.s, r.in, 2, r.out, 2) == AXON_OK);
  const float sum[6] = {11, 18, 33, 6, 25, 24}, pos[6] = {1, 0, 3, 0, 5, 0};
  for (int i = 0; i < 6; ++i) {
    CHECK(r.sum[i] == sum[i]);
    CHECK(r.pos[i] == pos[i]);
  }
  CHECK(r.out[0].dtype == AXON_F32);
  CHECK(r.out[0].rank == 2);
  CHECK(r.out[0].nbytes == 24);
  CHECK(r.sum_dims[0] == 2);
  CHECK(r.sum_dims[1] == 3);

  // Output shapes without a run, for a batch of 1 (the dims change with the input's).
  r.a_dims[0] = 1;
  r.in[0].nbytes = 12;
  axon_output probe[2] = {};
  int64_t dims[2];
  probe[0].shape = dims;
  probe[0].shape_capacity = 2;
  REQUIRE(axon_session_output_shapes(s.s, r.in, 2, probe, 2) == AXON_OK);
  CHECK(probe[0].nbytes == 12);
  CHECK(dims[0] == 1);
  CHECK(probe[1].rank == 2);
}

TEST_CASE("C API: runs that reuse buffers see their new contents", "[bindings][c]") {
  // A thread's runs remember the last buffers and shapes (to skip making views again): changed
  // contents, other buffers, other shapes and another session in between must all still be seen.
  CSession s, other;
  Run r;
  REQUIRE(axon_session_run(s.s, r.in, 2, r.out, 2) == AXON_OK);
  r.a[0] = 100;
  r.b[2] = -30;
  REQUIRE(axon_session_run(s.s, r.in, 2, r.out, 2) == AXON_OK);
  CHECK(r.sum[0] == 110);
  CHECK(r.sum[5] == -36);
  CHECK(r.pos[0] == 100);

  float a2[3] = {7, 8, 9}, sum2[3] = {}, pos2[3] = {};
  int64_t a2_dims[2] = {1, 3};
  axon_input in2[2] = {{a2, sizeof a2, a2_dims, 2, AXON_F32}, r.in[1]};
  axon_output out2[2] = {{sum2, sizeof sum2, nullptr, 0, AXON_UNDEFINED, 0, 0},
                         {pos2, sizeof pos2, nullptr, 0, AXON_UNDEFINED, 0, 0}};
  REQUIRE(axon_session_run(other.s, in2, 2, out2, 2) == AXON_OK);  // another session, batch 1
  CHECK(sum2[0] == 17);
  CHECK(sum2[2] == -21);
  CHECK(out2[0].nbytes == 12);

  std::fill(std::begin(r.sum), std::end(r.sum), 0.0f);
  REQUIRE(axon_session_run(s.s, r.in, 2, r.out, 2) == AXON_OK);  // back to the first
  CHECK(r.sum[0] == 110);
  CHECK(r.out[0].nbytes == 24);
  float sum3[6] = {}, pos3[6] = {};
  r.out[0].data = sum3;  // other output buffers, same inputs
  r.out[1].data = pos3;
  REQUIRE(axon_session_run(s.s, r.in, 2, r.out, 2) == AXON_OK);
  CHECK(sum3[1] == 18);
  CHECK(pos3[4] == 5);
  r.in[0].nbytes = 20;  // same buffers, wrong size: still refused
  CHECK(axon_session_run(s.s, r.in, 2, r.out, 2) == AXON_INVALID_ARGUMENT);
}

TEST_CASE("C API: an input whose values decide an output's shape, in the same buffer", "[bindings][c]") {
  // y = Reshape(x, s): the plan reads s's values, so the same buffer with other values makes
  // another output shape, which the reused binding of the last run must not hide.
  graph::GraphBuilder b("reshape");
  auto x = b.Input("x", DType::kF32, Shape({6}));
  auto shape = b.Input("s", DType::kI64, Shape({2}));
  b.Output(b.Op("Reshape", {x, shape}), "y");
  graph::Model m;
  m.graph = b.Build();
  const std::string bytes = formats::SerializeModel(m);
  axon_session* s = nullptr;
  REQUIRE(axon_session_load_from_memory(bytes.data(), bytes.size(), nullptr, &s) == AXON_OK);
  float xs[6] = {0, 1, 2, 3, 4, 5}, ys[6] = {};
  int64_t target[2] = {2, 3}, x_dims[1] = {6}, s_dims[1] = {2}, y_dims[2] = {};
  axon_input in[2] = {{xs, sizeof xs, x_dims, 1, AXON_F32}, {target, sizeof target, s_dims, 1, AXON_I64}};
  axon_output out = {ys, sizeof ys, y_dims, 2, AXON_UNDEFINED, 0, 0};
  REQUIRE(axon_session_run(s, in, 2, &out, 1) == AXON_OK);
  CHECK((y_dims[0] == 2 && y_dims[1] == 3));
  target[0] = 3;
  target[1] = 2;
  REQUIRE(axon_session_run(s, in, 2, &out, 1) == AXON_OK);
  CHECK((y_dims[0] == 3 && y_dims[1] == 2));
  CHECK(ys[5] == 5);
  target[0] = 2;  // 2 x 2: a valid target of the wrong size fails naming it, not the last run's shape
  REQUIRE(axon_session_run(s, in, 2, &out, 1) == AXON_INVALID_MODEL);
  CHECK(Contains(axon_last_error(), "Reshape"));
  CHECK(!Contains(axon_last_error(), "output buffer"));
  axon_session_destroy(s);
}

TEST_CASE("C API: a serving loop's runs allocate nothing", "[bindings][c]") {
  CSession s;
  Run r;
  REQUIRE(axon_session_run(s.s, r.in, 2, r.out, 2) == AXON_OK);  // plans, makes views
  axon::test::CountAllocations counting;
  for (int i = 0; i < 5; ++i) {
    r.a[0] = static_cast<float>(i);
    REQUIRE(axon_session_run(s.s, r.in, 2, r.out, 2) == AXON_OK);
  }
  CHECK(counting.count() == 0);
  CHECK(r.sum[0] == 14);
}

TEST_CASE("C API: NULL handles and pointers fail with a message", "[bindings][c]") {
  axon_session* s = nullptr;
  CHECK(axon_session_load(nullptr, nullptr, &s) == AXON_INVALID_ARGUMENT);
  CHECK(Contains(axon_last_error(), "path is NULL"));
  CHECK(axon_session_load("x.axon", nullptr, nullptr) == AXON_INVALID_ARGUMENT);
  CHECK(axon_session_load_from_memory(nullptr, 10, nullptr, &s) == AXON_INVALID_ARGUMENT);
  CHECK(s == nullptr);
  size_t n = 0;
  CHECK(axon_session_input_count(nullptr, &n) == AXON_INVALID_ARGUMENT);
  CHECK(Contains(axon_last_error(), "session is NULL"));
  axon_tensor_info info;
  CHECK(axon_session_input_info(nullptr, 0, &info) == AXON_INVALID_ARGUMENT);
  Run r;
  CHECK(axon_session_run(nullptr, r.in, 2, r.out, 2) == AXON_INVALID_ARGUMENT);
  CHECK(axon_options_set_threads(nullptr, 2) == AXON_INVALID_ARGUMENT);
  CHECK(axon_options_create(nullptr) == AXON_INVALID_ARGUMENT);

  CSession ok;
  CHECK(axon_session_input_count(ok.s, nullptr) == AXON_INVALID_ARGUMENT);
  CHECK(axon_session_input_info(ok.s, 0, nullptr) == AXON_INVALID_ARGUMENT);
  CHECK(axon_session_input_index(ok.s, nullptr, &n) == AXON_INVALID_ARGUMENT);
  CHECK(axon_session_run(ok.s, nullptr, 2, r.out, 2) == AXON_INVALID_ARGUMENT);
  CHECK(axon_session_run(ok.s, r.in, 2, nullptr, 2) == AXON_INVALID_ARGUMENT);
  r.in[0].data = nullptr;
  CHECK(axon_session_run(ok.s, r.in, 2, r.out, 2) == AXON_INVALID_ARGUMENT);
  r.Reset();
  r.in[0].shape = nullptr;
  CHECK(axon_session_run(ok.s, r.in, 2, r.out, 2) == AXON_INVALID_ARGUMENT);
  CHECK(Contains(axon_last_error(), "input 0 'a': shape is NULL"));
  r.Reset();
  r.out[1].data = nullptr;
  CHECK(axon_session_run(ok.s, r.in, 2, r.out, 2) == AXON_INVALID_ARGUMENT);
  CHECK(Contains(axon_last_error(), "'pos'"));
  // Destroying NULL is a no-op.
  axon_session_destroy(nullptr);
  axon_options_destroy(nullptr);
  axon_training_session_destroy(nullptr);
}

TEST_CASE("C API: wrong names, indices and counts", "[bindings][c]") {
  CSession s;
  size_t index = 0;
  CHECK(axon_session_input_index(s.s, "nope", &index) == AXON_INVALID_ARGUMENT);
  CHECK(Contains(axon_last_error(), "model has no input 'nope' (inputs: a: f32[batch,3], b: f32[3])"));
  axon_tensor_info info;
  CHECK(axon_session_input_info(s.s, 2, &info) == AXON_INVALID_ARGUMENT);
  CHECK(Contains(axon_last_error(), "input index 2 out of range"));
  CHECK(axon_session_output_info(s.s, static_cast<size_t>(-1), &info) == AXON_INVALID_ARGUMENT);
  Run r;
  CHECK(axon_session_run(s.s, r.in, 1, r.out, 2) == AXON_INVALID_ARGUMENT);
  CHECK(Contains(axon_last_error(), "1 inputs given; the model has 2"));
  CHECK(axon_session_run(s.s, r.in, 2, r.out, 3) == AXON_INVALID_ARGUMENT);
  CHECK(Contains(axon_last_error(), "3 outputs given; the model has 2"));
}

TEST_CASE("C API: wrong buffer sizes, shapes and dtypes", "[bindings][c]") {
  CSession s;
  Run r;
  r.in[0].nbytes = 20;
  CHECK(axon_session_run(s.s, r.in, 2, r.out, 2) == AXON_INVALID_ARGUMENT);
  CHECK(Contains(axon_last_error(), "input 0 'a': 20 bytes given for f32[2,3], which has 24"));

  r.Reset();
  r.out[1].capacity = 23;
  CHECK(axon_session_run(s.s, r.in, 2, r.out, 2) == AXON_INVALID_ARGUMENT);
  CHECK(Contains(axon_last_error(), "output 1 'pos' f32[2,3] needs 24 bytes; capacity is 23"));
  CHECK(r.out[1].nbytes == 24);  // filled, so the caller can size its buffer
  CHECK(r.pos[0] == 0);          // nothing written

  r.Reset();
  r.out[0].shape_capacity = 1;
  CHECK(axon_session_run(s.s, r.in, 2, r.out, 2) == AXON_INVALID_ARGUMENT);
  CHECK(Contains(axon_last_error(), "shape_capacity 1 < rank 2"));

  r.Reset();
  r.b_dims[0] = 2;  // b is declared [3]
  r.in[1].nbytes = 8;
  CHECK(axon_session_run(s.s, r.in, 2, r.out, 2) == AXON_INVALID_ARGUMENT);
  CHECK(Contains(axon_last_error(), "b"));

  r.Reset();
  int64_t ints[3] = {1, 2, 3};
  r.in[1] = {ints, sizeof ints, r.b_dims, 1, AXON_I64};
  CHECK(axon_session_run(s.s, r.in, 2, r.out, 2) == AXON_INVALID_ARGUMENT);
  CHECK(Contains(axon_last_error(), "i64"));

  r.Reset();
  r.in[0].dtype = static_cast<axon_dtype>(42);
  CHECK(axon_session_run(s.s, r.in, 2, r.out, 2) == AXON_INVALID_ARGUMENT);
  CHECK(Contains(axon_last_error(), "dtype 42 is not an axon_dtype"));

  r.Reset();
  r.a_dims[1] = -3;
  CHECK(axon_session_run(s.s, r.in, 2, r.out, 2) == AXON_INVALID_ARGUMENT);

  // The session still runs after all of that.
  r.Reset();
  CHECK(axon_session_run(s.s, r.in, 2, r.out, 2) == AXON_OK);
  CHECK(r.sum[0] == 11);
}

TEST_CASE("C API: bad files and options", "[bindings][c]") {
  axon_session* s = nullptr;
  CHECK(axon_session_load("/nonexistent/model.axon", nullptr, &s) == AXON_IO);
  CHECK(Contains(axon_last_error(), "/nonexistent/model.axon"));
  const char garbage[] = "not a model at all, just some bytes";
  CHECK(axon_session_load_from_memory(garbage, sizeof garbage, nullptr, &s) == AXON_INVALID_FILE);
  CHECK(s == nullptr);

  axon_options* o = nullptr;
  REQUIRE(axon_options_create(&o) == AXON_OK);
  CHECK(axon_options_set_threads(o, -1) == AXON_INVALID_ARGUMENT);
  CHECK(axon_options_set_opt_level(o, 3) == AXON_INVALID_ARGUMENT);
  CHECK(axon_options_set_memory_limit(o, -5) == AXON_INVALID_ARGUMENT);
  REQUIRE(axon_options_set_threads(o, 1) == AXON_OK);
  REQUIRE(axon_options_set_opt_level(o, 0) == AXON_OK);
  REQUIRE(axon_options_set_memory_limit(o, 64) == AXON_OK);  // less than a batch of 1000 needs
  const std::string bytes = AddReluModel();
  REQUIRE(axon_session_load_from_memory(bytes.data(), bytes.size(), o, &s) == AXON_OK);
  axon_options_destroy(o);  // the session keeps its own copy
  int threads = 0;
  REQUIRE(axon_session_threads(s, &threads) == AXON_OK);
  CHECK(threads == 1);
  std::vector<float> a(3000, 1.0f), b(3, 1.0f), sum(3000), pos(3000);
  int64_t a_dims[2] = {1000, 3}, b_dims[1] = {3};
  axon_input in[2] = {{a.data(), a.size() * 4, a_dims, 2, AXON_F32}, {b.data(), 12, b_dims, 1, AXON_F32}};
  axon_output out[2] = {{sum.data(), sum.size() * 4, nullptr, 0, AXON_UNDEFINED, 0, 0},
                        {pos.data(), pos.size() * 4, nullptr, 0, AXON_UNDEFINED, 0, 0}};
  CHECK(axon_session_run(s, in, 2, out, 2) == AXON_MEMORY_LIMIT);
  axon_session_destroy(s);
}

TEST_CASE("C API: destroying a handle twice is ignored", "[bindings][c]") {
  const std::string bytes = AddReluModel();
  axon_session* s = nullptr;
  REQUIRE(axon_session_load_from_memory(bytes.data(), bytes.size(), nullptr, &s) == AXON_OK);
  axon_session_destroy(s);
  axon_session_destroy(s);
  CHECK(Contains(axon_last_error(), "axon_session_destroy: not a live handle"));
  axon_options* o = nullptr;
  REQUIRE(axon_options_create(&o) == AXON_OK);
  axon_options_destroy(o);
  axon_options_destroy(o);
  CHECK(Contains(axon_last_error(), "axon_options_destroy: not a live handle"));
}

TEST_CASE("C API: the last error is per thread", "[bindings][c]") {
  CHECK(axon_session_input_count(nullptr, nullptr) == AXON_INVALID_ARGUMENT);
  std::string other;
  std::thread([&] { other = axon_last_error(); }).join();
  CHECK(other.empty());
  CHECK(!std::string(axon_last_error()).empty());
}

TEST_CASE("C API: runs from several threads at once on one session", "[bindings][c]") {
  CSession s;
  std::vector<std::thread> threads;
  std::vector<int> wrong(4, 0);
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int k = 0; k < 200; ++k) {
        Run r;
        r.b[0] = static_cast<float>(t * 1000 + k);  // each run its own values
        if (axon_session_run(s.s, r.in, 2, r.out, 2) != AXON_OK || r.sum[0] != 1 + r.b[0] || r.sum[3] != -4 + r.b[0] ||
            r.pos[2] != 3)
          ++wrong[t];
      }
    });
  for (auto& t : threads) t.join();
  CHECK(wrong == std::vector<int>(4, 0));
}

TEST_CASE("C API: a training session steps with hand-computed losses", "[bindings][c]") {
  const auto dir = axon::cli_test::TempDir("c_api_training");
  const std::string path = WriteLinearModel(dir);
  axon_training_session* t = nullptr;
  CHECK(axon_training_session_load(path.c_str(), nullptr, "mse", "sgd", -0.1f, &t) == AXON_INVALID_ARGUMENT);
  CHECK(Contains(axon_last_error(), "learning rate must be finite and >= 0, got -0.1"));
  CHECK(axon_training_session_load(path.c_str(), nullptr, "mse", "sgd", NAN, &t) == AXON_INVALID_ARGUMENT);
  CHECK(axon_training_session_load(path.c_str(), nullptr, "hinge", "sgd", 0.1f, &t) == AXON_INVALID_ARGUMENT);
  CHECK(t == nullptr);
  REQUIRE(axon_training_session_load(path.c_str(), nullptr, "mse", "sgd", 0.1f, &t) == AXON_OK);
  axon_tensor_info labels;
  REQUIRE(axon_training_session_labels_info(t, &labels) == AXON_OK);
  CHECK(labels.dtype == AXON_F32);
  CHECK(labels.rank == 2);

  // x = [1, 2], label 0: prediction 1 - 2 = -1, MSE 1; dL/dW = 2·(-1)·x = [-2, -4], so SGD at 0.1
  // makes W = [1.2, -0.6], after which the prediction is 0 and so is the loss.
  float x[2] = {1, 2}, y[1] = {0};
  int64_t x_dims[2] = {1, 2}, y_dims[2] = {1, 1};
  axon_input in = {x, sizeof x, x_dims, 2, AXON_F32};
  axon_input lab = {y, sizeof y, y_dims, 2, AXON_F32};
  float loss = -1;
  REQUIRE(axon_training_session_step(t, &in, 1, &lab, &loss) == AXON_OK);
  CHECK(loss == Approx(1.0f));
  REQUIRE(axon_training_session_step(t, &in, 1, &lab, &loss) == AXON_OK);
  CHECK(loss == Approx(0.0f).margin(1e-6));
  int64_t steps = 0;
  REQUIRE(axon_training_session_step_count(t, &steps) == AXON_OK);
  CHECK(steps == 2);
  CHECK(axon_training_session_step(t, &in, 1, nullptr, &loss) == AXON_INVALID_ARGUMENT);
  lab.nbytes = 8;
  CHECK(axon_training_session_step(t, &in, 1, &lab, &loss) == AXON_INVALID_ARGUMENT);
  CHECK(Contains(axon_last_error(), "labels: 8 bytes given"));

  // The saved model predicts with the trained weights: [1.2, -0.6]·[1, 1] = 0.6.
  const std::string trained = (dir / "trained.axon").string();
  REQUIRE(axon_training_session_save_model(t, trained.c_str()) == AXON_OK);
  axon_training_session_destroy(t);
  axon_session* s = nullptr;
  REQUIRE(axon_session_load(trained.c_str(), nullptr, &s) == AXON_OK);
  float ones[2] = {1, 1}, out[1] = {0};
  axon_input xi = {ones, sizeof ones, x_dims, 2, AXON_F32};
  axon_output yo = {out, sizeof out, nullptr, 0, AXON_UNDEFINED, 0, 0};
  REQUIRE(axon_session_run(s, &xi, 1, &yo, 1) == AXON_OK);
  CHECK(out[0] == Approx(0.6f));
  axon_session_destroy(s);
  std::filesystem::remove_all(dir);
}

TEST_CASE("C API: learning rate 0 is accepted and leaves the parameters as they are, as in C++ and torch", "[bindings][c]") {
  const auto dir = axon::cli_test::TempDir("c_api_lr0");
  const std::string path = WriteLinearModel(dir);
  axon_training_session* t = nullptr;
  REQUIRE(axon_training_session_load(path.c_str(), nullptr, "mse", "sgd", 0.0f, &t) == AXON_OK);
  // W = [1, -1], x = [1, 2], label 0: prediction -1 and MSE 1 at every step, since nothing moves.
  float x[2] = {1, 2}, y[1] = {0};
  int64_t x_dims[2] = {1, 2}, y_dims[2] = {1, 1};
  axon_input in = {x, sizeof x, x_dims, 2, AXON_F32};
  axon_input lab = {y, sizeof y, y_dims, 2, AXON_F32};
  for (int k = 0; k < 3; ++k) {
    float loss = -1;
    REQUIRE(axon_training_session_step(t, &in, 1, &lab, &loss) == AXON_OK);
    CHECK(loss == 1.0f);
  }
  axon_training_session_destroy(t);
  std::filesystem::remove_all(dir);
}

TEST_CASE("C API: the three phases: two half-batch gradients averaged in place then applied equal a full-batch step",
          "[bindings][c]") {
  const auto dir = axon::cli_test::TempDir("c_api_phases");
  const std::string path = WriteLinearModel(dir);
  axon_training_session *full = nullptr, *halves = nullptr;
  REQUIRE(axon_training_session_load(path.c_str(), nullptr, "mse", "sgd", 0.1f, &full) == AXON_OK);
  REQUIRE(axon_training_session_load(path.c_str(), nullptr, "mse", "sgd", 0.1f, &halves) == AXON_OK);
  // W = [1, -1]. Sample 1: x = [1, 2], label 0, prediction -1: gradient 2·(-1)·x = [-2, -4].
  // Sample 2: x = [3, -1], label 1, prediction 4: gradient 2·3·x = [18, -6]. Their mean [8, -5] is
  // the full batch's gradient; SGD at 0.1 makes W = [0.2, -0.5], whose predictions -0.8 and 1.1
  // leave an MSE of (0.64 + 0.01) / 2 = 0.325 (before: (1 + 9) / 2 = 5).
  float x[4] = {1, 2, 3, -1}, y[2] = {0, 1};
  int64_t x2[2] = {2, 2}, y2[2] = {2, 1}, x1[2] = {1, 2}, y1[2] = {1, 1};
  const axon_input batch = {x, sizeof x, x2, 2, AXON_F32}, labels = {y, sizeof y, y2, 2, AXON_F32};
  const axon_input first = {x, 2 * sizeof(float), x1, 2, AXON_F32}, first_label = {y, sizeof(float), y1, 2, AXON_F32};
  const axon_input second = {x + 2, 2 * sizeof(float), x1, 2, AXON_F32}, second_label = {y + 1, sizeof(float), y1, 2, AXON_F32};
  float loss = -1;
  REQUIRE(axon_training_session_evaluate(full, &batch, 1, &labels, &loss) == AXON_OK);
  CHECK(loss == Approx(5.0f));

  // Misuse: no gradients yet.
  float* g = nullptr;
  size_t count = 0;
  const char* name = nullptr;
  CHECK(axon_training_session_apply_optimizer(halves) == AXON_INVALID_ARGUMENT);
  CHECK(Contains(axon_last_error(), "needs gradients: call axon_training_session_compute_gradients first"));
  CHECK(axon_training_session_gradient(halves, 0, &g, &count, &name) == AXON_INVALID_ARGUMENT);
  CHECK(Contains(axon_last_error(), "no gradients to give"));

  REQUIRE(axon_training_session_step(full, &batch, 1, &labels, &loss) == AXON_OK);
  CHECK(loss == Approx(5.0f));

  size_t parameters = 0;
  REQUIRE(axon_training_session_parameter_count(halves, &parameters) == AXON_OK);
  REQUIRE(parameters == 1);
  REQUIRE(axon_training_session_compute_gradients(halves, &first, 1, &first_label, &loss) == AXON_OK);
  CHECK(loss == Approx(1.0f));
  REQUIRE(axon_training_session_gradient(halves, 0, &g, &count, &name) == AXON_OK);
  REQUIRE(count == 2);
  CHECK(std::string(name) == "w");
  const float g1[2] = {g[0], g[1]};
  CHECK(g1[0] == Approx(-2.0f));
  CHECK(g1[1] == Approx(-4.0f));
  CHECK(axon_training_session_gradient(halves, 1, &g, &count, nullptr) == AXON_INVALID_ARGUMENT);
  CHECK(Contains(axon_last_error(), "gradient index 1 is out of range: the session trains 1 parameters"));
  REQUIRE(axon_training_session_compute_gradients(halves, &second, 1, &second_label, &loss) == AXON_OK);
  CHECK(loss == Approx(9.0f));
  REQUIRE(axon_training_session_gradient(halves, 0, &g, &count, nullptr) == AXON_OK);
  CHECK(g[0] == Approx(18.0f));
  CHECK(g[1] == Approx(-6.0f));
  for (int k = 0; k < 2; ++k) g[k] = (g[k] + g1[k]) / 2;  // the all-reduce, in place
  REQUIRE(axon_training_session_apply_optimizer(halves) == AXON_OK);
  CHECK(axon_training_session_apply_optimizer(halves) == AXON_INVALID_ARGUMENT);  // once per step
  int64_t steps = 0;
  REQUIRE(axon_training_session_step_count(halves, &steps) == AXON_OK);
  CHECK(steps == 1);

  float after_full = -1, after_halves = -1;
  REQUIRE(axon_training_session_evaluate(full, &batch, 1, &labels, &after_full) == AXON_OK);
  REQUIRE(axon_training_session_evaluate(halves, &batch, 1, &labels, &after_halves) == AXON_OK);
  CHECK(after_full == Approx(0.325f));
  CHECK(after_halves == Approx(after_full).epsilon(1e-6));
  CHECK(axon_training_session_evaluate(halves, &batch, 1, nullptr, &loss) == AXON_INVALID_ARGUMENT);
  axon_training_session_destroy(full);
  axon_training_session_destroy(halves);
  std::filesystem::remove_all(dir);
}

TEST_CASE("C API: evaluate_output gives the loss and the predictions, sizing the buffer like a run", "[bindings][c]") {
  const auto dir = axon::cli_test::TempDir("c_api_evaluate_output");
  axon_training_session* t = nullptr;
  REQUIRE(axon_training_session_load(WriteLinearModel(dir).c_str(), nullptr, "mse", "sgd", 0.1f, &t) == AXON_OK);
  axon_tensor_info info;
  REQUIRE(axon_training_session_output_info(t, &info) == AXON_OK);
  CHECK(std::string(info.name) == "y");
  CHECK(info.dtype == AXON_F32);
  REQUIRE(info.rank == 2);
  CHECK(info.shape[0] == -1);
  CHECK(std::string(info.symbols[0]) == "batch");
  CHECK(info.shape[1] == 1);

  // W = [1, -1]: x = [1, 2] predicts -1, x = [3, -1] predicts 4; against labels 0 and 1 the MSE is
  // (1 + 9) / 2 = 5.
  float x[4] = {1, 2, 3, -1}, y[2] = {0, 1};
  int64_t x_dims[2] = {2, 2}, y_dims[2] = {2, 1};
  const axon_input batch = {x, sizeof x, x_dims, 2, AXON_F32}, labels = {y, sizeof y, y_dims, 2, AXON_F32};
  float predictions[2] = {}, loss = -1;
  int64_t dims[2] = {};
  axon_output out = {predictions, sizeof(float), dims, 2, AXON_UNDEFINED, 0, 0};  // room for one value of two
  CHECK(axon_training_session_evaluate_output(t, &batch, 1, &labels, &loss, &out) == AXON_INVALID_ARGUMENT);
  CHECK(Contains(axon_last_error(), "output 0 'y' f32[2,1] needs 8 bytes; capacity is 4"));
  CHECK(out.nbytes == 8);
  CHECK(out.rank == 2);
  CHECK(dims[0] == 2);
  CHECK(predictions[0] == 0.0f);  // nothing written
  out.capacity = out.nbytes;
  REQUIRE(axon_training_session_evaluate_output(t, &batch, 1, &labels, &loss, &out) == AXON_OK);
  CHECK(loss == Approx(5.0f));
  CHECK(out.dtype == AXON_F32);
  CHECK(predictions[0] == Approx(-1.0f));
  CHECK(predictions[1] == Approx(4.0f));
  float plain = -1;
  REQUIRE(axon_training_session_evaluate(t, &batch, 1, &labels, &plain) == AXON_OK);
  CHECK(plain == loss);
  int64_t steps = -1;
  REQUIRE(axon_training_session_step_count(t, &steps) == AXON_OK);
  CHECK(steps == 0);  // evaluating changes nothing

  CHECK(axon_training_session_evaluate_output(t, &batch, 1, &labels, &loss, nullptr) == AXON_INVALID_ARGUMENT);
  CHECK(Contains(axon_last_error(), "output is NULL"));
  CHECK(axon_training_session_output_info(nullptr, &info) == AXON_INVALID_ARGUMENT);
  axon_training_session_destroy(t);
  std::filesystem::remove_all(dir);
}
