// Cost per Run through the embedding APIs: the bare C++ call (Session::RunInto on views made
// once; two sessions) beside the C API (axon_session_run), in interleaved rounds, so that the
// machine's load shifts both alike. Times are the thread's CPU time (the runs stay on the calling
// thread at one worker), so that other processes on a loaded machine do not count.
// bench/compare_bindings adds Python and prints the table.
// Usage: axon_call_overhead MODEL.axon [ROUNDS] [RUNS_PER_ROUND]; prints one line per API:
//   "<api> min_us median_us" (per run: the fastest and the median round), api cpp, cpp2 or c.
#include <axon/axon.h>
#include <axon/axon_c.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <string>
#include <vector>

namespace {

double ThreadCpuMicros() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_nsec) * 1e-3;
}

template <class F>
double MicrosPerRun(int runs, F&& run) {
  const double start = ThreadCpuMicros();
  for (int i = 0; i < runs; ++i) run();
  return (ThreadCpuMicros() - start) / runs;
}

void Print(const char* api, std::vector<double> us) {
  std::sort(us.begin(), us.end());
  std::printf("%s %.3f %.3f\n", api, us.front(), us[us.size() / 2]);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 4) {
    std::fprintf(stderr, "usage: %s MODEL.axon [ROUNDS] [RUNS_PER_ROUND]\n", argv[0]);
    return 2;
  }
  const int rounds = argc > 2 ? std::max(1, std::atoi(argv[2])) : 30;
  const int runs = argc > 3 ? std::max(1, std::atoi(argv[3])) : 200;
  try {
    axon::Session cpp = axon::Session::Load(argv[1], {.threads = 1});
    const axon::TensorInfo& in = cpp.inputs().at(0);
    std::vector<int64_t> shape;
    for (int64_t d : in.shape) shape.push_back(d < 0 ? 1 : d);
    std::vector<float> x(static_cast<std::size_t>(axon::ElementCount(shape)), 0.5f);
    const std::vector<axon::Tensor> inputs = {axon::Tensor::View(static_cast<const float*>(x.data()), shape)};
    const std::vector<int64_t> out_shape = cpp.OutputShapes(inputs).at(0);
    std::vector<float> y(static_cast<std::size_t>(axon::ElementCount(out_shape)));
    std::vector<axon::Tensor> outputs = {axon::Tensor::View(y.data(), out_shape)};

    axon_options* options = nullptr;
    axon_session* c = nullptr;
    if (axon_options_create(&options) != AXON_OK || axon_options_set_threads(options, 1) != AXON_OK ||
        axon_session_load(argv[1], options, &c) != AXON_OK) {
      std::fprintf(stderr, "%s\n", axon_last_error());
      return 1;
    }
    axon_options_destroy(options);
    axon_input c_in = {x.data(), x.size() * sizeof(float), shape.data(), shape.size(), AXON_F32};
    axon_output c_out = {y.data(), y.size() * sizeof(float), nullptr, 0, AXON_UNDEFINED, 0, 0};

    // A second C++ session of the same model: the spread between two sessions that differ only in
    // where their weights and arenas lie, the noise floor against which the C API is judged.
    axon::Session cpp2 = axon::Session::Load(argv[1], {.threads = 1});
    auto run_cpp = [&] { cpp.RunInto(inputs, outputs); };
    auto run_cpp2 = [&] { cpp2.RunInto(inputs, outputs); };
    auto run_c = [&] {
      if (axon_session_run(c, &c_in, 1, &c_out, 1) != AXON_OK) {
        std::fprintf(stderr, "%s\n", axon_last_error());
        std::exit(1);
      }
    };
    struct Api {
      const char* name;
      std::function<void()> run;
      std::vector<double> us;
    };
    std::vector<Api> apis = {{"cpp", run_cpp, {}}, {"cpp2", run_cpp2, {}}, {"c", run_c, {}}};
    for (Api& api : apis) MicrosPerRun(runs, api.run);  // warm: plans, caches, the arenas' pages
    for (int r = 0; r < rounds; ++r) {
      // Rotate which goes first, so that none always runs on a cache another one warmed.
      for (std::size_t k = 0; k < apis.size(); ++k) {
        Api& api = apis[(r + k) % apis.size()];
        api.us.push_back(MicrosPerRun(runs, api.run));
      }
    }
    for (const Api& api : apis) Print(api.name, api.us);
    axon_session_destroy(c);
  } catch (const axon::Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
