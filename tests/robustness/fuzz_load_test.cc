// Deterministic fuzzing of the whole load -> verify -> infer -> compile -> run path.
//
// A few valid models are mutated many times, with fixed seeds: field-level edits on the IR
// (dims set to huge or unknown values, op types swapped, inputs renamed or dropped, attributes of
// the wrong type or range, nodes duplicated or deleted, outputs pointed anywhere) and then
// byte-level edits on the serialized file (bit flips, truncation, spliced bytes). Every mutant
// must either load, or fail with an axon::Error that names the file; one that loads is run on
// random inputs that mostly match its declared inputs, and the run must either succeed or fail
// the same way. Anything else (another exception, an internal error, a crash or a sanitizer
// report) is a bug; the failing case's seed is printed so it can be replayed alone.
//
// AXON_FUZZ_ITERATIONS=N runs N mutants per seed model instead of the default, and
// AXON_FUZZ_VERBOSE=1 prints each case before it runs (to find one that crashes the process).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "formats/npy.h"
#include "graph/builder.h"
#include "graph/op_schema.h"
#include "tests/robustness/hostile_model_util.h"

using namespace axon;
using graph::Dim;
using graph::Shape;

namespace {

constexpr const char* kFuzzOrigin = "fuzz.axon";

// ---------------------------------------------------------------------------------------------
// Seed models: valid, small, and together using every op, broadcasting, symbolic dims, a
// shape computed at run time, an omitted optional input and an output that is also an input.

Tensor RandomF32(std::mt19937_64& rng, std::vector<int64_t> shape) {
  Tensor t = Tensor::Zeros(DType::kF32, std::move(shape));
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (int64_t i = 0; i < t.size(); ++i) t.data<float>()[i] = normal(rng);
  return t;
}

Tensor I64(std::vector<int64_t> v) {
  const auto n = static_cast<int64_t>(v.size());
  return Tensor::FromVector(v, {n});
}

graph::Model Wrap(graph::Graph g) {
  graph::Model m;
  m.graph = std::move(g);
  return m;
}

graph::Model MlpModel() {
  std::mt19937_64 rng(1);
  graph::GraphBuilder b("mlp");
  auto x = b.Input("x", DType::kF32, Shape({Dim::Symbol("batch"), 4}));
  auto h = b.Op("Gemm", {x, b.Weight("w1", RandomF32(rng, {8, 4})), b.Weight("b1", RandomF32(rng, {8}))},
                {{"transB", int64_t{1}}, {"alpha", 0.5f}}, "fc1");
  h = b.Op("Relu", {h}, {}, "relu");
  h = b.Op("Gemm", {h, b.Weight("w2", RandomF32(rng, {8, 3})), ""}, {{"beta", 2.0f}}, "fc2");
  b.Output(b.Op("Softmax", {h}, {{"axis", int64_t{1}}}, "softmax"), "y");
  return Wrap(b.Build());
}

graph::Model ShapeOpsModel() {
  std::mt19937_64 rng(2);
  graph::GraphBuilder b("shape_ops");
  auto x = b.Input("x", DType::kF32, Shape({2, 3, 4}));
  auto t = b.Op("Transpose", {x}, {{"perm", std::vector<int64_t>{0, 2, 1}}}, "transpose");  // [2,4,3]
  auto r = b.Op("Reshape", {t, b.Weight("shape", I64({-1, 3}))}, {}, "reshape");          // [8,3]
  auto f = b.Op("Flatten", {r}, {{"axis", int64_t{1}}}, "flatten");                        // [8,3]
  auto m = b.Op("MatMul", {f, b.Weight("w", RandomF32(rng, {3, 5}))}, {}, "matmul");       // [8,5]
  b.Output(b.Op("LogSoftmax", {m}, {{"axis", int64_t{0}}}, "logsoftmax"), "y");
  b.Output(b.Op("Identity", {t}, {}, "identity"), "t");
  return Wrap(b.Build());
}

graph::Model BroadcastModel() {
  std::mt19937_64 rng(3);
  graph::GraphBuilder b("broadcast");
  auto a = b.Input("a", DType::kF32, Shape({Dim::Symbol("n"), 1, 4}));
  auto c = b.Input("c", DType::kF32, Shape({3, 1}));
  auto s = b.Input("s", DType::kI64, Shape({2}));
  auto v = b.Op("Add", {a, c}, {}, "add");                                          // [n,3,4]
  v = b.Op("Mul", {v, b.Weight("scale", RandomF32(rng, {4}))}, {}, "mul");
  v = b.Op("Sub", {v, a}, {}, "sub");
  v = b.Op("Div", {v, b.Weight("denominator", RandomF32(rng, {1, 1, 1}))}, {}, "div");
  v = b.Op("Tanh", {b.Op("Sigmoid", {v}, {}, "sigmoid")}, {}, "tanh");
  b.Output(b.Op("Reshape", {v, s}, {}, "reshape"), "y");  // shape known only at run time
  b.Output(c);                                             // an output that is a graph input
  return Wrap(b.Build());
}

graph::Model BatchedMatMulModel() {
  std::mt19937_64 rng(4);
  graph::GraphBuilder b("batched");
  auto a = b.Input("a", DType::kF32, Shape({2, Dim::Symbol("m"), 3, 4}));
  auto bb = b.Input("b", DType::kF32, Shape({4}));
  auto y = b.Op("MatMul", {a, b.Weight("w", RandomF32(rng, {1, 4, 5}))}, {}, "mm");  // [2,m,3,5]
  auto v = b.Op("MatMul", {a, bb}, {}, "mv");                                         // [2,m,3]
  b.Output(y, "y");
  b.Output(b.Op("Softmax", {v}, {}, "softmax"), "z");
  b.Output(b.Op("Gemm", {b.Weight("p", RandomF32(rng, {5, 2})), b.Weight("q", RandomF32(rng, {5, 3})),
                         b.Weight("bias", RandomF32(rng, {1}))},
                {{"transA", int64_t{1}}}, "const_gemm"),
           "k");  // a node with constant inputs only
  return Wrap(b.Build());
}

// ---------------------------------------------------------------------------------------------
// Mutations.

class Mutator {
 public:
  explicit Mutator(uint64_t seed) : rng_(seed) {}

  std::size_t Below(std::size_t n) { return n == 0 ? 0 : std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_); }
  bool OneIn(std::size_t n) { return Below(n) == 0; }
  template <class T> const T& Pick(const std::vector<T>& v) { return v[Below(v.size())]; }

  int64_t InterestingInt() {
    static const std::vector<int64_t> kInts = {
        0, 1, 2, 3, 4, 5, -1, -2, 7, 64, 65, 1000, int64_t{1} << 31, int64_t{1} << 40, int64_t{1} << 60,
        int64_t{1} << 62, std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()};
    return Pick(kInts);
  }
  Dim InterestingDim() {
    switch (Below(4)) {
      case 0: return Dim();
      case 1: return Dim::Symbol(Pick(std::vector<std::string>{"batch", "n", "m", "fresh"}));
      default: {
        const int64_t v = InterestingInt();
        return v >= 0 ? Dim(v) : Dim();
      }
    }
  }
  Shape InterestingShape() {
    if (OneIn(6)) return Shape::UnknownRank();
    std::vector<Dim> dims(Below(5));
    for (Dim& d : dims) d = OneIn(2) ? Dim(static_cast<int64_t>(Below(4))) : InterestingDim();
    return Shape(std::move(dims));
  }
  // A small tensor of any dtype; i64 values are the kind a Reshape shape tensor might hold.
  Tensor SmallTensor() {
    std::vector<int64_t> shape(Below(4));
    for (int64_t& d : shape) d = static_cast<int64_t>(Below(4));
    if (OneIn(3)) {
      Tensor t = Tensor::Zeros(DType::kI64, shape);
      for (int64_t i = 0; i < t.size(); ++i)
        t.data<int64_t>()[i] = OneIn(2) ? static_cast<int64_t>(Below(5)) - 1 : InterestingInt();
      return t;
    }
    if (OneIn(8)) {  // an empty tensor with a large dim: legal, and a stress for stride arithmetic
      shape.insert(shape.begin() + static_cast<std::ptrdiff_t>(Below(shape.size() + 1)), 0);
      shape.push_back(int64_t{1} << 30);
    }
    Tensor t = Tensor::Zeros(DType::kF32, shape);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (int64_t i = 0; i < t.size(); ++i) t.data<float>()[i] = normal(rng_);
    return t;
  }
  graph::Attribute InterestingAttr() {
    switch (Below(6)) {
      case 0:
      case 1: return InterestingInt();
      case 2: return Pick(std::vector<float>{0.0f, 1.0f, -1.0f, std::nanf(""), std::numeric_limits<float>::infinity()});
      case 3: return std::string(Pick(std::vector<std::string>{"", "last", "\xce\xbb"}));
      case 4: {
        std::vector<int64_t> v(Below(6));
        for (int64_t& x : v) x = OneIn(3) ? InterestingInt() : static_cast<int64_t>(Below(5));
        if (OneIn(10)) v.assign(100 + Below(100), 0);
        return v;
      }
      default: return std::vector<float>(Below(3), 1.0f);
    }
  }

  // Every value name in the graph, for rewiring edges.
  static std::vector<std::string> ValueNames(const graph::Graph& g) {
    std::vector<std::string> names;
    for (const auto& v : g.inputs) names.push_back(v.name);
    for (const auto& [name, t] : g.initializers) names.push_back(name);
    for (const auto& n : g.nodes) names.insert(names.end(), n.outputs.begin(), n.outputs.end());
    return names;
  }

  // One field-level edit; returns what it did, for the failure report.
  std::string MutateModel(graph::Model& m) {
    graph::Graph& g = m.graph;
    std::vector<std::string> values = ValueNames(g);
    values.push_back("");
    values.push_back("nowhere");
    // Weighted towards edits that keep the graph well-formed, so that most mutants get past the
    // structural checks into shape inference, compilation and kernels.
    static const std::vector<int> kKinds = {0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 4, 5, 6, 6, 6,
                                            7, 7, 7, 8, 9, 10, 11, 11, 12, 13, 14, 14, 14, 15, 15, 15};
    switch (Pick(kKinds)) {
      case 0: {  // a dim of a graph input
        if (g.inputs.empty()) return "no input to edit";
        graph::ValueInfo& in = g.inputs[Below(g.inputs.size())];
        if (!in.shape.has_rank() || in.shape.rank() == 0) {
          in.shape = InterestingShape();
        } else {
          std::vector<Dim> dims = in.shape.dims();
          dims[Below(dims.size())] = InterestingDim();
          in.shape = Shape(std::move(dims));
        }
        return "input '" + in.name + "' shape " + in.shape.ToString();
      }
      case 1: {  // a graph input's whole type
        if (g.inputs.empty()) return "no input to edit";
        graph::ValueInfo& in = g.inputs[Below(g.inputs.size())];
        in.shape = InterestingShape();
        if (OneIn(3)) in.dtype = in.dtype == DType::kF32 ? DType::kI64 : DType::kF32;
        return "input '" + in.name + "' type " + in.ToString();
      }
      case 2: {  // an initializer's value
        if (g.initializers.empty()) return "no initializer";
        auto it = std::next(g.initializers.begin(), static_cast<std::ptrdiff_t>(Below(g.initializers.size())));
        it->second = SmallTensor();
        return "initializer '" + it->first + "' " + std::string(DTypeName(it->second.dtype())) +
               ShapeToString(it->second.shape());
      }
      case 3: {  // an op type
        if (g.nodes.empty()) return "no node";
        graph::Node& n = g.nodes[Below(g.nodes.size())];
        std::vector<std::string> ops;
        for (const std::string& op : graph::RegisteredOps())
          if (op.rfind("AxonTest", 0) != 0) ops.push_back(op);  // other tests' ops are not hardened
        ops.push_back("Frobnicate");
        n.op_type = Pick(ops);
        return "node '" + n.name + "' op " + n.op_type;
      }
      case 4: {  // an edge
        if (g.nodes.empty()) return "no node";
        graph::Node& n = g.nodes[Below(g.nodes.size())];
        if (n.inputs.empty()) return "node without inputs";
        std::string& in = n.inputs[Below(n.inputs.size())];
        in = Pick(values);
        return "node '" + n.name + "' input '" + in + "'";
      }
      case 5: {  // arity
        if (g.nodes.empty()) return "no node";
        graph::Node& n = g.nodes[Below(g.nodes.size())];
        if (OneIn(2) && !n.inputs.empty()) n.inputs.pop_back();
        else n.inputs.push_back(Pick(values));
        if (OneIn(4)) n.outputs.push_back("extra_" + std::to_string(Below(3)));
        if (OneIn(6)) n.outputs.clear();
        return "node '" + n.name + "' arity " + std::to_string(n.inputs.size()) + "/" + std::to_string(n.outputs.size());
      }
      case 6:
      case 7: {  // an attribute
        if (g.nodes.empty()) return "no node";
        graph::Node& n = g.nodes[Below(g.nodes.size())];
        const std::string name =
            Pick(std::vector<std::string>{"axis", "axis", "perm", "perm", "transA", "transB", "alpha", "beta",
                                          "allowzero", "bogus"});
        if (OneIn(5)) {
          n.attrs.erase(name);
        } else {
          n.attrs[name] = InterestingAttr();
        }
        return "node '" + n.name + "' attribute " + name;
      }
      case 8: {  // a node output renamed (often to a name already defined)
        if (g.nodes.empty()) return "no node";
        graph::Node& n = g.nodes[Below(g.nodes.size())];
        if (n.outputs.empty()) return "node without outputs";
        n.outputs[0] = Pick(values);
        return "node '" + n.name + "' output '" + n.outputs[0] + "'";
      }
      case 9: {  // a node duplicated, deleted or moved
        if (g.nodes.empty()) return "no node";
        const std::size_t i = Below(g.nodes.size());
        switch (Below(3)) {
          case 0: g.nodes.push_back(g.nodes[i]); return "node duplicated";
          case 1: g.nodes.erase(g.nodes.begin() + static_cast<std::ptrdiff_t>(i)); return "node deleted";
          default: std::swap(g.nodes[i], g.nodes[Below(g.nodes.size())]); return "nodes swapped";
        }
      }
      case 10: {  // a node's name
        if (g.nodes.empty()) return "no node";
        graph::Node& n = g.nodes[Below(g.nodes.size())];
        n.name = OneIn(2) ? "" : g.nodes[Below(g.nodes.size())].name;
        return "node renamed '" + n.name + "'";
      }
      case 11: {  // the graph outputs
        if (OneIn(5)) {
          g.outputs.clear();
          return "no outputs";
        }
        graph::ValueInfo out{Pick(values), DType::kUndefined, Shape::UnknownRank()};
        if (OneIn(3)) out.shape = InterestingShape();
        if (OneIn(4)) out.dtype = OneIn(2) ? DType::kF32 : DType::kI64;
        if (OneIn(2) && !g.outputs.empty()) g.outputs[Below(g.outputs.size())] = out;
        else g.outputs.push_back(out);
        return "output " + out.ToString();
      }
      case 12: {  // a graph input added, removed or renamed
        if (!g.inputs.empty() && OneIn(2)) {
          g.inputs.erase(g.inputs.begin() + static_cast<std::ptrdiff_t>(Below(g.inputs.size())));
          return "input removed";
        }
        g.inputs.push_back(graph::ValueInfo{Pick(values), OneIn(2) ? DType::kF32 : DType::kI64, InterestingShape()});
        return "input added " + g.inputs.back().ToString();
      }
      case 13: {  // a node input that closes a cycle
        if (g.nodes.size() < 2) return "too few nodes";
        graph::Node& n = g.nodes[Below(g.nodes.size())];
        const graph::Node& later = g.nodes[Below(g.nodes.size())];
        if (n.inputs.empty() || later.outputs.empty()) return "no edge to bend";
        n.inputs[0] = later.outputs[0];
        return "node '" + n.name + "' reads '" + later.outputs[0] + "'";
      }
      case 14: {  // a Reshape fed a hostile constant shape
        for (graph::Node& n : g.nodes) {
          if (n.op_type != "Reshape" || n.inputs.size() < 2) continue;
          std::vector<int64_t> spec(1 + Below(4));
          for (int64_t& v : spec) v = OneIn(2) ? InterestingInt() : static_cast<int64_t>(Below(4)) - 1;
          g.initializers["hostile_shape"] = I64(spec);
          n.inputs[1] = "hostile_shape";
          return "Reshape shape " + ShapeToString(spec);
        }
        return "no Reshape";
      }
      default: {  // a node of a random op over random values
        graph::Node n;
        n.name = "extra" + std::to_string(g.nodes.size());
        std::vector<std::string> ops = graph::RegisteredOps();
        std::erase_if(ops, [](const std::string& op) { return op.rfind("AxonTest", 0) == 0; });
        n.op_type = Pick(ops);
        for (std::size_t i = 0, k = 1 + Below(3); i < k; ++i) n.inputs.push_back(Pick(values));
        n.outputs = {n.name + ":0"};
        if (OneIn(2)) n.attrs[Pick(std::vector<std::string>{"axis", "perm", "transB"})] = InterestingAttr();
        g.nodes.push_back(n);
        if (OneIn(2)) g.outputs.push_back(graph::ValueInfo{n.outputs[0], DType::kUndefined, Shape::UnknownRank()});
        return "node added: " + n.op_type;
      }
    }
  }

  // One byte-level edit of a serialized file.
  std::string MutateBytes(std::string& bytes) {
    if (bytes.empty()) return "empty";
    switch (Below(5)) {
      case 0: {
        for (std::size_t i = 0, n = 1 + Below(8); i < n; ++i)
          bytes[Below(bytes.size())] ^= static_cast<char>(1u << Below(8));
        return "bits flipped";
      }
      case 1: bytes.resize(Below(bytes.size())); return "truncated to " + std::to_string(bytes.size());
      case 2: {
        const std::size_t at = Below(bytes.size());
        bytes[at] = static_cast<char>(Pick(std::vector<int>{0x00, 0x7f, 0x80, 0xff}));
        return "byte " + std::to_string(at) + " set";
      }
      case 3: {  // a slice of the file spliced in elsewhere: plausible fields in odd places
        const std::size_t from = Below(bytes.size()), len = 1 + Below(std::min<std::size_t>(64, bytes.size() - from));
        bytes.insert(Below(bytes.size()), bytes.substr(from, len));
        return "slice spliced";
      }
      default: {
        // An oversized varint, as a length or a count
        bytes.insert(Below(bytes.size()), std::string("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10));
        return "huge varint inserted";
      }
    }
  }

  std::mt19937_64& rng() { return rng_; }

 private:
  std::mt19937_64 rng_;
};

// Inputs for a loaded session: mostly what it declares (symbols bound consistently), sometimes
// not. Returns false when a declared input is too large to make.
bool MakeInputs(Mutator& mut, const Session& s, std::vector<NamedTensor>& inputs) {
  std::map<std::string, int64_t> symbols;
  for (const TensorInfo& info : s.inputs()) {
    if (mut.OneIn(40)) continue;  // missing
    std::vector<int64_t> shape;
    const bool unknown_rank_guess = info.shape.empty() && mut.OneIn(3);  // scalar, or unknown rank
    const std::size_t rank = unknown_rank_guess ? mut.Below(4) : info.shape.size();
    for (std::size_t i = 0; i < rank; ++i) {
      const int64_t declared = i < info.shape.size() ? info.shape[i] : -1;
      if (declared >= 0) {
        shape.push_back(declared);
      } else if (i < info.symbols.size() && !info.symbols[i].empty()) {
        auto [it, inserted] = symbols.emplace(info.symbols[i], static_cast<int64_t>(mut.Below(5)));
        shape.push_back(it->second);
      } else {
        shape.push_back(1 + static_cast<int64_t>(mut.Below(3)));
      }
    }
    if (mut.OneIn(30) && !shape.empty()) {  // a mismatch
      int64_t& d = shape[mut.Below(shape.size())];
      d = d > 0 ? d - 1 : 1;
    }
    int64_t count = 1;
    for (int64_t d : shape) {
      if (d > 100000) return false;
      count *= d;
      if (count > 100000) return false;
    }
    DType dtype = info.dtype == DType::kUndefined ? DType::kF32 : info.dtype;
    if (mut.OneIn(40)) dtype = dtype == DType::kF32 ? DType::kI64 : DType::kF32;
    Tensor t = Tensor::Zeros(dtype, shape);
    for (int64_t i = 0; i < t.size(); ++i) {
      if (dtype == DType::kF32) {
        t.data<float>()[i] = mut.OneIn(50) ? std::numeric_limits<float>::quiet_NaN()
                                           : static_cast<float>(static_cast<int>(mut.Below(9)) - 4);
      } else {  // a run-time Reshape shape, mostly sensible
        t.data<int64_t>()[i] = mut.OneIn(4) ? mut.InterestingInt() : static_cast<int64_t>(mut.Below(5)) - 1;
      }
    }
    inputs.emplace_back(info.name, std::move(t));
  }
  if (mut.OneIn(40)) inputs.emplace_back("not_an_input", Tensor::Zeros(DType::kF32, {1}));
  return true;
}

// An axon::Error from the load or run path is fine if it names the file and is not a bug report.
void CheckError(const Error& e, const std::string& where, const std::string& context) {
  INFO(context << "\n" << where << " threw: " << e.what());
  CHECK(e.code() != ErrorCode::kInternal);
  CHECK(std::string(e.what()).rfind(std::string(kFuzzOrigin) + ": ", 0) == 0);
}

struct Tally {
  int write_refused = 0, load_refused = 0, loaded = 0, run_refused = 0, ran = 0;
};

void FuzzOne(const graph::Model& seed_model, uint64_t seed, Tally& tally) {
  Mutator mut(seed);
  graph::Model m = seed_model;
  std::string what;
  for (std::size_t i = 0, n = mut.OneIn(3) ? 2 + mut.Below(3) : 1; i < n; ++i) what += mut.MutateModel(m) + "; ";
  std::string bytes;
  try {
    bytes = formats::SerializeModel(m);
  } catch (const Error&) {
    ++tally.write_refused;  // e.g. a dim of -5: the writer refuses what it could not read back
    return;
  }
  if (mut.OneIn(6)) what += mut.MutateBytes(bytes) + "; ";
  const std::string context = "seed " + std::to_string(seed) + ": " + what;
  if (std::getenv("AXON_FUZZ_VERBOSE")) std::fprintf(stderr, "%s\n", context.c_str());

  const SessionOptions options{.threads = 1 + static_cast<int>(mut.Below(2)), .memory_limit_bytes = 64 << 20};
  std::optional<Session> session;
  try {
    session.emplace(Session::LoadFromBytes(bytes.data(), bytes.size(), options, kFuzzOrigin));
  } catch (const Error& e) {
    ++tally.load_refused;
    if (std::getenv("AXON_FUZZ_ERRORS")) std::fprintf(stderr, "LOAD %s\n", e.what());
    CheckError(e, "LoadFromBytes", context);
    return;
  } catch (const std::exception& e) {
    FAIL(context << "\nLoadFromBytes threw a non-axon exception: " << e.what());
  }
  ++tally.loaded;
  for (int run = 0; run < 2; ++run) {
    std::vector<NamedTensor> inputs;
    if (!MakeInputs(mut, *session, inputs)) return;
    try {
      const std::vector<Tensor> outputs = session->Run(inputs);
      ++tally.ran;
      CHECK(outputs.size() == session->outputs().size());
    } catch (const Error& e) {
      ++tally.run_refused;
      if (std::getenv("AXON_FUZZ_ERRORS")) std::fprintf(stderr, "RUN %s\n", e.what());
      CheckError(e, "Run", context);
    } catch (const std::exception& e) {
      FAIL(context << "\nRun threw a non-axon exception: " << e.what());
    }
  }
}

int IterationsPerModel() {
  if (const char* n = std::getenv("AXON_FUZZ_ITERATIONS")) return std::max(1, std::atoi(n));
  return 5000;
}

}  // namespace

TEST_CASE("mutated models load and run to a result or an axon::Error naming the file", "[robustness][fuzz]") {
  const std::vector<std::pair<const char*, graph::Model>> seeds = {
      {"mlp", MlpModel()},
      {"shape_ops", ShapeOpsModel()},
      {"broadcast", BroadcastModel()},
      {"batched", BatchedMatMulModel()}};
  const int iterations = IterationsPerModel();
  Tally tally;
  for (std::size_t s = 0; s < seeds.size(); ++s) {
    INFO("seed model " << seeds[s].first);
    // Unmutated, every seed model loads and runs: the mutants start from working models.
    const std::string bytes = formats::SerializeModel(seeds[s].second);
    REQUIRE_NOTHROW(Session::LoadFromBytes(bytes.data(), bytes.size(), {.threads = 1}, kFuzzOrigin));
    for (int i = 0; i < iterations; ++i) FuzzOne(seeds[s].second, s * 1000003 + static_cast<uint64_t>(i), tally);
  }
  // The mutants must exercise every stage, or the test proves little.
  INFO("write refused " << tally.write_refused << ", load refused " << tally.load_refused << ", loaded "
                        << tally.loaded << ", run refused " << tally.run_refused << ", ran " << tally.ran);
  const int total = iterations * static_cast<int>(seeds.size());
  CHECK(tally.load_refused > total / 10);
  CHECK(tally.loaded > total / 10);
  CHECK(tally.run_refused > total / 50);
  CHECK(tally.ran > total / 10);
}

TEST_CASE("mutated .npy files parse to a tensor or an axon::Error naming the file", "[robustness][fuzz]") {
  const std::vector<std::string> seeds = {
      formats::SerializeNpy(Tensor::FromVector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3})),
      formats::SerializeNpy(Tensor::FromVector(std::vector<int64_t>{-7}, {})),
      formats::SerializeNpy(Tensor::Zeros(DType::kF32, {0, 3}))};
  const std::vector<std::string> shapes = {"()", "(3,)", "(0, 4611686018427387904, 4611686018427387904)",
                                           "(-1,)", "(99999999999999999999,)", "(2, 3", "(,)", "(1,)*65",
                                           "(4294967296, 4294967296)", "(2, 3,)", "(1L, 6L)"};
  const std::vector<std::string> descrs = {"'<f4'", "'<i8'", "'>f4'", "'|b1'", "'<f8'", "[('a', '<f4')]", "'", "''"};
  int parsed = 0, refused = 0;
  const int iterations = IterationsPerModel();
  for (int i = 0; i < iterations; ++i) {
    Mutator mut(7'000'003 + static_cast<uint64_t>(i));
    std::string bytes = mut.Pick(seeds);
    std::string what;
    switch (mut.Below(4)) {
      case 0: {  // the shape tuple
        const std::size_t at = bytes.find("'shape': ") + 9, end = bytes.find("),", at) + 1;
        std::string shape = mut.Pick(shapes);
        if (shape == "(1,)*65") {
          shape = "(";
          for (int d = 0; d < 65; ++d) shape += "1, ";
          shape += ")";
        }
        bytes.replace(at, end - at, shape);
        what = "shape " + shape;
        break;
      }
      case 1: {  // the dtype
        const std::size_t at = bytes.find("'descr': ") + 9, end = bytes.find(',', at);
        const std::string descr = mut.Pick(descrs);
        bytes.replace(at, end - at, descr);
        what = "descr " + descr;
        break;
      }
      case 2: {  // the version or the header length
        const std::size_t at = 6 + mut.Below(4);
        bytes[at] = static_cast<char>(mut.Pick(std::vector<int>{0, 1, 2, 3, 0x7f, 0xff}));
        what = "preamble byte " + std::to_string(at);
        break;
      }
      default:
        what = mut.MutateBytes(bytes);
    }
    INFO("npy case " << i << ": " << what);
    try {
      const Tensor t = formats::ParseNpy(bytes.data(), bytes.size(), "fuzz.npy");
      ++parsed;
      CHECK(static_cast<std::size_t>(t.nbytes()) <= bytes.size());
    } catch (const Error& e) {
      ++refused;
      INFO(e.what());
      CHECK(e.code() != ErrorCode::kInternal);
      CHECK(std::string(e.what()).rfind("fuzz.npy: ", 0) == 0);
    } catch (const std::exception& e) {
      FAIL("ParseNpy threw a non-axon exception: " << e.what());
    }
  }
  CHECK(parsed > iterations / 20);
  CHECK(refused > iterations / 2);
}
