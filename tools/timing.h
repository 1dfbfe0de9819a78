// What the commands that time a model (profile, bench) share: latency statistics, a progress line
// on a terminal, JSON strings.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace axon::cli {

struct LatencyStats {
  double min = 0, median = 0, p90 = 0, max = 0, mean = 0, total = 0;  // same unit as the samples
};
// p90 is the nearest-rank percentile (the smallest sample with at least 90% of them at or below it).
LatencyStats Summarize(std::vector<double> samples);

// "run 12/50" on stderr, rewritten in place at most ten times a second, and only when stderr is a
// terminal: a log or a pipe gets nothing. The line is cleared when done or destroyed.
class Progress {
 public:
  Progress(std::string what, int total);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  void Update(int done);

 private:
  void Clear();
  std::string what_;
  int total_;
  bool enabled_, shown_ = false;
  std::chrono::steady_clock::time_point last_;
};

// "1 run", "5 runs": a count and its noun, singular for one.
std::string Counted(long long n, std::string_view noun);

// text as a JSON string literal, quotes included; bytes that are not valid UTF-8 become U+FFFD.
std::string JsonString(std::string_view text);
// A finite number as JSON (NaN and infinities, which JSON lacks, as null).
std::string JsonNumber(double value);

}  // namespace axon::cli
