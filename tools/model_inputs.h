// The inputs of a command that runs a model (run, profile, bench): -i NAME=FILE.npy bindings, and
// for profile and bench, made-up inputs of the declared shapes for those not given.
#pragma once

#include <string>
#include <vector>

#include "axon/axon.h"
#include "tools/args.h"

namespace axon::cli {

// "x: f32[batch,2], y: f32[3]", cut short for a file with very many inputs.
std::string InputList(const Session& session);

// Every -i of args read into a tensor, in the order given. An -i value is split at the '=' whose
// left side is the longest name of one of the model's inputs; any other value is a file for the
// only input (axon run --help). An input given twice fails.
std::vector<NamedTensor> ReadInputs(const Args& args, const Session& session);

// The inputs that `given` lacks, made up so that a model can be timed without data: the declared
// shape with each symbolic dim from --dim NAME=V (else from a given input that binds it, else 1)
// and anonymous dims 1; f32 values uniform in [-1, 1) from a fixed seed, integer and bool inputs
// all zero (valid indices for Gather and the like; a model that wants other values needs -i).
// Returns `given` completed, in the model's input order; `made` gets one line per input made.
std::vector<NamedTensor> CompleteInputs(const Args& args, const Session& session, std::vector<NamedTensor> given,
                                        std::vector<std::string>& made);

}  // namespace axon::cli
