// The kernel cache key: everything that changes the generated code and nothing else (never pointers,
// M_total, offs values or the thread count). A trivially copyable, zero-filled struct: it is a fixed-size
// encoding of the specialised op (kind, recipe, dtypes, layouts, K, N, G) plus the target, hashed by
// its bytes and compared with memcmp.
#pragma once
#include <cstdint>
#include <cstring>
#include <functional>
#include <type_traits>

namespace mxjit::runtime {

enum class SpecKind : uint8_t { Gemm2d3d, Gemm2d2d, QuantizeLastAxis, QuantizeAxis0 };

/// The specialised op after the passes, not the API call that asked for it: a forward on [E,K,N]
/// weights and a dgrad on [E,N,K] weights of the same sizes are one kernel.
struct KernelSpec {
  uint32_t version;  // bump when kernels change meaning
  SpecKind kind;
  uint8_t aDType, bDType, outDType;  // mxjit::DType values
  uint8_t aLayout, bLayout;          // ir::OperandLayout after fold-relayouts
  uint8_t aElem, bElem;              // element formats of the two operands (or of the quantize)
  uint8_t mode;                      // scale mode
  uint8_t highPrecision;             // bit 0: a, bit 1: b used unquantized (then its elem is 0)
  uint8_t grouped;                   // quantize along axis 0 restarting at group starts
  uint8_t avx512;                    // the microkernel family: 0 portable, 1 AVX-512, 2 AVX512-BF16, 3 AMX
  uint8_t streamPanels;              // the weight-streaming plan (plan::streamWeightPanels): 1; 2 where every group
                                     // has at most plan::kColumnTileRows rows, 3 where at most plan::fusedGroupRows
                                     // (PlanOptions::fusedGroupRows)
  uint8_t smallGroups;               // 2d2d on AMX hosts: every group within plan::kSmallGroupRows tokens (PlanOptions)
  uint8_t unused8[2];                // named padding, zeroed: copies keep every byte the key compares
  int32_t block;                     // a's block (and b's, unless bBlock says otherwise)
  int32_t bBlock;                    // b's block when b is prequantized with its own block
  int32_t unused32;
  int64_t k, n, groups;              // 2d3d: contraction K, columns N; 2d2d: out[g] is K x N
  uint64_t featuresHash;             // the target's full feature string

  static KernelSpec zeroed() {
    KernelSpec s;
    std::memset(&s, 0, sizeof s);
    s.version = 2;  // 2: AMX decode-size kernels, column tiles
    return s;
  }
  bool operator==(const KernelSpec& o) const { return std::memcmp(this, &o, sizeof o) == 0; }
};
static_assert(std::is_trivially_copyable_v<KernelSpec>);
// No padding: a copy need not copy padding bytes, and the key is hashed and compared byte by byte.
static_assert(std::has_unique_object_representations_v<KernelSpec>);

/// FNV-1a over bytes: the key hash and the disk cache's checksums.
inline uint64_t fnv1a(const void* data, size_t n, uint64_t h = 1469598103934665603ull) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

struct KernelSpecHash {
  size_t operator()(const KernelSpec& s) const { return fnv1a(&s, sizeof s); }
};

}  // namespace mxjit::runtime
