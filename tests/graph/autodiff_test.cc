// Reverse-mode autodiff: every gradient rule against central finite differences of a
// double-precision evaluation of the same graph (tests/graph/double_evaluator.h, which shares no
// code with Axon's kernels). The graph under test ends in loss = Σ y·r with r a random input, so
// each element of y gets its own random weight in the loss; AppendGradients adds the backward
// pass, a Session runs it in f32, and each gradient element is compared with
// (L(w + h) − L(w − h)) / 2h computed in double.
//
// Tolerance: the analytic gradient is computed in f32, from the same f32 inputs as the double
// reference. Each op rounds to about 6e-8 relative, and the values here are O(1) with sums over
// at most a few dozen terms, so the f32 result agrees to about 1e-5 of the gradient's scale; the
// finite difference in double, with h = 1e-5, is exact to about 1e-9. A tolerance of 1e-4 of the
// scale plus 1e-3 relative is far looser than either, and far tighter than any wrong rule (a
// missing transpose, factor or broadcast reduction is off by O(1)).
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "graph/autodiff.h"
#include "graph/builder.h"
#include "graph/ops/infer_helpers.h"
#include "graph/rewrite.h"
#include "runtime/session_factory.h"
#include "tests/graph/double_evaluator.h"

using namespace axon;
using graph::Dim;
using graph::GraphBuilder;
using graph::Shape;

namespace {

struct In {
  std::string name;
  std::vector<int64_t> shape;  // the concrete shape fed
  float lo = -2.0f, hi = 2.0f;
  bool wrt = true;             // differentiated for
  std::vector<Dim> declared = {};  // the declared shape when it differs (symbolic dims)
};

using BuildFn = std::function<std::string(GraphBuilder&, const std::map<std::string, std::string>&)>;

Tensor Random(const std::vector<int64_t>& shape, std::mt19937& rng, float lo, float hi) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(static_cast<std::size_t>(test::Count(shape)));
  for (float& x : v) x = dist(rng);
  return Tensor::FromVector(v, shape);
}

// The forward graph, y's output named "y", with loss = ReduceSum(y · r) appended (r a graph
// input of y's declared shape).
graph::Graph WithLoss(const std::vector<In>& ins, const BuildFn& build) {
  GraphBuilder b("grad_test");
  std::map<std::string, std::string> names;
  for (const In& in : ins) {
    std::vector<Dim> dims = in.declared;
    if (dims.empty())
      for (int64_t d : in.shape) dims.emplace_back(d);
    names[in.name] = b.Input(in.name, DType::kF32, Shape(dims));
  }
  b.Output(build(b, names), "y");
  graph::Graph g = b.Build();
  graph::GraphEditor e(g);
  g.inputs.push_back({"r", DType::kF32, g.outputs[0].shape});
  e.Refresh();
  e.AddNode(graph::Node{"loss_mul", "Mul", {"y", "r"}, {"loss_terms"}, {}});
  e.AddNode(graph::Node{"loss_sum", "ReduceSum", {"loss_terms"}, {"loss"}, {{"keepdims", int64_t{0}}}});
  g.outputs.push_back({"loss", DType::kF32, Shape({})});
  e.Refresh();
  e.InferShapes();
  return g;
}

std::vector<std::string> WrtOf(const std::vector<In>& ins) {
  std::vector<std::string> wrt;
  for (const In& in : ins)
    if (in.wrt) wrt.push_back(in.name);
  return wrt;
}

struct Compiled {
  graph::Graph forward;  // with the loss, for the double reference
  Session session;
};

Compiled Compile(const std::vector<In>& ins, const BuildFn& build) {
  graph::Graph g = WithLoss(ins, build);
  graph::Graph forward = g;
  graph::AppendGradients(g, "loss", WrtOf(ins));
  graph::Model m;
  m.graph = std::move(g);
  return Compiled{std::move(forward), detail::SessionFactory::FromModel(std::move(m), {.threads = 1}, "grad_test")};
}

// Feeds random values of the ins' concrete shapes and checks each gradient output.
void CheckOnce(Compiled& c, const std::vector<In>& ins, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<NamedTensor> feeds;
  std::map<std::string, test::DTensor> dfeeds;
  for (const In& in : ins) {
    feeds.push_back({in.name, Random(in.shape, rng, in.lo, in.hi)});
    dfeeds[in.name] = test::FromTensor(feeds.back().second);
  }
  const test::DTensor y = test::EvaluateDouble(c.forward, dfeeds).at("y");
  feeds.push_back({"r", Random(y.shape, rng, -1.0f, 1.0f)});
  dfeeds["r"] = test::FromTensor(feeds.back().second);

  const std::vector<Tensor> outs = c.session.Run(feeds);
  auto loss_at = [&](const std::map<std::string, test::DTensor>& f) { return test::EvaluateDouble(c.forward, f).at("loss").v.at(0); };
  for (const In& in : ins) {
    if (!in.wrt) continue;
    std::size_t k = 0;
    while (c.session.outputs()[k].name != "grad:" + in.name) ++k;
    const Tensor& grad = outs.at(k);
    INFO("gradient of " << in.name);
    REQUIRE(grad.shape() == in.shape);
    std::vector<double> fd;
    double scale = 1.0;
    for (int64_t i = 0; i < test::Count(in.shape); ++i) {
      constexpr double h = 1e-5;
      std::map<std::string, test::DTensor> plus = dfeeds, minus = dfeeds;
      plus[in.name].v[i] += h;
      minus[in.name].v[i] -= h;
      fd.push_back((loss_at(plus) - loss_at(minus)) / (2 * h));
      scale = std::max(scale, std::fabs(fd.back()));
    }
    for (std::size_t i = 0; i < fd.size(); ++i) {
      INFO("element " << i << ": autodiff " << grad.data<float>()[i] << ", finite difference " << fd[i]);
      CHECK(std::fabs(grad.data<float>()[i] - fd[i]) <= 1e-4 * scale + 1e-3 * std::fabs(fd[i]));
    }
  }
}

void CheckGradients(const std::vector<In>& ins, const BuildFn& build, uint32_t seed = 1) {
  Compiled c = Compile(ins, build);
  CheckOnce(c, ins, seed);
}

// Ops without a gradient rule (test fixtures: no adapter, never run).
AXON_OP(AxonTestNoGradA).Inputs({"X"}).Outputs({"Y"}).Infer(graph::SameShapeAndType);
AXON_OP(AxonTestNoGradB).Inputs({"X"}).Outputs({"Y"}).Infer(graph::SameShapeAndType);

std::string Ints(GraphBuilder& b, const std::string& name, const std::vector<int64_t>& v) {
  return b.Weight(name, Tensor::FromVector(v, {static_cast<int64_t>(v.size())}));
}

}  // namespace

TEST_CASE("autodiff: an MLP (Gemm, Relu, Sigmoid, bias broadcast) matches finite differences", "[autodiff]") {
  CheckGradients({{"x", {4, 3}}, {"w1", {3, 5}}, {"b1", {5}}, {"w2", {2, 5}}, {"b2", {1, 2}}},
                 [](GraphBuilder& b, auto& in) {
                   auto h = b.Op("Relu", {b.Op("Gemm", {in.at("x"), in.at("w1"), in.at("b1")}, {}, "fc1")});
                   auto z = b.Op("Gemm", {h, in.at("w2"), in.at("b2")}, {{"transB", int64_t{1}}}, "fc2");
                   return b.Op("Sigmoid", {z});
                 });
}

TEST_CASE("autodiff: Gemm with every transpose, alpha, beta and C shape", "[autodiff]") {
  const std::vector<std::vector<int64_t>> c_shapes = {{}, {3}, {1, 3}, {2, 1}, {2, 3}, {1}};
  for (int ta = 0; ta < 2; ++ta)
    for (int tb = 0; tb < 2; ++tb)
      for (std::size_t ci = 0; ci <= c_shapes.size(); ++ci) {
        const bool has_c = ci < c_shapes.size();
        INFO("transA " << ta << " transB " << tb << " C " << (has_c ? ShapeToString(c_shapes[ci]) : "none"));
        std::vector<In> ins = {{"a", ta ? std::vector<int64_t>{4, 2} : std::vector<int64_t>{2, 4}},
                               {"b", tb ? std::vector<int64_t>{3, 4} : std::vector<int64_t>{4, 3}}};
        if (has_c) ins.push_back({"c", c_shapes[ci]});
        CheckGradients(ins, [&](GraphBuilder& b, auto& in) {
          std::vector<std::string> args = {in.at("a"), in.at("b")};
          if (has_c) args.push_back(in.at("c"));
          return b.Op("Gemm", args,
                      {{"transA", int64_t{ta}}, {"transB", int64_t{tb}}, {"alpha", 0.75f}, {"beta", ci % 2 ? 1.0f : -1.5f}});
        });
      }
}

TEST_CASE("autodiff: MatMul, 2-D, batched, broadcast and 1-D", "[autodiff]") {
  const std::vector<std::pair<std::vector<int64_t>, std::vector<int64_t>>> cases = {
      {{2, 3}, {3, 4}},       {{2, 2, 3}, {2, 3, 4}}, {{2, 1, 2, 3}, {3, 3, 2}}, {{2, 3}, {2, 3, 4}},
      {{2, 3, 3}, {3, 4}},    {{3}, {3, 4}},          {{2, 3}, {3}},             {{3}, {3}},
      {{2, 2, 3}, {3}},       {{3}, {2, 3, 4}},       {{1, 2, 3}, {2, 3, 2}},
  };
  for (const auto& [a, b] : cases) {
    INFO("A " << ShapeToString(a) << " B " << ShapeToString(b));
    CheckGradients({{"a", a}, {"b", b}}, [](GraphBuilder& g, auto& in) { return g.Op("MatMul", {in.at("a"), in.at("b")}); });
  }
}

TEST_CASE("autodiff: Add, Sub, Mul, Div with broadcasting reduce back to each input's shape", "[autodiff]") {
  const std::vector<std::pair<std::vector<int64_t>, std::vector<int64_t>>> shapes = {
      {{2, 3, 4}, {3, 1}}, {{1}, {2, 3}}, {{}, {2, 2}}, {{2, 1, 4}, {1, 3, 1}}, {{3, 4}, {3, 4}}};
  for (const char* op : {"Add", "Sub", "Mul", "Div"})
    for (const auto& [a, b] : shapes) {
      INFO(op << " A " << ShapeToString(a) << " B " << ShapeToString(b));
      const bool div = std::string(op) == "Div";
      CheckGradients({{"a", a}, {"b", b, div ? 0.5f : -2.0f, 2.0f}},
                     [op](GraphBuilder& g, auto& in) { return g.Op(op, {in.at("a"), in.at("b")}); });
    }
}

TEST_CASE("autodiff: pointwise ops", "[autodiff]") {
  struct Case {
    const char* op;
    float lo, hi;
    std::map<std::string, graph::Attribute> attrs;
  };
  const std::vector<Case> cases = {
      {"Neg", -2, 2, {}},        {"Relu", -2, 2, {}},  {"Sigmoid", -3, 3, {}},   {"Tanh", -2, 2, {}},
      {"Exp", -2, 1, {}},        {"Log", 0.5f, 3, {}}, {"Sqrt", 0.5f, 3, {}},    {"Erf", -2, 2, {}},
      {"Identity", -2, 2, {}},   {"LeakyRelu", -2, 2, {}}, {"LeakyRelu", -2, 2, {{"alpha", 0.3f}}},
      {"LeakyRelu", -2, 2, {{"alpha", -0.5f}}}, {"Gelu", -3, 3, {}},
      {"Gelu", -3, 3, {{"approximate", std::string("tanh")}}},
  };
  for (const Case& c : cases) {
    INFO(c.op);
    CheckGradients({{"x", {2, 5}, c.lo, c.hi}}, [&](GraphBuilder& g, auto& in) { return g.Op(c.op, {in.at("x")}, c.attrs); });
  }
}

TEST_CASE("autodiff: Softmax and LogSoftmax along each axis", "[autodiff]") {
  for (const char* op : {"Softmax", "LogSoftmax"})
    for (int64_t axis : {-1, 0, 1, 2}) {
      INFO(op << " axis " << axis);
      CheckGradients({{"x", {2, 3, 4}}}, [&](GraphBuilder& g, auto& in) { return g.Op(op, {in.at("x")}, {{"axis", axis}}); });
    }
}

TEST_CASE("autodiff: a value read several times adds up its gradients", "[autodiff]") {
  // y = x·x + tanh(x)·w + x: x is read four times, w broadcast.
  CheckGradients({{"x", {3, 4}}, {"w", {4}}}, [](GraphBuilder& g, auto& in) {
    const std::string& x = in.at("x");
    return g.Op("Add", {g.Op("Add", {g.Op("Mul", {x, x}), g.Op("Mul", {g.Op("Tanh", {x}), in.at("w")})}), x});
  });
}

TEST_CASE("autodiff: a value the loss does not depend on gets zeros", "[autodiff]") {
  graph::Graph g = WithLoss({{"x", {2, 3}}, {"unused", {4, 2}}},
                            [](GraphBuilder& b, auto& in) { return b.Op("Tanh", {in.at("x")}); });
  graph::AppendGradients(g, "loss", {"unused", "x"});
  graph::Model m;
  m.graph = std::move(g);
  Session s = detail::SessionFactory::FromModel(std::move(m), {.threads = 1}, "zeros");
  std::mt19937 rng(3);
  const auto out = s.Run({{"x", Random({2, 3}, rng, -1, 1)}, {"unused", Random({4, 2}, rng, -1, 1)},
                          {"r", Random({2, 3}, rng, -1, 1)}});
  REQUIRE(s.outputs()[2].name == "grad:unused");
  REQUIRE(out[2].shape() == std::vector<int64_t>{4, 2});
  for (float v : out[2].ToFloatVector()) CHECK(v == 0.0f);
}

TEST_CASE("autodiff: refuses a non-scalar or non-f32 loss and a wrt that is not an input", "[autodiff]") {
  graph::Graph g = WithLoss({{"x", {2, 3}}}, [](GraphBuilder& b, auto& in) { return b.Op("Tanh", {in.at("x")}); });
  graph::Graph copy = g;
  CHECK_THROWS_WITH(graph::AppendGradients(copy, "y", {"x"}), Catch::Contains("one element") && Catch::Contains("y"));
  copy = g;
  CHECK_THROWS_WITH(graph::AppendGradients(copy, "nope", {"x"}), Catch::Contains("nope"));
  copy = g;
  CHECK_THROWS_WITH(graph::AppendGradients(copy, "loss", {"y"}), Catch::Contains("'y'"));
}

TEST_CASE("autodiff: ops without a gradient rule are named once each, with their nodes", "[autodiff]") {
  graph::Graph g = WithLoss({{"x", {2, 3}}}, [](GraphBuilder& b, auto& in) {
    auto a = b.Op("AxonTestNoGradA", {in.at("x")}, {}, "a1");
    auto c = b.Op("AxonTestNoGradA", {a}, {}, "a2");
    return b.Op("Add", {b.Op("AxonTestNoGradB", {c}, {}, "b1"), b.Op("Tanh", {in.at("x")})});
  });
  try {
    graph::AppendGradients(g, "loss", {"x"});
    FAIL("no error");
  } catch (const Error& e) {
    const std::string m = e.what();
    INFO(m);
    CHECK(m.find("AxonTestNoGradA") != std::string::npos);
    CHECK(m.find("AxonTestNoGradA") == m.rfind("AxonTestNoGradA"));
    CHECK(m.find("'a1'") != std::string::npos);
    CHECK(m.find("'a2'") != std::string::npos);
    CHECK(m.find("AxonTestNoGradB") != std::string::npos);
    CHECK(m.find("'b1'") != std::string::npos);
  }
}

TEST_CASE("autodiff: only what leads from a wrt value to the loss is differentiated", "[autodiff]") {
  // x is data: the first layer's rule emits dW but no dX.
  graph::Graph g = WithLoss({{"x", {4, 3}}, {"w", {3, 2}}}, [](GraphBuilder& b, auto& in) {
    return b.Op("Gemm", {in.at("x"), in.at("w")}, {}, "fc");
  });
  graph::AppendGradients(g, "loss", {"w"});
  int grad_gemms = 0;
  for (const graph::Node& n : g.nodes) grad_gemms += n.op_type == "Gemm" && n.name.rfind("fc_grad/", 0) == 0;
  CHECK(grad_gemms == 1);
}

TEST_CASE("autodiff: one backward graph serves two batch sizes (symbolic batch dim)", "[autodiff]") {
  const Dim batch = Dim::Symbol("batch");
  auto ins_for = [&](int64_t n) {
    return std::vector<In>{{"x", {n, 3}, -2, 2, true, {batch, 3}}, {"w1", {3, 4}}, {"b1", {4}}, {"w2", {4, 2}},
                           {"b2", {2}}};
  };
  const BuildFn mlp = [](GraphBuilder& b, auto& in) {
    auto h = b.Op("Tanh", {b.Op("Add", {b.Op("MatMul", {in.at("x"), in.at("w1")}), in.at("b1")})});
    auto z = b.Op("Add", {b.Op("MatMul", {h, in.at("w2")}), in.at("b2")});
    return b.Op("LogSoftmax", {b.Op("Reshape", {z, Ints(b, "shape", {0, -1})})});
  };
  Compiled c = Compile(ins_for(2), mlp);
  CheckOnce(c, ins_for(2), 5);
  CheckOnce(c, ins_for(5), 6);
  CheckOnce(c, ins_for(1), 7);
}

TEST_CASE("autodiff: Pow with a constant, an integer or a general exponent", "[autodiff]") {
  for (float p : {2.0f, 3.0f, 0.5f, -1.5f, 1.0f}) {
    INFO("exponent " << p);
    CheckGradients({{"x", {2, 3}, 0.5f, 2.0f}}, [p](GraphBuilder& g, auto& in) {
      return g.Op("Pow", {in.at("x"), g.Weight("p", Tensor::FromVector(std::vector<float>{p}, {}))});
    });
  }
  CheckGradients({{"x", {2, 3}, 0.5f, 2.0f}}, [](GraphBuilder& g, auto& in) {
    return g.Op("Pow", {in.at("x"), g.Weight("p", Tensor::FromVector(std::vector<int64_t>{3}, {}))});
  });
  // Both differentiated, the exponent broadcast.
  CheckGradients({{"x", {2, 3}, 0.5f, 2.0f}, {"e", {3}, -1.0f, 2.0f}},
                 [](GraphBuilder& g, auto& in) { return g.Op("Pow", {in.at("x"), in.at("e")}); });
}

TEST_CASE("autodiff: Reshape, Flatten, Transpose, Squeeze, Unsqueeze", "[autodiff]") {
  CheckGradients({{"x", {2, 3, 4}}}, [](GraphBuilder& g, auto& in) {
    return g.Op("Reshape", {in.at("x"), Ints(g, "s", {4, -1})});
  });
  for (int64_t axis : {0, 1, 2, 3, -1}) {
    INFO("Flatten axis " << axis);
    CheckGradients({{"x", {2, 3, 4}}}, [axis](GraphBuilder& g, auto& in) { return g.Op("Flatten", {in.at("x")}, {{"axis", axis}}); });
  }
  CheckGradients({{"x", {2, 3, 4}}}, [](GraphBuilder& g, auto& in) {
    return g.Op("Transpose", {in.at("x")}, {{"perm", std::vector<int64_t>{1, 2, 0}}});
  });
  CheckGradients({{"x", {2, 3, 4}}}, [](GraphBuilder& g, auto& in) { return g.Op("Transpose", {in.at("x")}); });
  CheckGradients({{"x", {2, 1, 4, 1}}}, [](GraphBuilder& g, auto& in) {
    return g.Op("Squeeze", {in.at("x"), Ints(g, "axes", {1, -1})});
  });
  CheckGradients({{"x", {2, 4}}}, [](GraphBuilder& g, auto& in) {
    return g.Op("Unsqueeze", {in.at("x"), Ints(g, "axes", {0, 2})});
  });
}

TEST_CASE("autodiff: ReduceSum and ReduceMean over axes, with and without keepdims", "[autodiff]") {
  struct Case {
    std::vector<int64_t> axes;
    int64_t keepdims;
  };
  for (const Case& c : {Case{{1}, 1}, Case{{1}, 0}, Case{{0, 2}, 0}, Case{{-1}, 1}, Case{{}, 0}, Case{{}, 1}}) {
    INFO("axes " << ShapeToString(c.axes) << " keepdims " << c.keepdims);
    CheckGradients({{"x", {2, 3, 4}}}, [&](GraphBuilder& g, auto& in) {
      std::vector<std::string> args = {in.at("x")};
      if (!c.axes.empty()) args.push_back(Ints(g, "axes", c.axes));
      return g.Op("ReduceSum", args, {{"keepdims", c.keepdims}});
    });
    CheckGradients({{"x", {2, 3, 4}}}, [&](GraphBuilder& g, auto& in) {
      std::map<std::string, graph::Attribute> attrs = {{"keepdims", c.keepdims}};
      if (!c.axes.empty()) attrs["axes"] = c.axes;
      return g.Op("ReduceMean", {in.at("x")}, attrs);
    });
  }
  // noop_with_empty_axes: the identity.
  CheckGradients({{"x", {2, 3}}}, [](GraphBuilder& g, auto& in) {
    return g.Op("ReduceSum", {in.at("x")}, {{"noop_with_empty_axes", int64_t{1}}});
  });
}

TEST_CASE("autodiff: Concat, Split (an output unused) and Slice", "[autodiff]") {
  CheckGradients({{"a", {2, 3}}, {"b", {2, 1}}, {"c", {2, 2}}}, [](GraphBuilder& g, auto& in) {
    return g.Op("Concat", {in.at("a"), in.at("b"), in.at("c")}, {{"axis", int64_t{1}}});
  });
  CheckGradients({{"x", {6, 2}}}, [](GraphBuilder& g, auto& in) {
    const auto parts = g.OpN("Split", {in.at("x"), Ints(g, "split", {1, 3, 2})}, 3, {{"axis", int64_t{0}}});
    return g.Op("Add", {g.Op("Tanh", {parts[0]}), g.Op("Mul", {parts[2], parts[2]})});  // parts[1] unused
  });
  CheckGradients({{"x", {4, 5}}}, [](GraphBuilder& g, auto& in) {
    return g.Op("Slice", {in.at("x"), Ints(g, "starts", {1, -4}), Ints(g, "ends", {3, 100}), Ints(g, "axes", {0, 1})});
  });
  CheckGradients({{"x", {4, 5}}}, [](GraphBuilder& g, auto& in) {
    return g.Op("Slice", {in.at("x"), Ints(g, "starts", {2}), Ints(g, "ends", {-1})});
  });
  // Steps: every second row from 1, every third column from 0 (the last stride runs past the end).
  CheckGradients({{"x", {2, 6, 7}}}, [](GraphBuilder& g, auto& in) {
    return g.Op("Slice", {in.at("x"), Ints(g, "starts", {1, 0}), Ints(g, "ends", {100, 7}), Ints(g, "axes", {1, 2}),
                          Ints(g, "steps", {2, 3})});
  });
  CheckGradients({{"x", {5, 4}}}, [](GraphBuilder& g, auto& in) {
    return g.Op("Slice", {in.at("x"), Ints(g, "starts", {0}), Ints(g, "ends", {4}), Ints(g, "axes", {0}),
                          Ints(g, "steps", {3})});
  });
}

TEST_CASE("autodiff: shape-dependent rules with a symbolic batch dim (Concat, ReduceMean over the batch, "
          "Flatten, SumTo over the batch)", "[autodiff]") {
  const Dim batch = Dim::Symbol("batch");
  auto ins_for = [&](int64_t n) {
    return std::vector<In>{{"x", {n, 2, 3}, -2, 2, true, {batch, 2, 3}}, {"z", {n, 1, 3}, -2, 2, true, {batch, 1, 3}},
                           {"w", {2, 3}}};
  };
  const BuildFn build = [](GraphBuilder& b, auto& in) {
    auto xw = b.Op("Mul", {in.at("x"), in.at("w")});                              // w summed over the batch
    auto cat = b.Op("Concat", {xw, in.at("z")}, {{"axis", int64_t{1}}});         // [batch, 3, 3]
    auto mean = b.Op("ReduceMean", {cat}, {{"axes", std::vector<int64_t>{0}}});  // over the batch
    return b.Op("Add", {b.Op("Flatten", {cat}), b.Op("Flatten", {mean})});
  };
  Compiled c = Compile(ins_for(2), build);
  CheckOnce(c, ins_for(2), 8);
  CheckOnce(c, ins_for(3), 9);
  // Concat along the symbolic dim itself: the Split sizes come from Shape nodes.
  auto ins2 = [&](int64_t n, int64_t m) {
    return std::vector<In>{{"x", {n, 3}, -2, 2, true, {batch, 3}}, {"v", {m, 3}, -2, 2, true, {Dim::Symbol("m"), 3}}};
  };
  const BuildFn build2 = [](GraphBuilder& b, auto& in) {
    return b.Op("Tanh", {b.Op("Concat", {in.at("x"), in.at("v")}, {{"axis", int64_t{0}}})});
  };
  Compiled c2 = Compile(ins2(2, 1), build2);
  CheckOnce(c2, ins2(2, 1), 10);
  CheckOnce(c2, ins2(1, 3), 11);
}

TEST_CASE("autodiff: Slice with negative steps, and on a dim known only to the plan; Pad with computed pads",
          "[autodiff]") {
  // A reversal, and every second column backwards from the last.
  CheckGradients({{"x", {3, 5}}}, [](GraphBuilder& g, auto& in) {
    return g.Op("Slice", {in.at("x"), Ints(g, "starts", {-1, 4}), Ints(g, "ends", {-100, -100}), Ints(g, "axes", {0, 1}),
                          Ints(g, "steps", {-1, -2})});
  });
  // The sliced dim is symbolic (the batch, or a dim after one F.pad's runtime pads made): only a
  // plan knows its size. One backward graph serves both sizes.
  const Dim n = Dim::Symbol("n");
  auto ins = [&](int64_t rows) { return std::vector<In>{{"x", {rows, 6}, -2, 2, true, {n, 6}}}; };
  const BuildFn slice = [](GraphBuilder& g, auto& in) {
    return g.Op("Slice", {in.at("x"), Ints(g, "starts", {1, 2}), Ints(g, "ends", {-1, 100}), Ints(g, "axes", {0, 1})});
  };
  Compiled c = Compile(ins(4), slice);
  CheckOnce(c, ins(4), 3);
  CheckOnce(c, ins(7), 4);
  // Pads that are a node's output (as F.pad exports them), then a slice of the padded dim.
  const BuildFn pad = [](GraphBuilder& g, auto& in) {
    const std::string pads = g.Op("Add", {Ints(g, "pads0", {0, 1, 0, 2}), Ints(g, "zero", {0, 0, 0, 0})});
    const std::string padded = g.Op("Pad", {in.at("x"), pads});
    return g.Op("Slice", {padded, Ints(g, "starts", {0}), Ints(g, "ends", {7}), Ints(g, "axes", {1})});
  };
  Compiled p = Compile(ins(2), pad);
  CheckOnce(p, ins(2), 5);
  CheckOnce(p, ins(5), 6);
}

TEST_CASE("autodiff: LayerNormalization (X, Scale, B) and GlobalAveragePool", "[autodiff]") {
  for (int64_t axis : {-1, 1}) {
    INFO("axis " << axis);
    CheckGradients({{"x", {2, 3, 4}}, {"scale", {4}}, {"b", {4}}}, [axis](GraphBuilder& g, auto& in) {
      auto s = axis == 1 ? g.Op("Reshape", {in.at("scale"), Ints(g, "s", {1, 4})}) : in.at("scale");
      return g.Op("LayerNormalization", {in.at("x"), s, in.at("b")}, {{"axis", axis}, {"epsilon", 1e-3f}});
    });
  }
  CheckGradients({{"x", {2, 5}}, {"scale", {5}}}, [](GraphBuilder& g, auto& in) {
    return g.Op("LayerNormalization", {in.at("x"), in.at("scale")});
  });
  CheckGradients({{"x", {2, 3, 2, 3}}}, [](GraphBuilder& g, auto& in) { return g.Op("GlobalAveragePool", {in.at("x")}); });
}

TEST_CASE("autodiff: Gather adds each picked row's gradient back (repeated and negative indices)", "[autodiff]") {
  for (int64_t axis : {0, 1, -1}) {
    INFO("axis " << axis);
    CheckGradients({{"x", {3, 4, 2}}}, [axis](GraphBuilder& g, auto& in) {
      auto idx = g.Weight("idx", Tensor::FromVector(std::vector<int64_t>{1, -1, 1, 0, 0, 1}, {2, 3}));
      return g.Op("Gather", {in.at("x"), idx}, {{"axis", axis}});
    });
  }
  CheckGradients({{"x", {5, 3}}}, [](GraphBuilder& g, auto& in) {
    auto idx = g.Weight("idx", Tensor::FromVector(std::vector<int32_t>{4, 4, 2}, {3}));
    return g.Op("Gather", {in.at("x"), idx});
  });
}

TEST_CASE("autodiff: MaxPool and AveragePool (strides, pads, dilations, count_include_pad, 1-D to 3-D)", "[autodiff]") {
  using Attrs = std::map<std::string, graph::Attribute>;
  using V = std::vector<int64_t>;
  struct Case {
    V x;
    Attrs attrs;
  };
  const std::vector<Case> cases = {
      {{2, 2, 5, 5}, {{"kernel_shape", V{2, 2}}}},
      {{1, 2, 5, 6}, {{"kernel_shape", V{3, 3}}, {"strides", V{2, 2}}, {"pads", V{1, 1, 1, 1}}}},
      {{1, 1, 7}, {{"kernel_shape", V{3}}, {"strides", V{1}}, {"pads", V{2, 1}}}},
      {{1, 1, 3, 4, 4}, {{"kernel_shape", V{2, 2, 2}}, {"strides", V{1, 2, 1}}}},
  };
  for (const Case& c : cases)
    for (const char* op : {"MaxPool", "AveragePool"})
      for (int include_pad = 0; include_pad < 2; ++include_pad) {
        Attrs attrs = c.attrs;
        if (std::string(op) == "AveragePool") {
          attrs["count_include_pad"] = int64_t{include_pad};
        } else if (include_pad) {
          if (c.x.size() != 4) continue;
          attrs["dilations"] = V{2, 1};  // MaxPool's second variant: dilated
        }
        INFO(op << " X " << ShapeToString(c.x) << " variant " << include_pad);
        CheckGradients({{"x", c.x}}, [&](GraphBuilder& g, auto& in) { return g.Op(op, {in.at("x")}, attrs); });
      }
}

TEST_CASE("autodiff: Conv (X, W, B) with strides, pads, dilations and groups, 1-D to 3-D", "[autodiff]") {
  using Attrs = std::map<std::string, graph::Attribute>;
  using V = std::vector<int64_t>;
  struct Case {
    V x, w;
    Attrs attrs;
    bool bias;
  };
  const std::vector<Case> cases = {
      {{2, 3, 5, 5}, {4, 3, 3, 3}, {}, true},
      {{1, 2, 6, 5}, {3, 2, 3, 2}, {{"strides", V{2, 2}}, {"pads", V{1, 0, 1, 1}}}, true},
      {{1, 4, 7, 7}, {4, 2, 3, 3}, {{"group", int64_t{2}}, {"dilations", V{2, 1}}, {"pads", V{1, 1, 1, 1}}}, false},
      {{2, 2, 8}, {3, 2, 3}, {{"strides", V{3}}, {"pads", V{2, 0}}}, true},
      {{1, 1, 3, 4, 4}, {2, 1, 2, 2, 2}, {{"strides", V{1, 2, 1}}}, true},
      {{1, 2, 5, 5}, {2, 2, 3, 3}, {{"auto_pad", std::string("SAME_UPPER")}, {"strides", V{2, 2}}}, false},
  };
  for (const Case& c : cases) {
    INFO("X " << ShapeToString(c.x) << " W " << ShapeToString(c.w));
    std::vector<In> ins = {{"x", c.x}, {"w", c.w}};
    if (c.bias) ins.push_back({"b", {c.w[0]}});
    CheckGradients(ins, [&](GraphBuilder& g, auto& in) {
      std::vector<std::string> args = {in.at("x"), in.at("w")};
      if (c.bias) args.push_back(in.at("b"));
      return g.Op("Conv", args, c.attrs);
    });
  }
}

TEST_CASE("autodiff: initializers as the values differentiated for give the same gradients as inputs", "[autodiff]") {
  std::mt19937 rng(12);
  const Tensor x = Random({3, 4}, rng, -1, 1), w = Random({4, 2}, rng, -1, 1), b = Random({2}, rng, -1, 1),
               r = Random({3, 2}, rng, -1, 1);
  auto run = [&](bool weights_as_inputs) {
    GraphBuilder g("init");
    auto xi = g.Input("x", DType::kF32, Shape({3, 4}));
    auto wi = weights_as_inputs ? g.Input("w", DType::kF32, Shape({4, 2})) : g.Weight("w", w);
    auto bi = weights_as_inputs ? g.Input("b", DType::kF32, Shape({2})) : g.Weight("b", b);
    auto ri = g.Input("r", DType::kF32, Shape({3, 2}));
    auto y = g.Op("Sigmoid", {g.Op("Gemm", {xi, wi, bi})});
    g.Output(g.Op("ReduceSum", {g.Op("Mul", {y, ri})}, {{"keepdims", int64_t{0}}}), "loss");
    graph::Model m;
    m.graph = g.Build();
    const auto names = graph::AppendGradients(m.graph, "loss", {"w", "b"});
    CHECK(names == std::vector<std::string>{"grad:w", "grad:b"});
    Session s = detail::SessionFactory::FromModel(std::move(m), {.threads = 1}, "init");
    std::vector<NamedTensor> feeds = {{"x", x}, {"r", r}};
    if (weights_as_inputs) {
      feeds.push_back({"w", w});
      feeds.push_back({"b", b});
    }
    return s.Run(feeds);
  };
  const auto as_inputs = run(true), as_initializers = run(false);
  for (std::size_t i = 1; i < 3; ++i) CHECK(as_inputs[i].ToFloatVector() == as_initializers[i].ToFloatVector());
}

TEST_CASE("autodiff: Abs, Reciprocal, Softplus, Elu, Selu, HardSigmoid, HardSwish, Clip", "[autodiff]") {
  struct Case {
    const char* op;
    float lo, hi;
    std::map<std::string, graph::Attribute> attrs;
  };
  const std::vector<Case> cases = {
      {"Abs", -2, 2, {}},         {"Reciprocal", 0.5f, 2, {}}, {"Softplus", -3, 3, {}},
      {"Elu", -2, 2, {}},         {"Elu", -2, 2, {{"alpha", 0.5f}}}, {"Selu", -2, 2, {}},
      {"HardSigmoid", -4, 4, {}}, {"HardSwish", -5, 5, {}},
  };
  for (const Case& c : cases) {
    INFO(c.op);
    CheckGradients({{"x", {3, 7}, c.lo, c.hi}}, [&](GraphBuilder& g, auto& in) { return g.Op(c.op, {in.at("x")}, c.attrs); });
  }
  CheckGradients({{"x", {3, 7}}}, [](GraphBuilder& g, auto& in) {
    auto lo = g.Weight("lo", Tensor::FromVector(std::vector<float>{-0.5f}, {}));
    auto hi = g.Weight("hi", Tensor::FromVector(std::vector<float>{1.0f}, {}));
    return g.Op("Add", {g.Op("Clip", {in.at("x"), lo, hi}), g.Op("Clip", {in.at("x"), "", hi})});
  });
}

TEST_CASE("autodiff: PRelu, Where, Expand, Pad, Cast, ReduceMax, BatchNormalization", "[autodiff]") {
  CheckGradients({{"x", {2, 3, 4}}, {"slope", {3, 1}}}, [](GraphBuilder& g, auto& in) {
    return g.Op("PRelu", {in.at("x"), in.at("slope")});
  });
  CheckGradients({{"a", {2, 3}}, {"b", {3}}, {"c", {2, 3}, -1, 1, false}}, [](GraphBuilder& g, auto& in) {
    return g.Op("Where", {g.Op("Greater", {in.at("c"), g.Weight("zero", Tensor::FromVector(std::vector<float>{0}, {}))}),
                          in.at("a"), in.at("b")});
  });
  CheckGradients({{"x", {3, 1}}}, [](GraphBuilder& g, auto& in) {
    return g.Op("Expand", {in.at("x"), Ints(g, "shape", {2, 3, 4})});
  });
  CheckGradients({{"x", {3, 4}}}, [](GraphBuilder& g, auto& in) {
    return g.Op("Pad", {in.at("x"), Ints(g, "pads", {1, -1, 0, 2})});
  });
  CheckGradients({{"x", {3, 4}}}, [](GraphBuilder& g, auto& in) {
    return g.Op("Cast", {in.at("x")}, {{"to", int64_t{1}}});
  });
  for (int64_t keepdims : {0, 1}) {
    CheckGradients({{"x", {3, 4, 2}}}, [keepdims](GraphBuilder& g, auto& in) {
      return g.Op("ReduceMax", {in.at("x")}, {{"axes", std::vector<int64_t>{1}}, {"keepdims", keepdims}});
    });
  }
  // Ties share the gradient: max of [x, x] over the pair.
  CheckGradients({{"x", {3}}}, [](GraphBuilder& g, auto& in) {
    return g.Op("ReduceMax", {g.Op("Concat", {g.Op("Unsqueeze", {in.at("x"), Ints(g, "a0", {0})}),
                                              g.Op("Unsqueeze", {in.at("x"), Ints(g, "a1", {0})})},
                                       {{"axis", int64_t{0}}})},
                    {{"axes", std::vector<int64_t>{0}}});
  });
  for (const std::vector<int64_t>& shape : {std::vector<int64_t>{2, 3, 2, 2}, std::vector<int64_t>{4, 3}}) {
    CheckGradients({{"x", shape}, {"scale", {3}}, {"b", {3}}, {"mean", {3}, -1, 1, false}, {"var", {3}, 0.5f, 2, false}},
                   [](GraphBuilder& g, auto& in) {
                     return g.Op("BatchNormalization",
                                 {in.at("x"), in.at("scale"), in.at("b"), in.at("mean"), in.at("var")});
                   });
  }
}

TEST_CASE("autodiff: BatchNormalization in training mode, through the batch statistics", "[autodiff][batchnorm]") {
  // BatchNorm2d's [N, C, H, W] and BatchNorm1d's [N, C]; a loss weighting each output differently
  // makes the terms through the mean and the variance matter (Σ dY alone would cancel them).
  for (const std::vector<int64_t>& shape : {std::vector<int64_t>{3, 2, 2, 3}, std::vector<int64_t>{5, 3}}) {
    const int64_t c = shape[1];
    CheckGradients({{"x", shape}, {"scale", {c}, 0.5f, 2.0f}, {"b", {c}}, {"mean", {c}, -1, 1, false}, {"var", {c}, 0.5f, 2, false}},
                   [](GraphBuilder& g, auto& in) {
                     return g.Op("BatchNormalization", {in.at("x"), in.at("scale"), in.at("b"), in.at("mean"), in.at("var")},
                                 {{"training_mode", int64_t{1}}});
                   });
  }
}

TEST_CASE("autodiff: ConvTranspose (X, W, B) with strides, pads, output_padding, dilations and groups", "[autodiff]") {
  using Attrs = std::map<std::string, graph::Attribute>;
  using V = std::vector<int64_t>;
  struct Case {
    V x, w;
    Attrs attrs;
    bool bias;
  };
  const std::vector<Case> cases = {
      {{2, 3, 3, 3}, {3, 2, 3, 3}, {}, true},
      {{1, 2, 3, 4}, {2, 3, 3, 2}, {{"strides", V{2, 2}}, {"pads", V{1, 0, 1, 1}}, {"output_padding", V{1, 0}}}, true},
      {{1, 4, 3, 3}, {4, 1, 2, 3}, {{"group", int64_t{2}}, {"dilations", V{2, 1}}}, false},
      {{2, 2, 4}, {2, 2, 3}, {{"strides", V{3}}, {"pads", V{2, 0}}, {"output_padding", V{2}}}, true},
  };
  for (const Case& c : cases) {
    INFO("X " << ShapeToString(c.x) << " W " << ShapeToString(c.w));
    std::vector<In> ins = {{"x", c.x}, {"w", c.w}};
    const int64_t group = c.attrs.count("group") ? std::get<int64_t>(c.attrs.at("group")) : 1;
    if (c.bias) ins.push_back({"b", {c.w[1] * group}});
    CheckGradients(ins, [&](GraphBuilder& g, auto& in) {
      std::vector<std::string> args = {in.at("x"), in.at("w")};
      if (c.bias) args.push_back(in.at("b"));
      return g.Op("ConvTranspose", args, c.attrs);
    });
  }
}

TEST_CASE("autodiff: gradients do not depend on the thread count", "[autodiff]") {
  std::mt19937 rng(13);
  const int64_t batch = 96;
  std::vector<NamedTensor> feeds = {{"x", Random({batch, 64}, rng, -1, 1)},  {"w1", Random({64, 128}, rng, -0.2f, 0.2f)},
                                    {"b1", Random({128}, rng, -1, 1)},         {"w2", Random({10, 128}, rng, -0.2f, 0.2f)},
                                    {"b2", Random({10}, rng, -1, 1)},          {"r", Random({batch, 10}, rng, -1, 1)}};
  auto run = [&](int threads) {
    GraphBuilder g("threads");
    std::map<std::string, std::string> in;
    for (const auto& [name, t] : feeds) {
      std::vector<Dim> dims(t.shape().begin(), t.shape().end());
      in[name] = g.Input(name, DType::kF32, Shape(dims));
    }
    auto h = g.Op("Tanh", {g.Op("Gemm", {in["x"], in["w1"], in["b1"]})});
    auto z = g.Op("LogSoftmax", {g.Op("Gemm", {h, in["w2"], in["b2"]}, {{"transB", int64_t{1}}})});
    g.Output(g.Op("ReduceSum", {g.Op("Mul", {z, in["r"]})}, {{"keepdims", int64_t{0}}}), "loss");
    graph::Model m;
    m.graph = g.Build();
    graph::AppendGradients(m.graph, "loss", {"w1", "b1", "w2", "b2"});
    Session s = detail::SessionFactory::FromModel(std::move(m), {.threads = threads}, "threads");
    return s.Run(feeds);
  };
  const auto one = run(1), two = run(2);
  REQUIRE(one.size() == 5);
  for (std::size_t i = 0; i < one.size(); ++i) CHECK(one[i].ToFloatVector() == two[i].ToFloatVector());
}
