// The oneDNN peer of `mxjit bench`: a grouped GEMM run as one bf16 matmul per group (bf16 in and out,
// fp32 accumulation), one primitive per distinct group shape, cached for the process. Built only where
// CMake found oneDNN (MXJIT_HAVE_ONEDNN); elsewhere oneDnnAvailable() is false and runs report why.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace mxjit::cli {

/// One group: dst[m,n] = src[m,k] @ wei[k,n] on bf16 bit patterns, every operand row-major unless
/// marked transposed: src stored [k,m] (wgrad's A_g^T is a view of A), wei stored [n,k].
struct DnnGemm {
  int64_t m = 0, k = 0, n = 0;
  const uint16_t* src = nullptr;
  bool srcTransposed = false;
  const uint16_t* wei = nullptr;
  bool weiTransposed = false;
  uint16_t* dst = nullptr;
};

struct DnnRun {
  std::function<void()> call;  // executes every group in order and waits; empty if setup failed
  std::string impl;            // the distinct impl_info_str() of the primitives used, joined by ", "
  std::string error;           // why there is no call
};

bool oneDnnAvailable();
/// "2.6.3 (omp)" or why oneDNN is missing.
std::string oneDnnVersion();

/// Creates (or reuses) the primitives for `gemms` (empty groups skipped). `prepacked`: the weights'
/// memory format is left to the primitive (format_tag::any) and each group's weights are reordered to
/// it here, once, outside the returned call; otherwise the weights are read in their stored layout.
DnnRun oneDnnGroupedGemm(const std::vector<DnnGemm>& gemms, bool prepacked);

}  // namespace mxjit::cli
