// The problems `mxjit bench` times: a grouped GEMM shape (M_total, K, N, G) with uniform or jagged
// routing, its bf16 buffers, and for each pass the call of every engine: the mxjit JIT, oneDNN bf16
// matmul per group (plain or prepacked weights) and the scalar reference on a reduced problem. Also the
// work model (flops, minimum bytes moved) the report divides by.
#pragma once
#include "BenchOneDnn.h"
#include "mxjit/PackedWeights.h"
#include "mxjit/Runtime.h"
#include "support/HostTensor.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mxjit::cli {

struct BenchShape {
  int64_t m = 0, k = 0, n = 0, g = 0;
  std::string str() const;  // "16384x2048x1024x8"
};

enum class BenchPass { Fwd, Dgrad, Wgrad, Step, Quantize };
std::string_view benchPassName(BenchPass p);
BenchPass parseBenchPass(std::string_view s);  // Error(Parse) naming the accepted names

/// Cumulative group ends: uniform (M/G each, the remainder spread over the first groups) or jagged
/// (deterministic gamma-distributed sizes with group 1 empty, as MoE routing skews them).
std::vector<int32_t> groupEnds(const BenchShape& s, bool jagged);

/// GEMM passes whose groups average <= 16 rows are decode-like: bound by reading the weights.
bool memoryBound(const BenchShape& s, BenchPass p);

/// Work of one call: 2*m*k*n per GEMM (step: 3 GEMMs; quantize: 0), and the minimum bytes each engine
/// must move: A, out and the weights of the experts that have rows, read once; weights as fp8 + e8m0
/// scales where the engine takes them prequantized (mxjit forward), bf16 otherwise.
struct Work {
  double flops = 0;
  double bytes = 0;
};
Work workOf(const BenchShape& s, const std::vector<int32_t>& ends, BenchPass p, bool fp8Weights);

/// A timed callable plus what the report says about it.
struct EngineRun {
  std::function<void()> call;  // empty: not run (see error)
  std::string error;
  std::string impl;            // oneDNN: impl_info_str of its primitives
  std::string note;            // e.g. the reduced problem the reference ran
  std::vector<int64_t> problem;  // [M, K, N, G] actually run
  Work work;
  /// The JIT's wgrad is not a separate API call: it is timed as grouped_mm_backward minus this call
  /// (the dgrad kernel alone), set when `call` runs the whole backward.
  std::function<void()> subtract;
};

/// Buffers of one shape, allocated on first use. Values are deterministic pseudo-random bf16 numbers.
class BenchWorkload {
public:
  BenchWorkload(BenchShape shape, bool jagged, Runtime& runtime);

  const BenchShape& shape() const { return shape_; }
  const std::vector<int32_t>& ends() const { return ends_; }

  EngineRun mxjit(BenchPass p);
  /// The forward on the same prequantized weights packed once (pack_weights), as oneDNN's prepacked peer.
  EngineRun mxjitPacked();
  EngineRun oneDnn(BenchPass p, bool prepacked);
  /// The scalar reference on the first group only, its rows capped so one call stays near a few
  /// hundred ms (it runs at a few GFLOP/s); GFLOP/s are those of what it ran.
  EngineRun reference(BenchPass p);
  /// A forward with no rows (cache-hit overhead): bf16 weights, or prequantized MX weights.
  std::function<void()> zeroRowForward(bool mxWeights);

private:
  HostTensor& a();        // [M, K] bf16
  HostTensor& wEnk();     // [G, N, K] bf16 (torchao's layout; the JIT's weights)
  HostTensor& wEkn();     // [G, K, N] bf16, the same values (oneDNN's plain [K, N] weights)
  HostTensor& gradOut();  // [M, N] bf16
  void quantizeWeights();  // wq_, ws_: W along K, E4M3, block 32, RCEIL, plain scales

  BenchShape shape_;
  std::vector<int32_t> ends_;
  Runtime& runtime_;
  HostTensor offs_, a_, wEnk_, wEkn_, gradOut_, out_, gradA_, gradB_, wq_, ws_, q_, qs_;
  HostTensor a0_, out0_, offs0_;
  std::optional<PackedWeights> packed_;
};

}  // namespace mxjit::cli
