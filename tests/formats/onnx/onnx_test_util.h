// Builds ONNX models in C++ for the importer's tests: valid ones, and broken ones in any way the
// protobuf can express.
//
//   OnnxModel m(13);                                   // opset 13
//   m.Input("x", kFloat, {Dim("batch"), 4});
//   m.Node("Relu", {"x"}, {"y"});
//   m.Output("y");
//   graph::Model g = m.Import();                        // or m.Load() for a Session
#pragma once

#include <catch2/catch.hpp>

#include <onnx/onnx_pb.h>

#include <cstring>
#include <string>
#include <variant>
#include <vector>

#include "axon/axon.h"
#include "formats/onnx/onnx_import.h"

namespace axon::onnx_test {

inline constexpr int kFloat = ::onnx::TensorProto::FLOAT;
inline constexpr int kInt64 = ::onnx::TensorProto::INT64;
inline constexpr int kInt32 = ::onnx::TensorProto::INT32;
inline constexpr int kInt8 = ::onnx::TensorProto::INT8;
inline constexpr int kUint8 = ::onnx::TensorProto::UINT8;
inline constexpr int kBool = ::onnx::TensorProto::BOOL;
inline constexpr int kDouble = ::onnx::TensorProto::DOUBLE;
inline constexpr const char* kTestOrigin = "test.onnx";

// A declared dim: a size, a dim_param name, or (std::monostate) neither.
using Dim = std::variant<int64_t, std::string, std::monostate>;

class OnnxModel {
 public:
  explicit OnnxModel(int64_t opset = 17, int64_t ir_version = 8) {
    m.set_ir_version(ir_version);
    m.set_producer_name("axon-test");
    auto* o = m.add_opset_import();
    o->set_domain("");
    o->set_version(opset);
    g().set_name("g");
  }

  ::onnx::GraphProto& g() { return *m.mutable_graph(); }

  ::onnx::ValueInfoProto& Input(const std::string& name, int elem_type, const std::vector<Dim>& dims) {
    return Declare(g().add_input(), name, elem_type, &dims);
  }
  // An output whose type is left to inference.
  ::onnx::ValueInfoProto& Output(const std::string& name) {
    auto* v = g().add_output();
    v->set_name(name);
    return *v;
  }
  ::onnx::ValueInfoProto& Output(const std::string& name, int elem_type, const std::vector<Dim>& dims) {
    return Declare(g().add_output(), name, elem_type, &dims);
  }

  ::onnx::NodeProto& Node(const std::string& op, const std::vector<std::string>& inputs,
                          const std::vector<std::string>& outputs, const std::string& name = "") {
    auto* n = g().add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (const auto& i : inputs) n->add_input(i);
    for (const auto& o : outputs) n->add_output(o);
    return *n;
  }

  // A float initializer in raw_data (or float_data when typed is true).
  ::onnx::TensorProto& Weight(const std::string& name, const std::vector<int64_t>& dims, const std::vector<float>& values,
                              bool typed = false) {
    auto* t = g().add_initializer();
    FillFloat(*t, dims, values, typed);
    t->set_name(name);
    return *t;
  }
  ::onnx::TensorProto& WeightI64(const std::string& name, const std::vector<int64_t>& values) {
    auto* t = g().add_initializer();
    t->set_name(name);
    t->set_data_type(kInt64);
    t->add_dims(static_cast<int64_t>(values.size()));
    for (int64_t v : values) t->add_int64_data(v);
    return *t;
  }

  static void FillFloat(::onnx::TensorProto& t, const std::vector<int64_t>& dims, const std::vector<float>& values,
                        bool typed) {
    t.set_data_type(kFloat);
    for (int64_t d : dims) t.add_dims(d);
    if (typed) {
      for (float v : values) t.add_float_data(v);
    } else {
      t.set_raw_data(std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float)));
    }
  }

  std::string Bytes() const { return m.SerializeAsString(); }
  graph::Model Import() const {
    const std::string b = Bytes();
    return formats::onnx_import::Import(b.data(), b.size(), kTestOrigin).model;
  }
  // Through the public API, recognized by content.
  Session Load() const {
    const std::string b = Bytes();
    return Session::LoadFromBytes(b.data(), b.size(), {.threads = 1}, kTestOrigin);
  }

  ::onnx::ModelProto m;

 private:
  static ::onnx::ValueInfoProto& Declare(::onnx::ValueInfoProto* v, const std::string& name, int elem_type,
                                         const std::vector<Dim>* dims) {
    v->set_name(name);
    auto* t = v->mutable_type()->mutable_tensor_type();
    t->set_elem_type(elem_type);
    if (dims) {
      auto* shape = t->mutable_shape();
      for (const Dim& d : *dims) {
        auto* dim = shape->add_dim();
        if (auto* value = std::get_if<int64_t>(&d)) dim->set_dim_value(*value);
        if (auto* param = std::get_if<std::string>(&d)) dim->set_dim_param(*param);
      }
    }
    return *v;
  }
};

inline void AttrInt(::onnx::NodeProto& n, const std::string& name, int64_t v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(::onnx::AttributeProto::INT);
  a->set_i(v);
}
inline void AttrFloat(::onnx::NodeProto& n, const std::string& name, float v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(::onnx::AttributeProto::FLOAT);
  a->set_f(v);
}
inline void AttrString(::onnx::NodeProto& n, const std::string& name, const std::string& v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(::onnx::AttributeProto::STRING);
  a->set_s(v);
}
inline void AttrInts(::onnx::NodeProto& n, const std::string& name, const std::vector<int64_t>& v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(::onnx::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}
inline void AttrFloats(::onnx::NodeProto& n, const std::string& name, const std::vector<float>& v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(::onnx::AttributeProto::FLOATS);
  for (float x : v) a->add_floats(x);
}
inline ::onnx::TensorProto& AttrTensor(::onnx::NodeProto& n, const std::string& name) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(::onnx::AttributeProto::TENSOR);
  return *a->mutable_t();
}

// What torch.onnx.export (1.13, opset 13) writes for F.max_pool2d(x, 2, stride=2, padding=1,
// ceil_mode=True) on a 1x1x7x7 input: one node "/MaxPool", the output declared [1,1,5,5].
inline OnnxModel TorchCeilMaxPool(const std::vector<Dim>& declared, int elem_type = kFloat) {
  OnnxModel m(13);
  m.Input("x", kFloat, {1, 1, 7, 7});
  auto& pool = m.Node("MaxPool", {"x"}, {"y"}, "/MaxPool");
  AttrInt(pool, "ceil_mode", 1);
  AttrInts(pool, "kernel_shape", {2, 2});
  AttrInts(pool, "pads", {1, 1, 1, 1});
  AttrInts(pool, "strides", {2, 2});
  m.Output("y", elem_type, declared);
  return m;
}

// The message of the axon::Error f throws, CHECKing its code; fails when f returns.
template <class F>
std::string ErrorOf(F&& f, ErrorCode code) {
  try {
    f();
  } catch (const Error& e) {
    INFO("message: " << e.what());
    CHECK(std::string(ErrorCodeName(e.code())) == ErrorCodeName(code));
    return e.what();
  }
  FAIL("expected an axon::Error (" << ErrorCodeName(code) << "), nothing was thrown");
  return {};
}

inline std::vector<float> Floats(const Tensor& t) { return t.ToFloatVector(); }

}  // namespace axon::onnx_test
