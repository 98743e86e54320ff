// Shared fixtures for the JIT tests: random grouped-GEMM problems and exact comparison with the
// scalar reference.
#pragma once
#include "common/GuardPages.h"
#include "formats/BFloat16.h"
#include "mxjit/Error.h"
#include "mxjit/Ops.h"
#include "mxjit/Runtime.h"
#include "reference/GroupedMM.h"
#include "support/HostTensor.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace mxjit::test {

struct GemmProblem {
  HostTensor a, w, offs, gradOut;
  int64_t m, k, n, experts;
};

/// Wide-range bf16 data (exponents -6..6) so FLOOR saturation and the quantization axes matter.
inline HostTensor randomBf16(std::vector<int64_t> shape, std::mt19937& rng) {
  HostTensor t(DType::BF16, std::move(shape));
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_int_distribution<int> exponent(-6, 6);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<uint16_t>()[i] = formats::floatToBf16(std::ldexp(normal(rng), exponent(rng)));
  return t;
}

inline HostTensor offsTensor(const std::vector<int32_t>& groupSizes) {
  HostTensor t(DType::I32, {static_cast<int64_t>(groupSizes.size())});
  int32_t end = 0;
  for (size_t g = 0; g < groupSizes.size(); ++g) t.data<int32_t>()[g] = end += groupSizes[g];
  return t;
}

inline GemmProblem makeProblem(const std::vector<int32_t>& groupSizes, int64_t extraRows, int64_t k, int64_t n, bool enk,
                               unsigned seed) {
  std::mt19937 rng(seed);
  GemmProblem p;
  p.experts = static_cast<int64_t>(groupSizes.size());
  p.offs = offsTensor(groupSizes);
  p.m = (p.experts ? p.offs.data<int32_t>()[p.experts - 1] : 0) + extraRows;
  p.k = k, p.n = n;
  p.a = randomBf16({p.m, k}, rng);
  p.w = randomBf16(enk ? std::vector<int64_t>{p.experts, n, k} : std::vector<int64_t>{p.experts, k, n}, rng);
  p.gradOut = randomBf16({p.m, n}, rng);
  return p;
}

/// Narrow-range weights (a normal distribution): their fp8 codes are almost all normal numbers, and
/// quantized in the 16-bit lanes almost every block stays there.
inline void makeNarrow(HostTensor& w, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (int64_t i = 0; i < w.numel(); ++i) w.data<uint16_t>()[i] = formats::floatToBf16(normal(rng));
}

/// Decode groups: every size 0 .. 8 (plan::kColumnTileRows, where the fused streaming kernels apply; they
/// multiply exactly a group's rows).
inline std::vector<int32_t> decodeGroupSizes() { return {0, 1, 8, 5, 3, 7, 2, 6, 4}; }

/// Number of differing bytes (the JIT must match the reference bit for bit: same summation order).
inline int64_t differingElements(const HostTensor& got, const HostTensor& want) {
  EXPECT_EQ(got.shape(), want.shape());
  const int64_t size = dtypeSize(got.dtype());
  int64_t bad = 0;
  for (int64_t i = 0; i < got.numel(); ++i) bad += std::memcmp(got.bytes() + i * size, want.bytes() + i * size, size) != 0;
  return bad;
}

/// A runtime capped to `target` (other options as given), or null where this host lacks that ISA
/// (Error(Unsupported), the only error accepted).
inline std::unique_ptr<Runtime> runtimeForTarget(const std::string& target, RuntimeOptions options = {}) {
  options.target = target;
  try {
    return std::make_unique<Runtime>(options);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unsupported) << e.what();
    return nullptr;
  }
}

/// Runs `call` on a runtime capped to AVX512-BF16 and, on AMX hosts, on the host's own target (where the
/// AMX plans apply), each dumping its compiles, and expects `kernels` kernels, one with `marker` in its
/// plan (" column_tiles", " row_blocks"; on the AMX target `amxMarker`, empty: any plans); where the host
/// lacks AVX512-BF16, on the host's own target with no expectation on the plans.
template <class Call>
void onStreamingRuntimes(Call call, const std::string& marker, size_t kernels, const std::string& amxMarker, size_t amxKernels) {
  namespace fs = std::filesystem;
  for (const char* target : {"avx512bf16", "auto"}) {
    const fs::path dumps = fs::temp_directory_path() / ("mxjit_streaming_plans_" + std::to_string(::getpid()));
    RuntimeOptions options;
    options.dumpDir = dumps.string();
    std::unique_ptr<Runtime> rt = runtimeForTarget(target, options);
    if (!rt) {
      Runtime host;
      call(host);
      return;
    }
    const bool amx = rt->targetName() == "amx";
    if (std::string(target) == "auto" && !amx) return;  // the same as the first
    call(*rt);
    std::string plans;
    size_t planFiles = 0;
    for (const auto& e : fs::directory_iterator(dumps))
      if (e.path().string().ends_with(".plan.txt"))
        plans += (std::stringstream() << std::ifstream(e.path()).rdbuf()).str(), ++planFiles;
    const std::string& want = amx ? amxMarker : marker;
    if (!want.empty()) {
      EXPECT_NE(plans.find(want), std::string::npos) << rt->targetName() << ": no" << want << " plan\n" << plans;
    }
    EXPECT_EQ(planFiles, amx ? amxKernels : kernels) << rt->targetName() << "\n" << plans;
    fs::remove_all(dumps);
  }
}

inline float valueAt(const HostTensor& t, int64_t i) {
  return t.dtype() == DType::F32 ? t.data<float>()[i] : formats::bf16ToFloat(t.data<uint16_t>()[i]);
}

/// Whether a JIT GEMM element a may differ from the reference's b, given sum_c |x||y| over its `depth`
/// terms. Targets that keep the reference's summation order must match bit for bit. AMX's tdpbf16ps rounds
/// each 32-term dot product once before adding it (MicrokernelAmx.h), so there the difference is bounded
/// by fp32 rounding: |a - b| <= (C + C/32 + 32) * 2^-24 * 2 * sum_c |x||y| (both sums' error bounds; 2
/// covers quantization's growth of |x||y|), plus one bf16 ulp for a bf16 result. NaN must meet NaN.
inline bool withinAmxBound(float a, float b, double magnitude, int64_t depth, DType out) {
  double bound = (depth + depth / 32.0 + 32) * std::ldexp(2.0 * magnitude, -24);
  if (out == DType::BF16) bound += std::ldexp(std::max(std::fabs(a), std::fabs(b)), -7);
  return std::isnan(a) || std::isnan(b) ? std::isnan(a) && std::isnan(b) : a == b || std::fabs(double(a) - b) <= bound;
}

/// Elements of a JIT GEMM result `got` outside what `rt`'s target allows against the reference's `want`
/// (withinAmxBound), for got[i][j] = sum_c x[i][c] * y_g[c][j] (x (M, C); y stored [E, J, C] if yJC, else
/// [E, C, J]).
inline int64_t gemmMismatches(const HostTensor& got, const HostTensor& want, const HostTensor& x, const HostTensor& y,
                              bool yJC, const HostTensor& offs, const Runtime& rt = Runtime::global()) {
  if (rt.targetName() != "amx") return differingElements(got, want);
  EXPECT_EQ(got.shape(), want.shape());
  const int64_t cols = got.shape()[1], depth = x.shape()[1], groups = offs.numel();
  int64_t bad = 0, begin = 0;
  for (int64_t g = 0; g < groups; ++g) {
    const int64_t end = offs.data<int32_t>()[g];
    for (int64_t i = begin; i < end; ++i)
      for (int64_t j = 0; j < cols; ++j) {
        double magnitude = 0;
        for (int64_t c = 0; c < depth; ++c)
          magnitude += std::fabs(valueAt(x, i * depth + c)) *
                       std::fabs(valueAt(y, yJC ? (g * cols + j) * depth + c : (g * depth + c) * cols + j));
        bad += !withinAmxBound(valueAt(got, i * cols + j), valueAt(want, i * cols + j), magnitude, depth, got.dtype());
      }
    begin = end;
  }
  for (int64_t i = begin * cols; i < got.numel(); ++i) bad += valueAt(got, i) != valueAt(want, i);  // rows past offs[-1]
  return bad;
}

/// The same for a wgrad result got[g][k][n] = sum over group g's tokens t of a[t][k] * go[t][n].
inline int64_t wgradMismatches(const HostTensor& got, const HostTensor& want, const HostTensor& a, const HostTensor& go,
                               const HostTensor& offs, const Runtime& rt = Runtime::global()) {
  if (rt.targetName() != "amx") return differingElements(got, want);
  EXPECT_EQ(got.shape(), want.shape());
  const int64_t K = a.shape()[1], N = go.shape()[1], groups = offs.numel();
  int64_t bad = 0;
  for (int64_t g = 0, begin = 0; g < groups; begin = offs.data<int32_t>()[g++])
    for (int64_t k = 0; k < K; ++k)
      for (int64_t n = 0; n < N; ++n) {
        double magnitude = 0;
        for (int64_t t = begin; t < offs.data<int32_t>()[g]; ++t)
          magnitude += std::fabs(valueAt(a, t * K + k)) * std::fabs(valueAt(go, t * N + n));
        const int64_t at = (g * K + k) * N + n;
        bad += !withinAmxBound(valueAt(got, at), valueAt(want, at), magnitude, offs.data<int32_t>()[g] - begin, got.dtype());
      }
  return bad;
}

/// A copy of t against an inaccessible page (GuardPages: at its start, or at its end), and a view of it.
struct GuardedTensor {
  GuardedTensor(const HostTensor& t, bool atEnd) : bytes(size_t(t.view().nbytes()), 0, atEnd) {
    if (t.view().nbytes() > 0) std::memcpy(bytes.data(), t.view().data, size_t(t.view().nbytes()));  // an empty one may hold no buffer
    view = TensorView{bytes.data(), t.dtype(), t.shape()};
  }
  GuardPages bytes;
  TensorView view;
};

/// The forward of p on its bf16 weights (stored as `layout`, quantized per `recipe`) equal to the
/// reference on each streaming runtime, with onStreamingRuntimes' expectations on the plans; `what` names
/// the case in a failure.
inline void expectBf16Forward(const GemmProblem& p, WeightLayout layout, const QuantRecipe& recipe, DType out,
                              const std::string& marker, size_t kernels, const std::string& amxMarker, size_t amxKernels,
                              const std::string& what = "") {
  HostTensor got(out, {p.m, p.n}), want(out, {p.m, p.n});
  reference::groupedMMForward(p.a.view(), p.w.view(), layout, p.offs.view(), recipe, want.view());
  onStreamingRuntimes(
      [&](Runtime& rt) {
        grouped_mm(p.a.view(), p.w.view(), layout, p.offs.view(), recipe, got.view(), rt);
        EXPECT_EQ(gemmMismatches(got, want, p.a, p.w, layout == WeightLayout::ENK, p.offs, rt), 0) << rt.targetName() << " " << what;
      },
      marker, kernels, amxMarker, amxKernels);
}

}  // namespace mxjit::test
