// What `mxjit bench` reports: the measured machine limits, one record per (shape, pass, engine) with
// its derived throughput, ratios and share of peak, and the JIT's compile and dispatch costs. A line
// per record is printed as it completes; the table comes at the end, once the peaks have been taken a
// second time (each peak is the better of the two: other processes may share the cores).
#pragma once
#include "BenchWorkload.h"
#include "mxjit/Runtime.h"

#include <cstddef>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

namespace mxjit::cli {

struct MachinePeaks {
  std::string cpu;
  int threads = 0;
  bool avx512f = false, avx512Bf16 = false, amxBf16 = false;
  double fp32FmaGflops = 0, bf16DotGflops = 0, amxGflops = 0, readGBps = 0;
  size_t readBufferBytes = 0;
  double loadAverage = -1;  // 1-minute load average before the peaks were taken
  double bestComputeGflops() const;
  std::string bestComputeName() const;
  /// The better of each limit (the load average of the first).
  MachinePeaks bestOf(const MachinePeaks& other) const;
};

struct Timing {
  double msMedian = 0;          // median over rounds of per-call milliseconds
  std::vector<double> roundMs;  // per-call milliseconds of each round
  int calls = 0;                // calls per round
  double firstCallMs = 0;       // the warm-up call (the JIT compiles in it)
};

struct BenchRecord {
  BenchShape shape;
  BenchPass pass = BenchPass::Fwd;
  std::string engine;
  EngineRun run;  // error, impl, note, problem, work
  std::optional<Timing> timing;
  int compiles = 0;      // JIT kernels built during the warm-up
  double compileMs = 0;  // per kernel
  // Derived by BenchReport::add.
  double gflops = NAN, gbps = NAN, vsOnednn = NAN, vsOnednnPlain = NAN, vsReference = NAN, pctPeak = NAN;
};

struct DispatchCost {
  BenchShape shape;
  double hitUsBf16 = 0, hitUsMx = 0;          // zero-row forward, bf16 / prequantized weights
  double compileMsBf16 = 0, compileMsMx = 0;  // its first call (the weight-streaming kernel), 0 if cached
};

class BenchReport {
public:
  BenchReport(MachinePeaks peaks, std::string onednnVersion, std::string groups, int rounds, std::string command);

  void printPreamble();
  /// Keeps the record and prints a progress line.
  void add(BenchRecord r);
  void addDispatch(const DispatchCost& d);
  /// Derives throughput, ratios (against the records of the same shape and pass) and share of peak
  /// with the better of the two peak measurements, and prints the report.
  void finish(const MachinePeaks& peaksAtEnd, const RuntimeStats& stats, const std::string& target, int compileThreads);

  void writeJson(const std::string& path) const;
  void writeText(const std::string& path) const;

private:
  void emit(const std::string& text);  // print and keep for the .txt

  void derive(BenchRecord& r) const;

  MachinePeaks peaks_, peaksAtStart_, peaksAtEnd_;
  std::string onednnVersion_, groups_, command_;
  int rounds_ = 0;
  std::vector<BenchRecord> records_;
  std::vector<DispatchCost> dispatch_;
  RuntimeStats stats_;
  std::string target_, text_;
  int compileThreads_ = 1;
  std::vector<std::string> impls_;  // "shape pass engine: impl"
};

}  // namespace mxjit::cli
