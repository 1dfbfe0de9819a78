// FusedElementwise: a run of elementwise ops evaluated block by block in one pass over memory
// (made by the elementwise-fusion pass; internal to Axon, though a fused graph saves and loads).
//
// The node carries a small register program. Registers 0..E-1 are the node's E inputs; the
// program's instructions write registers E, E+1, ... (temporaries, at most kMaxFusedTemps of
// them, reused; at most kMaxFusedInputs inputs); the last instruction's result is the output. Attributes, per instruction i:
//   ops[i]                 the op's name ("Add", "Sigmoid", "LeakyRelu", ...: FusableOps())
//   operands[3i..3i+2]     destination, first source, second source (-1 for a unary op)
//   params[2i..2i+1]       the op's float attributes in FusableOp::params order (0 if unused)
// The output has the broadcast shape of all inputs; each input must either have that shape, or
// be a trailing part of it (leading dims 1 or absent: a bias [N] of [M, N], a scalar), so that
// element i reads input element i mod its size.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "graph/shape.h"

namespace axon::graph {

inline constexpr int kMaxFusedTemps = 16;
inline constexpr int kMaxFusedInputs = 8;

struct FusableOp {
  std::string name;                 // the ONNX op it computes
  int arity;                        // 1 or 2
  std::vector<std::string> params;  // its float attributes, at most 2
};

// The ops a FusedElementwise program may hold (every one f32 in, f32 out, shape-preserving with
// numpy broadcasting for the binary ones).
const std::vector<FusableOp>& FusableOps();
const FusableOp* FindFusableOp(std::string_view name);

// True when `in` repeats over `out` element by element with a period of its size: after its
// leading 1s, its dims are out's last dims (equal dims, symbolic ones by name).
bool RepeatsOver(const Shape& in, const Shape& out);

}  // namespace axon::graph
