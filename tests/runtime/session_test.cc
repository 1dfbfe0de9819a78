#include <catch2/catch.hpp>

#include <cmath>

#include <tbb/global_control.h>
#include <tbb/info.h>

#include "axon/axon.h"
#include "formats/axon_format.h"
#include "graph/builder.h"
#include "runtime/session_factory.h"

using namespace axon;
using graph::Dim;
using graph::Shape;

namespace {

Session Compile(graph::Graph g, int threads = 1) {
  graph::Model m;
  m.graph = std::move(g);
  return detail::SessionFactory::FromModel(std::move(m), {.threads = threads}, "test");
}

// y = sigmoid(x·W1ᵀ + b1)·W2ᵀ + b2 with hand-picked weights.
graph::Graph TinyMlp() {
  graph::GraphBuilder b("tiny");
  auto x = b.Input("x", DType::kF32, Shape({Dim::Symbol("batch"), 2}));
  auto w1 = b.Weight("w1", Tensor::FromVector(std::vector<float>{1, -1, 0.5f, 2}, {2, 2}));
  auto b1 = b.Weight("b1", Tensor::FromVector(std::vector<float>{0.1f, -0.2f}, {2}));
  auto w2 = b.Weight("w2", Tensor::FromVector(std::vector<float>{3, -1}, {1, 2}));
  auto h = b.Op("Sigmoid", {b.Op("Gemm", {x, w1, b1}, {{"transB", int64_t{1}}})});
  auto y = b.Op("Gemm", {h, w2}, {{"transB", int64_t{1}}});
  b.Output(y, "y");
  return b.Build();
}

double Sig(double v) { return 1 / (1 + std::exp(-v)); }

}  // namespace

TEST_CASE("a session runs an MLP and matches a hand computation", "[runtime][session]") {
  Session s = Compile(TinyMlp());
  REQUIRE(s.inputs().size() == 1);
  CHECK(s.inputs()[0].ToString() == "x: f32[batch,2]");
  CHECK(s.outputs()[0].ToString() == "y: f32[batch,1]");
  const std::vector<float> x = {0.5f, -1, 2, 0.25f, 0, 0};
  auto out = s.Run({{"x", Tensor::View(x.data(), {3, 2})}});
  REQUIRE(out.size() == 1);
  REQUIRE(out[0].shape() == std::vector<int64_t>{3, 1});
  for (int i = 0; i < 3; ++i) {
    const double x0 = x[2 * i], x1 = x[2 * i + 1];
    const double h0 = Sig(1 * x0 - 1 * x1 + 0.1), h1 = Sig(0.5 * x0 + 2 * x1 - 0.2);
    CHECK(out[0].data<float>()[i] == Approx(3 * h0 - h1).epsilon(1e-6));
  }
}

TEST_CASE("a session survives a round trip through bytes", "[runtime][session]") {
  graph::Model m;
  m.graph = TinyMlp();
  const std::string bytes = formats::SerializeModel(m);
  Session s = Session::LoadFromBytes(bytes.data(), bytes.size());
  const std::vector<float> x = {1, 2};
  auto a = s.Run({{"x", Tensor::View(x.data(), {1, 2})}});
  auto b = Compile(TinyMlp()).Run({{"x", Tensor::View(x.data(), {1, 2})}});
  CHECK(a[0].data<float>()[0] == b[0].data<float>()[0]);
}

TEST_CASE("bad inputs give clear errors", "[runtime][session]") {
  Session s = Compile(TinyMlp());
  const std::vector<float> x(6, 1.0f);
  const std::vector<int64_t> xi(6, 1);
  CHECK_THROWS_WITH(s.Run({}), Catch::Contains("missing input x: f32[batch,2]"));
  CHECK_THROWS_WITH(s.Run({{"z", Tensor::View(x.data(), {3, 2})}}), Catch::Contains("no input 'z'"));
  CHECK_THROWS_WITH(s.Run({{"x", Tensor::View(x.data(), {2, 3})}}), Catch::Contains("must be x: f32[batch,2], got f32[2,3]"));
  CHECK_THROWS_WITH(s.Run({{"x", Tensor::View(x.data(), {6})}}), Catch::Contains("rank 2"));
  CHECK_THROWS_WITH(s.Run({{"x", Tensor::View(xi.data(), {3, 2})}}), Catch::Contains("got i64[3,2]"));
  CHECK_THROWS_WITH(s.Run({{"x", Tensor::View(x.data(), {3, 2})}, {"x", Tensor::View(x.data(), {3, 2})}}),
                    Catch::Contains("given twice"));
}

TEST_CASE("a symbolic dim binds to one size per run", "[runtime][session]") {
  graph::GraphBuilder b("two_inputs");
  auto x = b.Input("x", DType::kF32, Shape({Dim::Symbol("n")}));
  auto y = b.Input("y", DType::kF32, Shape({Dim::Symbol("n")}));
  b.Output(b.Op("Add", {x, y}), "sum");
  Session s = Compile(b.Build());
  const std::vector<float> a = {1, 2, 3}, c = {10, 20};
  CHECK_THROWS_WITH(s.Run({{"x", Tensor::View(a.data(), {3})}, {"y", Tensor::View(c.data(), {2})}}),
                    Catch::Contains("binds n=2 but another input bound it to 3"));
}

TEST_CASE("garbage bytes name their origin", "[runtime][session]") {
  const std::string junk = "this is not a model";
  CHECK_THROWS_WITH(Session::LoadFromBytes(junk.data(), junk.size(), {}, "junk.axon"), Catch::Contains("junk.axon"));
}

TEST_CASE("shape ops, MatMul broadcast and softmax run end to end", "[runtime][session]") {
  graph::GraphBuilder b("shapes");
  auto x = b.Input("x", DType::kF32, Shape({2, 3}));
  auto w = b.Weight("w", Tensor::FromVector(std::vector<float>{1, 0, 0, 1, 1, 1}, {3, 2}));
  auto shape = b.Weight("shape", Tensor::FromVector(std::vector<int64_t>{3, 2}, {2}));
  auto t = b.Op("Transpose", {x});                       // [3,2]
  auto r = b.Op("Reshape", {b.Op("Flatten", {t}), shape});  // [3,2], data of t
  auto m = b.Op("MatMul", {x, w});                       // [2,2]
  b.Output(r, "r");
  b.Output(b.Op("Softmax", {m}), "p");
  b.Output(b.Op("Identity", {m}), "m");
  Session s = Compile(b.Build());
  const std::vector<float> xv = {1, 2, 3, 4, 5, 6};
  auto out = s.Run({{"x", Tensor::View(xv.data(), {2, 3})}});
  CHECK(out[0].ToFloatVector() == std::vector<float>{1, 4, 2, 5, 3, 6});
  // m = [[1+3, 2+3], [4+6, 5+6]] = [[4,5],[10,11]]
  CHECK(out[2].ToFloatVector() == std::vector<float>{4, 5, 10, 11});
  const double e = std::exp(1.0);
  CHECK(out[1].data<float>()[0] == Approx(1 / (1 + e)).epsilon(1e-6));
  CHECK(out[1].data<float>()[1] == Approx(e / (1 + e)).epsilon(1e-6));
}

TEST_CASE("results do not depend on the thread count", "[runtime][session]") {
  graph::GraphBuilder b("wide");
  auto x = b.Input("x", DType::kF32, Shape({64, 300}));
  std::vector<float> wv(300 * 200);
  for (std::size_t i = 0; i < wv.size(); ++i) wv[i] = std::sin(0.37f * static_cast<float>(i));
  auto w = b.Weight("w", Tensor::FromVector(wv, {300, 200}));
  b.Output(b.Op("Tanh", {b.Op("MatMul", {x, w})}), "y");
  graph::Graph g = b.Build();
  std::vector<float> xv(64 * 300);
  for (std::size_t i = 0; i < xv.size(); ++i) xv[i] = std::cos(0.11f * static_cast<float>(i));
  auto one = Compile(g, 1).Run({{"x", Tensor::View(xv.data(), {64, 300})}});
  auto two = Compile(g, 2).Run({{"x", Tensor::View(xv.data(), {64, 300})}});
  CHECK(one[0].ToFloatVector() == two[0].ToFloatVector());
}

TEST_CASE("outputs never share storage with owning caller inputs", "[runtime][session]") {
  graph::GraphBuilder b("passthrough");
  auto x = b.Input("x", DType::kF32, Shape({2}));
  b.Output(b.Op("Identity", {x}), "same");
  b.Output(b.Op("Reshape", {x, b.Weight("s", Tensor::FromVector(std::vector<int64_t>{2, 1}, {2}))}), "column");
  Session s = Compile(b.Build());
  Tensor input = Tensor::FromVector(std::vector<float>{1, 2}, {2});  // owning, not a view
  auto out = s.Run({{"x", input}});
  out[0].data<float>()[0] = 42;
  out[1].data<float>()[1] = 43;
  CHECK(input.ToFloatVector() == std::vector<float>{1, 2});
}

TEST_CASE("graph passes run between verification and planning, and can be switched off", "[runtime][session]") {
  auto model = [] {
    graph::GraphBuilder b("dead_branch");
    auto x = b.Input("x", DType::kF32, Shape({2, 2}));
    b.Op("Tanh", {b.Op("Sigmoid", {x})});  // computes nothing anyone reads
    b.Output(b.Op("Relu", {x}), "y");
    graph::Model m;
    m.graph = b.Build();
    return m;
  };
  Session optimized = detail::SessionFactory::FromModel(model(), {.threads = 1}, "test");
  Session as_loaded = detail::SessionFactory::FromModel(model(), {.threads = 1, .opt_level = 0}, "test");
  CHECK(detail::SessionFactory::GraphOf(optimized).nodes.size() == 1);
  CHECK(detail::SessionFactory::GraphOf(as_loaded).nodes.size() == 3);
  const std::vector<float> x = {-1, 2, -3, 4};
  CHECK(optimized.Run({{"x", Tensor::View(x.data(), {2, 2})}})[0].ToFloatVector() ==
        as_loaded.Run({{"x", Tensor::View(x.data(), {2, 2})}})[0].ToFloatVector());
  CHECK_THROWS_WITH(detail::SessionFactory::FromModel(model(), {.opt_level = 7}, "test"),
                    Catch::Contains("opt_level is 7; it must be 0..2"));
}

TEST_CASE("a null input pointer is refused, an empty batch of null runs", "[runtime][session]") {
  Session s = Compile(TinyMlp());
  const float* null = nullptr;
  CHECK_THROWS_AS(s.Run({{"x", Tensor::View(null, {2, 3})}}), Error);
  auto out = s.Run({{"x", Tensor::View(null, {0, 2})}});
  CHECK(out[0].shape() == std::vector<int64_t>{0, 1});
}

TEST_CASE("the thread count is checked, capped at what TBB runs, and reported", "[runtime][session]") {
  CHECK_THROWS_WITH(Compile(TinyMlp(), -5), Catch::Contains("SessionOptions::threads is -5; it must be >= 0"));
  const int cores = tbb::info::default_concurrency();
  CHECK(Compile(TinyMlp(), 0).threads() == cores);
  CHECK(Compile(TinyMlp(), 5000).threads() == cores);
  CHECK(Compile(TinyMlp(), 1).threads() == 1);
  // A host application may allow more (or fewer) threads than cores; the session follows.
  tbb::global_control more(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(cores) + 3);
  CHECK(Compile(TinyMlp(), 5000).threads() == cores + 3);
  CHECK(Compile(TinyMlp(), 0).threads() == cores + 3);
}

TEST_CASE("an input of unknown rank is told apart from a scalar", "[runtime][session]") {
  graph::GraphBuilder b("ranks");
  auto u = b.Input("u", DType::kF32, Shape::UnknownRank());
  auto s = b.Input("s", DType::kF32, Shape({}));  // a scalar
  b.Output(b.Op("Relu", {u}), "y");
  b.Output(b.Op("Relu", {s}), "z");
  Session session = Compile(b.Build());
  CHECK(!session.inputs()[0].has_rank);
  CHECK(session.inputs()[0].ToString() == "u: f32[?...]");
  CHECK(session.inputs()[1].has_rank);
  CHECK(session.inputs()[1].ToString() == "s: f32[]");
  CHECK(session.outputs()[0].ToString() == "y: f32[?...]");
  const std::vector<int64_t> wrong = {1};
  const float one = 1;
  CHECK_THROWS_WITH(session.Run({{"u", Tensor::View(wrong.data(), {1})}, {"s", Tensor::View(&one, {})}}),
                    Catch::Contains("input 'u' must be u: f32[?...], got i64[1]"));
  CHECK_THROWS_WITH(session.Run({{"s", Tensor::View(&one, {})}}), Catch::Contains("missing input u: f32[?...]"));
}

TEST_CASE("a moved-from session and null bytes are refused with axon::Error", "[runtime][session]") {
  Session s = Compile(TinyMlp());
  Session moved = std::move(s);
  CHECK_THROWS_WITH(s.inputs(), Catch::Contains("moved from"));
  const std::vector<float> x = {1, 2};
  CHECK_THROWS_WITH(s.Run({{"x", Tensor::View(x.data(), {1, 2})}}), Catch::Contains("moved from"));
  CHECK(moved.Run({{"x", Tensor::View(x.data(), {1, 2})}})[0].shape() == std::vector<int64_t>{1, 1});
  CHECK_THROWS_WITH(Session::LoadFromBytes(nullptr, 10), Catch::Contains("<memory>: LoadFromBytes of a null pointer"));
}
