#include "tools/model_inputs.h"

#include <filesystem>
#include <map>
#include <set>
#include <string_view>
#include <utility>
#include <random>

#include "formats/npy.h"
#include "tools/output_names.h"

namespace axon::cli {

std::string InputList(const Session& session) {
  constexpr std::size_t kMaxListed = 16;
  const auto& ins = session.inputs();
  std::string s;
  for (std::size_t i = 0; i < ins.size() && i < kMaxListed; ++i) s += (i ? ", " : "") + ins[i].ToString();
  if (ins.size() > kMaxListed) s += ", ... " + std::to_string(ins.size() - kMaxListed) + " more";
  return s;
}

namespace {

// The input an -i value binds and the file to read. Decided from the model's input names alone, so a file name may hold '=' and nothing is opened
// before the binding is known to be good. The longest name wins, so that every input can be
// reached, even "a=b" beside "a".
std::pair<std::string, std::string> ParseInputSpec(const Args& args, const Session& session,
                                                   const std::set<std::string_view>& input_names,
                                                   const std::string& spec) {
  std::size_t split = std::string::npos;
  for (auto eq = spec.find('='); eq != std::string::npos; eq = spec.find('=', eq + 1))
    if (input_names.count(std::string_view(spec).substr(0, eq))) split = eq;  // a longer name than the last
  if (split != std::string::npos) return {spec.substr(0, split), spec.substr(split + 1)};
  if (session.inputs().size() != 1)
    args.Fail("-i " + spec + " names none of the model's " + std::to_string(session.inputs().size()) +
              " inputs (" + InputList(session) + "): give each as -i NAME=FILE.npy");
  // A mistyped name reads better as such than as a missing file called "nmae=x.npy".
  std::error_code ec;  // a name the OS refuses (too long) is no file either
  if (auto eq = spec.find('='); eq != std::string::npos && !std::filesystem::exists(spec, ec))
    args.Fail("-i " + spec + ": the model has no input '" + spec.substr(0, eq) + "' (its input is " +
              InputList(session) + ") and there is no file '" + spec + "'");
  return {session.inputs()[0].name, spec};
}

// Reads the file an -i value binds. When the rule split the value but the whole of it names a
// file ("-i x=1.npy" reads 1.npy; the user may have meant x=1.npy), a failure says how to read
// that file instead.
Tensor ReadInput(const std::string& spec, const std::string& file) {
  try {
    return formats::ReadNpyFile(file);
  } catch (const Error& e) {
    std::error_code ec;
    if (file == spec || !std::filesystem::exists(spec, ec)) throw;
    const std::string whole = (spec[0] == '/' ? "/." : "./") + spec;  // the same file, which the rule reads whole
    throw Error(e.code(), std::string(e.what()) + " (to read the file '" + spec + "', write -i " + ShellQuoted(whole) + ")");
  }
}

// --dim NAME=V values by name.
std::map<std::string, int64_t> DimValues(const Args& args) {
  std::map<std::string, int64_t> dims;
  for (const std::string& spec : args.Values("--dim")) {
    const auto eq = spec.rfind('=');
    int64_t value = -1;
    if (eq != std::string::npos && eq > 0) {
      try {
        std::size_t used = 0;
        const long long v = std::stoll(spec.substr(eq + 1), &used);
        // A digit first: std::stoll would also take " 5" and "+5".
        if (used == spec.size() - eq - 1 && spec[eq + 1] >= '0' && spec[eq + 1] <= '9' && v >= 1) value = v;
      } catch (const std::exception&) {
      }
    }
    if (value < 1) args.Fail("--dim needs NAME=V with an integer V >= 1, got '" + spec + "'");
    if (!dims.emplace(spec.substr(0, eq), value).second) args.Fail("--dim " + spec.substr(0, eq) + " is given twice");
  }
  return dims;
}

}  // namespace

std::vector<NamedTensor> ReadInputs(const Args& args, const Session& session) {
  std::set<std::string_view> input_names;
  for (const TensorInfo& in : session.inputs()) input_names.insert(in.name);
  std::vector<std::pair<std::string, std::string>> bindings;  // input name, file
  std::set<std::string> bound;
  const std::vector<std::string> specs = args.Values("-i");
  for (const std::string& spec : specs) {
    auto binding = ParseInputSpec(args, session, input_names, spec);
    if (!bound.insert(binding.first).second) args.Fail("input '" + binding.first + "' is given twice");
    bindings.push_back(std::move(binding));
  }
  std::vector<NamedTensor> inputs;
  for (std::size_t i = 0; i < bindings.size(); ++i)
    inputs.emplace_back(bindings[i].first, ReadInput(specs[i], bindings[i].second));
  return inputs;
}

std::vector<NamedTensor> CompleteInputs(const Args& args, const Session& session, std::vector<NamedTensor> given,
                                        std::vector<std::string>& made) {
  std::map<std::string, int64_t> dims = DimValues(args);
  // A misspelt --dim would otherwise be ignored silently and the run made at size 1.
  std::set<std::string> symbols;
  for (const TensorInfo& in : session.inputs())
    for (const std::string& symbol : in.symbols)
      if (!symbol.empty()) symbols.insert(symbol);
  for (const auto& [name, value] : dims) {
    if (symbols.count(name)) continue;
    std::string known;
    for (const std::string& symbol : symbols) known += (known.empty() ? "" : ", ") + symbol;
    args.Fail("--dim " + name + ": the model's inputs have no dim named " + name +
              (known.empty() ? " (they have no symbolic dims)" : " (they have: " + known + ")"));
  }
  std::map<std::string, const Tensor*> by_name;
  for (const auto& [name, t] : given) by_name[name] = &t;
  // Symbols a given input binds. A --dim that says otherwise would be ignored when nothing is made
  // up from it (the run then times a size the user did not ask for): refused here, naming both.
  for (const TensorInfo& in : session.inputs()) {
    const auto it = by_name.find(in.name);
    if (it == by_name.end() || !in.has_rank || it->second->rank() != static_cast<int64_t>(in.shape.size())) continue;
    for (std::size_t d = 0; d < in.symbols.size(); ++d) {
      if (in.symbols[d].empty()) continue;
      const int64_t bound = it->second->shape()[d];
      const auto [dim, added] = dims.emplace(in.symbols[d], bound);
      if (!added && dim->second != bound)
        args.Fail("--dim " + dim->first + "=" + std::to_string(dim->second) + " contradicts input '" + in.name + "' (" +
                  std::string(DTypeName(it->second->dtype())) + ShapeToString(it->second->shape()) + ", so " +
                  dim->first + "=" + std::to_string(bound) + ")");
    }
  }
  std::vector<NamedTensor> inputs;
  std::mt19937 random(0);  // fixed: the same made-up inputs on every run of the tool
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  for (const TensorInfo& in : session.inputs()) {
    if (const auto it = by_name.find(in.name); it != by_name.end()) {
      inputs.emplace_back(in.name, *it->second);
      continue;
    }
    if (!in.has_rank)
      args.Fail("input " + in.ToString() + " has no known rank, so no input can be made up for it: give it with -i " +
                in.name + "=FILE.npy");
    std::vector<int64_t> shape;
    for (std::size_t d = 0; d < in.shape.size(); ++d) {
      if (in.shape[d] >= 0) {
        shape.push_back(in.shape[d]);
        continue;
      }
      const std::string& symbol = d < in.symbols.size() ? in.symbols[d] : std::string();
      const auto it = symbol.empty() ? dims.end() : dims.find(symbol);
      shape.push_back(it == dims.end() ? 1 : it->second);
    }
    Tensor t;
    try {
      t = Tensor::Zeros(in.dtype, shape);  // bounds the size like any tensor
    } catch (const Error& e) {
      throw Error(e.code(), "cannot make up input '" + in.name + "' (" + in.ToString() + "): " + e.what());
    }
    if (in.dtype == DType::kF32)
      for (int64_t i = 0; i < t.size(); ++i) t.data<float>()[i] = uniform(random);
    made.push_back(in.name + ": " + std::string(DTypeName(in.dtype)) + ShapeToString(shape) +
                   (in.dtype == DType::kF32 ? " uniform in [-1, 1)" : " zeros"));
    inputs.emplace_back(in.name, std::move(t));
  }
  return inputs;
}

}  // namespace axon::cli
