// What the JIT costs around its kernels, measured the same way wherever it is reported (mxjit bench,
// mxjit-bench-compile): the first-call compile of a kernel (the runtime's own stats: compileMs over
// compiles) and the per-call overhead of a cache hit (a call with no rows: checks, key, lookup, dispatch).
// Header-only; the caller supplies the call, so the helper knows nothing about which op it times.
#pragma once
#include "mxjit/Runtime.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <vector>

namespace mxjit::bench {

inline double millisSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

/// The median (upper median for an even count); 0 for none.
inline double medianOf(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

/// Compile milliseconds per kernel between two snapshots of a runtime's stats (0 if nothing compiled).
inline double compileMsPerKernel(const RuntimeStats& before, const RuntimeStats& after) {
  const uint64_t compiles = after.compiles - before.compiles;
  return compiles ? (after.compileMs - before.compileMs) / double(compiles) : 0.0;
}

/// First-call compile per kernel, cold: `call` runs once in each of `runs` fresh runtimes built from
/// `options` (give it no cacheDir, or the disk cache turns compiles into loads); the median of
/// compileMs / compiles.
inline double coldCompileMs(const RuntimeOptions& options, const std::function<void(Runtime&)>& call, int runs = 3) {
  std::vector<double> perKernel;
  for (int r = 0; r < runs; ++r) {
    Runtime rt(options);
    const RuntimeStats before = rt.stats();
    call(rt);
    perKernel.push_back(compileMsPerKernel(before, rt.stats()));
  }
  return medianOf(perKernel);
}

/// Cache-hit overhead: microseconds per call, the median of `rounds` loops of `calls` calls. Call it
/// once beforehand so the kernel is compiled (or let the first round absorb it: the median drops it).
inline double hitCallMicros(const std::function<void()>& call, int calls = 20000, int rounds = 5) {
  std::vector<double> perCallUs;
  for (int r = 0; r < rounds; ++r) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < calls; ++i) call();
    perCallUs.push_back(millisSince(start) * 1000.0 / calls);
  }
  return medianOf(perCallUs);
}

}  // namespace mxjit::bench
