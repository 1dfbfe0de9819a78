// Typed node attributes.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace axon::graph {

enum class AttrType { kInt, kFloat, kString, kInts, kFloats, kStrings };

using Attribute = std::variant<int64_t, float, std::string, std::vector<int64_t>, std::vector<float>,
                               std::vector<std::string>>;

inline AttrType TypeOf(const Attribute& a) { return static_cast<AttrType>(a.index()); }
const char* AttrTypeName(AttrType t);

}  // namespace axon::graph
