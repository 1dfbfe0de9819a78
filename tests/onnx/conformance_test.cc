// ONNX's own conformance data (Debian's libonnx-testdata: the node, pytorch-converted,
// pytorch-operator and simple sets; "real" holds only download links). Every case whose ops Axon
// imports is imported, run on each of its data sets and compared with the expected outputs
// (rtol 1e-3, atol 1e-5). A case with ops (or dtypes, or features) Axon does not import is counted
// as unsupported, not failed: the import says so with kUnsupported. A supported case that fails
// must be listed in tests/onnx/known_failures.txt with its reason, and a listed case that passes
// fails the test too, so the list stays honest as ops land. Each set prints one summary line;
// AXON_CONFORMANCE_VERBOSE=1 prints every supported case's result as well.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "axon/axon.h"
#include "formats/onnx/onnx_import.h"
#include "runtime/session_factory.h"

namespace fs = std::filesystem;
using namespace axon;

namespace {

constexpr double kRtol = 1e-3, kAtol = 1e-5;

struct KnownFailures {
  std::map<std::string, std::string> reasons;  // "node/test_x" -> reason
};

KnownFailures ReadKnownFailures() {
  KnownFailures k;
  std::ifstream f(std::string(AXON_SOURCE_DIR) + "/tests/onnx/known_failures.txt");
  REQUIRE(f.good());
  std::string line;
  while (std::getline(f, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream in(line);
    std::string name, reason;
    in >> name;
    std::getline(in, reason);
    reason.erase(0, reason.find_first_not_of(' '));
    INFO("known_failures.txt: " << line);
    CHECK(!reason.empty());  // every entry says why
    CHECK(k.reasons.emplace(name, reason).second);
  }
  return k;
}

// input_0.pb, input_1.pb, ..., input_10.pb in numeric order.
std::vector<fs::path> Numbered(const fs::path& dir, const std::string& prefix) {
  std::vector<fs::path> files;
  for (int i = 0;; ++i) {
    fs::path p = dir / (prefix + std::to_string(i) + ".pb");
    if (!fs::exists(p)) break;
    files.push_back(p);
  }
  return files;
}

// Empty when equal within tolerance, else what differs.
std::string Compare(const Tensor& got, const Tensor& want) {
  if (got.dtype() != want.dtype())
    return "dtype " + std::string(DTypeName(got.dtype())) + ", expected " + std::string(DTypeName(want.dtype()));
  if (got.shape() != want.shape()) return "shape " + ShapeToString(got.shape()) + ", expected " + ShapeToString(want.shape());
  if (got.dtype() != DType::kF32)
    return got.nbytes() == 0 || std::memcmp(got.raw_data(), want.raw_data(), got.nbytes()) == 0 ? "" : "values differ";
  const float* g = got.data<float>();
  const float* w = want.data<float>();
  for (int64_t i = 0; i < got.size(); ++i) {
    const bool same = std::isnan(w[i]) ? std::isnan(g[i])
                      : std::isinf(w[i]) ? g[i] == w[i]
                                         : std::fabs(double(g[i]) - w[i]) <= kAtol + kRtol * std::fabs(double(w[i]));
    if (!same) return "element " + std::to_string(i) + " is " + std::to_string(g[i]) + ", expected " + std::to_string(w[i]);
  }
  return "";
}

// Runs every data set of a supported case; returns "" when all pass, else why not.
std::string RunCase(Session& session, const fs::path& dir) {
  std::vector<fs::path> sets;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_directory() && e.path().filename().string().rfind("test_data_set_", 0) == 0) sets.push_back(e.path());
  std::sort(sets.begin(), sets.end());
  if (sets.empty()) return "no test_data_set_* folder";
  for (const fs::path& set : sets) {
    std::vector<NamedTensor> inputs;
    const std::vector<fs::path> in_files = Numbered(set, "input_");
    for (std::size_t i = 0; i < in_files.size(); ++i) {
      std::string name;
      Tensor t = formats::onnx_import::ReadTensorFile(in_files[i].string(), &name);
      // Bound by name when the file names one of the model's inputs, else by position.
      bool known = false;
      for (const TensorInfo& info : session.inputs()) known = known || info.name == name;
      if (!known) {
        if (i >= session.inputs().size()) return set.filename().string() + ": more input files than model inputs";
        name = session.inputs()[i].name;
      }
      inputs.emplace_back(name, std::move(t));
    }
    const std::vector<Tensor> outputs = session.Run(inputs);
    const std::vector<fs::path> out_files = Numbered(set, "output_");
    if (out_files.size() != outputs.size())
      return set.filename().string() + ": " + std::to_string(outputs.size()) + " outputs, " +
             std::to_string(out_files.size()) + " expected";
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      const std::string diff = Compare(outputs[i], formats::onnx_import::ReadTensorFile(out_files[i].string()));
      if (!diff.empty()) return set.filename().string() + " output " + session.outputs()[i].name + ": " + diff;
    }
  }
  return "";
}

struct SetResult {
  int cases = 0, supported = 0, passed = 0, known = 0;
  std::map<std::string, int> unsupported_reasons;  // "no Axon op Conv yet" -> cases
  std::vector<std::string> problems;               // unlisted failures and listed passes
};

// The reason part of an unsupported-op error ("...: Conv (opset 11): 1 node, no Axon op Conv yet"),
// else the message after the file name.
std::string UnsupportedReason(const std::string& message, const std::string& path) {
  std::string m = message.rfind(path + ": ", 0) == 0 ? message.substr(path.size() + 2) : message;
  const std::string marker = "unsupported ONNX ops: ";
  if (auto at = m.find(marker); at != std::string::npos) {
    m = m.substr(at + marker.size());
    if (auto comma = m.find(", "); comma != std::string::npos) m = m.substr(comma + 2);
    if (auto semi = m.find(';'); semi != std::string::npos) m = m.substr(0, semi);
  }
  return m;
}

SetResult RunSet(const std::string& set, const KnownFailures& known) {
  SetResult r;
  const fs::path root = fs::path(AXON_ONNX_TESTDATA_DIR) / set;
  std::vector<fs::path> cases;
  for (const auto& e : fs::directory_iterator(root))
    if (e.is_directory()) cases.push_back(e.path());
  std::sort(cases.begin(), cases.end());
  for (const fs::path& dir : cases) {
    ++r.cases;
    const std::string name = set + "/" + dir.filename().string();
    const std::string model = (dir / "model.onnx").string();
    std::string failure;
    formats::onnx_import::ImportResult imported;
    try {
      imported = formats::onnx_import::ImportFile(model);
    } catch (const Error& e) {
      if (e.code() == ErrorCode::kUnsupported) {
        ++r.unsupported_reasons[UnsupportedReason(e.what(), model)];
        continue;
      }
      failure = e.what();  // supported ops, but the import fails
    }
    ++r.supported;
    if (failure.empty()) {
      try {
        Session session = detail::SessionFactory::FromModel(std::move(imported.model), {.threads = 1}, model);
        failure = RunCase(session, dir);
      } catch (const std::exception& e) {
        failure = e.what();
      }
    }
    if (std::getenv("AXON_CONFORMANCE_VERBOSE"))
      std::printf("%s: %s\n", name.c_str(), failure.empty() ? "pass" : failure.c_str());
    auto listed = known.reasons.find(name);
    if (failure.empty()) {
      ++r.passed;
      if (listed != known.reasons.end())
        r.problems.push_back(name + " passes but is listed in known_failures.txt (" + listed->second + "): remove it");
    } else if (listed != known.reasons.end()) {
      ++r.known;
    } else {
      r.problems.push_back(name + " fails: " + failure);
    }
  }
  // Listed cases that no longer run at all (unsupported now, or renamed) make the list stale too.
  for (const auto& [name, reason] : known.reasons) {
    if (name.rfind(set + "/", 0) != 0) continue;
    if (!fs::exists(root / name.substr(set.size() + 1)))
      r.problems.push_back(name + " is listed in known_failures.txt but there is no such case");
  }
  return r;
}

void Report(const std::string& set, const SetResult& r) {
  std::vector<std::pair<int, std::string>> reasons;
  for (const auto& [why, n] : r.unsupported_reasons) reasons.emplace_back(n, why);
  std::sort(reasons.rbegin(), reasons.rend());
  std::string top;
  for (std::size_t i = 0; i < reasons.size() && i < 12; ++i)
    top += (i ? "; " : "") + reasons[i].second + ": " + std::to_string(reasons[i].first);
  std::printf("ONNX conformance %s: %d cases, %d supported, %d pass, %d known failures, %d unsupported (%s)\n",
              set.c_str(), r.cases, r.supported, r.passed, r.known, r.cases - r.supported, top.c_str());
  std::fflush(stdout);
  for (const std::string& p : r.problems) UNSCOPED_INFO(p);
  CHECK(r.problems.empty());
}

void Conformance(const std::string& set) {
  if (!fs::is_directory(AXON_ONNX_TESTDATA_DIR))
    FAIL("no ONNX conformance data at " AXON_ONNX_TESTDATA_DIR ": install Debian's libonnx-testdata (scripts/setup does)");
  const KnownFailures known = ReadKnownFailures();
  Report(set, RunSet(set, known));
}

}  // namespace

TEST_CASE("ONNX conformance: node", "[onnx][conformance]") { Conformance("node"); }
TEST_CASE("ONNX conformance: pytorch-converted", "[onnx][conformance]") { Conformance("pytorch-converted"); }
TEST_CASE("ONNX conformance: pytorch-operator", "[onnx][conformance]") { Conformance("pytorch-operator"); }
TEST_CASE("ONNX conformance: simple", "[onnx][conformance]") { Conformance("simple"); }
