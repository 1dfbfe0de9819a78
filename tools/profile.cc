// axon profile: where a model's time goes, node by node, and a Chrome trace of the runs.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <string>
#include <vector>

#include "axon/axon.h"
#include "formats/file_batch.h"
#include "graph/op_schema.h"
#include "runtime/session_factory.h"
#include "tools/args.h"
#include "tools/command.h"
#include "tools/model_inputs.h"
#include "tools/output_names.h"
#include "tools/pass_options.h"
#include "tools/timing.h"

namespace axon::cli {
namespace {

constexpr const char* kUsage = R"(usage: axon profile MODEL [-i NAME=FILE.npy ...] [--dim NAME=V ...] [--runs N] [--threads N]
                    [--memory-limit SIZE] [--opt-level N] [--disable-pass NAME ...] [--trace FILE.json]

Runs MODEL (.axon, or ONNX: recognized by content) once to plan it, then N more times timing
every node, and prints one line per node, slowest first: its median time over the runs, its share
of the total, GFLOP/s (from the op's FLOP estimate), the bytes it reads and writes, the op (and the ops
a fused node covers), the node, and its input shapes; then the totals. Nodes that only relabel
memory (Reshape, Flatten, Identity) take no time and are not listed.

Inputs not given with -i are made up: the declared shape with each symbolic dim from --dim, else
from a given input that binds it, else 1 (anonymous dims 1); f32 values uniform in [-1, 1) from a
fixed seed; integer and bool inputs all zeros (valid Gather indices; give -i for other values).

options:
  -i, --input NAME=FILE   bind model input NAME to a .npy file (see axon run --help)
  --dim NAME=V            size of symbolic dim NAME for made-up inputs (repeatable)
  --runs N                timed runs (default 10)
  --threads N             worker threads (default and most: one per core)
  --trace FILE.json       also write a Chrome trace (chrome://tracing, ui.perfetto.dev): one
                          event per node per run, on the thread that ran it; written atomically
)" AXON_MEMORY_LIMIT_USAGE AXON_PASS_OPTIONS_USAGE;

// What a plan step is, for the table and the trace: the same for every run.
struct StepInfo {
  std::string op, label, fused, inputs;
  double flops = 0, bytes = 0;
};

// The ops a fused node covers, as its fusion pass records them: a list of op names in a strings
// attribute "ops" (FusedElementwise's program), or for a Fused<Op> node, <Op>, Add when it has a
// residual R (input 3 of FusedGemm and FusedConv), then its activation: "Conv+Add+Relu". FusedAttention is "MatMul+Softmax+MatMul". "" for a node
// of one op. A FusedGemm whose A has rank > 2 (a_rank) was a MatMul, Gemm being 2-D: its bias C
// was an Add of its own ("MatMul+Add"), where a Gemm's C is the Gemm's.
std::string FusedOps(const graph::Node& node, std::size_t a_rank) {
  std::vector<std::string> ops;
  if (const auto it = node.attrs.find("ops"); it != node.attrs.end())
    if (const auto* list = std::get_if<std::vector<std::string>>(&it->second)) ops = *list;
  constexpr std::string_view kFused = "Fused";
  if (node.op_type == "FusedAttention") {
    ops = {"MatMul", "Softmax", "MatMul"};
  } else if (ops.empty() && node.op_type.size() > kFused.size() && node.op_type.rfind(kFused, 0) == 0) {
    ops.push_back(node.op_type.substr(kFused.size()));
    if (node.op_type == "FusedGemm" && a_rank > 2) {
      ops.back() = "MatMul";
      if (node.inputs.size() > 2 && !node.inputs[2].empty()) ops.push_back("Add");
    }
    if (node.inputs.size() > 3 && !node.inputs[3].empty()) ops.push_back("Add");
    // Only the activation: other string attributes (FusedConv's auto_pad) name no op.
    if (const auto it = node.attrs.find("activation"); it != node.attrs.end())
      if (const auto* op = std::get_if<std::string>(&it->second); op && !op->empty()) ops.push_back(*op);
  }
  std::string text;
  for (const std::string& op : ops) text += (text.empty() ? "" : "+") + op;
  return text;
}

std::vector<StepInfo> DescribeSteps(const graph::Graph& g, const runtime::Plan& plan) {
  std::vector<StepInfo> infos;
  for (const runtime::Plan::Step& step : plan.steps) {
    const graph::Node& node = g.nodes[step.node];
    StepInfo info;
    info.op = node.op_type;
    info.label = node.name.empty() ? "(" + (node.outputs.empty() ? std::string() : node.outputs[0]) + ")" : node.name;
    std::vector<std::vector<int64_t>> ins, outs;
    auto shape_of = [&](std::size_t a, std::vector<std::vector<int64_t>>& into) {
      const int32_t slot = plan.args[a];
      into.push_back(slot < 0 ? std::vector<int64_t>{} : plan.slot_shapes[static_cast<std::size_t>(slot)]);
      if (slot < 0) return std::string("-");
      const DType t = plan.slot_types[static_cast<std::size_t>(slot)];
      info.bytes += static_cast<double>(ElementCount(into.back())) * static_cast<double>(DTypeSize(t));
      return std::string(DTypeName(t)) + ShapeToString(into.back());
    };
    for (uint32_t i = 0; i < step.num_in; ++i) info.inputs += (i ? ", " : "") + shape_of(step.args + i, ins);
    for (uint32_t o = 0; o < step.num_out; ++o) shape_of(step.args + step.num_in + o, outs);
    info.fused = FusedOps(node, ins.empty() ? 0 : ins[0].size());
    const graph::OpSchema& schema = graph::SchemaFor(node);
    const graph::AttrReader attrs(node, schema);
    info.flops = schema.EstimateFlops({ins, outs, attrs});
    infos.push_back(std::move(info));
  }
  return infos;
}

// Chrome's trace-event format: complete ("X") events in microseconds since the first run began.
std::string TraceJson(const std::string& model, const std::vector<StepInfo>& infos,
                      const std::vector<std::vector<runtime::StepRecord>>& runs, int64_t origin_ns) {
  std::string out = "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n";
  out += "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"tid\":0,\"args\":{\"name\":" + JsonString("axon " + model) + "}}";
  int max_thread = 0;
  for (const auto& run : runs)
    for (const auto& r : run) max_thread = std::max(max_thread, r.thread);
  for (int t = 0; t <= max_thread; ++t)
    out += ",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":" + std::to_string(t) +
           ",\"args\":{\"name\":\"axon thread " + std::to_string(t) + "\"}}";
  char buf[96];
  for (std::size_t r = 0; r < runs.size(); ++r)
    for (std::size_t k = 0; k < runs[r].size(); ++k) {
      const runtime::StepRecord& rec = runs[r][k];
      const StepInfo& info = infos[k];
      std::snprintf(buf, sizeof buf, "\"ts\":%.3f,\"dur\":%.3f", static_cast<double>(rec.start_ns - origin_ns) / 1e3,
                    static_cast<double>(rec.end_ns - rec.start_ns) / 1e3);
      out += ",\n{\"name\":" + JsonString(info.label) + ",\"cat\":" + JsonString(info.op) + ",\"ph\":\"X\"," + buf +
             ",\"pid\":1,\"tid\":" + std::to_string(std::max(rec.thread, 0)) + ",\"args\":{\"run\":" + std::to_string(r) +
             ",\"op\":" + JsonString(info.op) + (info.fused.empty() ? "" : ",\"fused\":" + JsonString(info.fused)) +
             ",\"inputs\":" + JsonString(info.inputs) + "}}";
    }
  return out + "\n]}\n";
}

int ProfileMain(const std::vector<std::string>& argv) {
  Args args("profile", argv, {"-i", "--dim", "--runs", "--threads", "--memory-limit", "--opt-level", "--disable-pass", "--trace"}, {}, {{"--input", "-i"}});
  const std::string model_path = args.Positional(0, "MODEL");
  args.MaxPositional(1);
  const int runs = args.IntValue("--runs", 10, 1);
  const int threads = args.IntValue("--threads", 0, 1);
  const int64_t memory_limit = args.BytesValue("--memory-limit", 0);
  const PassChoice passes = ReadPassOptions(args);
  const std::optional<std::string> trace_path = args.Value("--trace");

  // A trace that cannot be written fails before the runs, not after them.
  if (trace_path) {
    const std::filesystem::path path(*trace_path), parent = path.parent_path().empty() ? "." : path.parent_path();
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
      throw Error(ErrorCode::kIo, *trace_path + ": cannot write the trace: it is a directory");
    if (!std::filesystem::is_directory(parent, ec))
      throw Error(ErrorCode::kIo, *trace_path + ": cannot write the trace: no directory " + parent.string());
    formats::CheckReplaceable(*trace_path);  // a device, FIFO or symlink would be refused at the end
    if (::access(parent.c_str(), W_OK) != 0)
      throw Error(ErrorCode::kIo, *trace_path + ": cannot write the trace: directory " + parent.string() + " is not writable");
    // Never over a file this run reads (a slip of `--trace MODEL` would replace the model).
    std::vector<std::pair<std::string, std::string>> read = {{model_path, "the model"}};
    for (const std::string& v : args.Values("-i")) {
      read.emplace_back(v, "input file " + v);
      if (const auto eq = v.find('='); eq != std::string::npos) read.emplace_back(v.substr(eq + 1), "input file " + v.substr(eq + 1));
    }
    for (const auto& [file, what] : read)
      if (std::filesystem::equivalent(path, file, ec))
        throw Error(ErrorCode::kInvalidArgument, *trace_path + ": cannot write the trace over " + what + " this run reads");
  }
  Session session = Session::Load(model_path, {.threads = threads,
                                               .opt_level = passes.opt_level,
                                               .memory_limit_bytes = memory_limit,
                                               .disabled_passes = passes.disabled});
  std::vector<std::string> made;
  const std::vector<NamedTensor> inputs = CompleteInputs(args, session, ReadInputs(args, session), made);
  const graph::Graph& g = detail::SessionFactory::GraphOf(session);

  detail::SessionFactory::RunProfiled(session, inputs);  // plans, packs weights, warms caches
  std::vector<std::vector<runtime::StepRecord>> records;
  std::vector<double> wall_ms;
  std::shared_ptr<const runtime::Plan> plan;
  int64_t origin_ns = 0;
  {
    Progress progress("axon profile: run", runs);
    for (int r = 0; r < runs; ++r) {
      const auto start = std::chrono::steady_clock::now();
      auto run = detail::SessionFactory::RunProfiled(session, inputs);
      const auto end = std::chrono::steady_clock::now();
      if (r == 0) origin_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(start.time_since_epoch()).count();
      wall_ms.push_back(std::chrono::duration<double, std::milli>(end - start).count());
      plan = run.plan;  // the same plan every run: the inputs do not change
      records.push_back(std::move(run.steps));
      progress.Update(r + 1);
    }
  }
  const std::vector<StepInfo> infos = DescribeSteps(g, *plan);

  // Per node the median over the runs: one run preempted on a busy machine moves no figure.
  std::vector<double> node_ms(infos.size(), 0.0);
  for (std::size_t k = 0; k < infos.size(); ++k) {
    std::vector<double> times;
    for (const auto& run : records) times.push_back(static_cast<double>(run[k].end_ns - run[k].start_ns) / 1e6);
    node_ms[k] = Summarize(std::move(times)).median;
  }
  const double total_ms = std::accumulate(node_ms.begin(), node_ms.end(), 0.0);
  std::vector<std::size_t> order(infos.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return node_ms[a] > node_ms[b]; });

  // Written before anything is printed: a failure leaves one line on stderr and no table.
  if (trace_path) {
    const std::string json = TraceJson(model_path, infos, records, origin_ns);
    formats::FileBatch batch;
    const std::string_view chunks[] = {json};
    batch.Add(*trace_path, chunks);
    batch.Commit();
  }
  const LatencyStats wall = Summarize(wall_ms);
  std::printf("axon profile %s: %s, %s, opt level %d%s\n", Escaped(model_path).c_str(), Counted(runs, "run").c_str(),
              Counted(session.threads(), "thread").c_str(), passes.opt_level, Without(passes.disabled).c_str());
  for (const std::string& line : made) std::printf("made-up input %s\n", Escaped(line).c_str());
  std::printf("run time: median %.3f ms, min %.3f ms; node times add up to %.3f ms per run\n\n", wall.median, wall.min,
              total_ms);
  std::printf("%10s %7s %9s %11s  %-14s %s\n", "time ms", "%", "GFLOP/s", "moved", "op", "node  inputs");
  auto gflops = [](double flops, double ms) {
    char buf[32];
    if (flops <= 0 || ms <= 0) return std::string("-");
    std::snprintf(buf, sizeof buf, "%.2f", flops / (ms * 1e6));
    return std::string(buf);
  };
  double total_flops = 0, total_bytes = 0;
  for (std::size_t k : order) {
    const StepInfo& info = infos[k];
    total_flops += info.flops, total_bytes += info.bytes;
    const std::string op = info.fused.empty() ? info.op : info.op + " [" + info.fused + "]";
    std::printf("%10.4f %6.2f%% %9s %11s  %-14s %s  %s\n", node_ms[k], total_ms > 0 ? 100 * node_ms[k] / total_ms : 0.0,
                gflops(info.flops, node_ms[k]).c_str(), (HumanCount(info.bytes) + "B").c_str(), Escaped(op).c_str(),
                Escaped(info.label).c_str(), Escaped(info.inputs).c_str());
  }
  // The nodes' shares add up to 100%; with no node listed there is nothing to share.
  std::printf("%10.4f %6.2f%% %9s %11s  total: %s, %.4g GFLOP per run\n", total_ms, infos.empty() ? 0.0 : 100.0,
              gflops(total_flops, total_ms).c_str(), (HumanCount(total_bytes) + "B").c_str(),
              Counted(static_cast<long long>(infos.size()), "node").c_str(), total_flops / 1e9);

  if (trace_path)
    std::printf("trace: %s (%s: %s x %s)\n", Escaped(*trace_path).c_str(),
                Counted(static_cast<long long>(infos.size() * records.size()), "event").c_str(),
                Counted(static_cast<long long>(infos.size()), "node").c_str(), Counted(runs, "run").c_str());
  return 0;
}

}  // namespace

AXON_COMMAND("profile", "time every node of a model; optional Chrome trace", kUsage, ProfileMain);

}  // namespace axon::cli
