// Helpers for the robustness tests: models written as IR (unverified, so they can be wrong in any
// way the file format can express), serialized, and loaded through the public API exactly as a
// file from a stranger would be.
#pragma once

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "axon/axon.h"
#include "formats/axon_format.h"
#include "graph/ir.h"
#include "runtime/session_factory.h"

namespace axon::robustness {

inline constexpr const char* kOrigin = "hostile.axon";

inline std::string Serialize(graph::Graph g) {
  graph::Model m;
  m.graph = std::move(g);
  return formats::SerializeModel(m);
}

inline Session Load(graph::Graph g, SessionOptions options = {.threads = 1}) {
  const std::string bytes = Serialize(std::move(g));
  return Session::LoadFromBytes(bytes.data(), bytes.size(), options, kOrigin);
}

// The message of the axon::Error f throws; fails the test if it returns or throws anything else.
template <class F>
std::string ErrorOf(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    FAIL("expected an axon::Error, got another exception: " << e.what());
  }
  FAIL("expected an axon::Error, nothing was thrown");
  return {};
}

inline graph::ValueInfo Value(const std::string& name, DType dtype, graph::Shape shape) {
  return graph::ValueInfo{name, dtype, std::move(shape)};
}

inline graph::Node MakeNode(const std::string& name, const std::string& op, std::vector<std::string> inputs,
                            std::vector<std::string> outputs, std::map<std::string, graph::Attribute> attrs = {}) {
  return graph::Node{name, op, std::move(inputs), std::move(outputs), std::move(attrs)};
}

// A graph output whose type shape inference fills in.
inline graph::ValueInfo Out(const std::string& name) { return graph::ValueInfo{name, DType::kUndefined, graph::Shape()}; }

}  // namespace axon::robustness
