// The AVX512-BF16 microkernel: vdpbf16ps multiplies pairs of bf16 values and adds both products to an
// fp32 accumulator, twice the work of an fp32 FMA per instruction. Every MX-dequantized operand is a bf16
// value, so nothing is lost by packing operands as bf16. The instruction adds the pair's odd element
// first, then the even one (Intel SDM, VDPBF16PS), so packing element k at the odd position and k+1 at
// the even one keeps the reference's summation order: results equal the scalar reference except where
// an operand or a partial sum is an fp32 subnormal (the instruction flushes those: DAZ/FTZ).
#pragma once
#include "MxVectorCodec.h"
#include "formats/BFloat16.h"

#include <immintrin.h>
#include <stdint.h>
#include <string.h>

namespace mxjit::helpers {

/// Packs n values (n even) as swapped bf16 pairs: dst[2p] = v[2p+1], dst[2p+1] = v[2p].
inline void packPairs(const float* v, int64_t n, uint16_t* dst) {
  for (int64_t p = 0; p < n / 2; ++p) {
    dst[2 * p] = formats::floatToBf16(v[2 * p + 1]);
    dst[2 * p + 1] = formats::floatToBf16(v[2 * p]);
  }
}

/// acc[i][:] over `pairs` contraction pairs: row i's pair p is the dword at a + i * aStride + p * aPairStep,
/// the pairs of columns j..j+15 are at b + p * bPairStep + 2 * j (each dword: element k+1, then k).
/// Rows i < rows, columns j < cols go to out[outIndex + i * ldo + j], bf16 or fp32, 16 lanes a store.
template <int MR, int NR>
__attribute__((target("avx512f,avx512bf16,avx512bw,avx512vl"), always_inline)) inline void microTileBf16(
    const uint16_t* a, int64_t aStride, int64_t aPairStep, const uint16_t* b, int64_t bPairStep, int64_t pairs,
    int64_t rows, int64_t cols, void* out, int64_t outIndex, int64_t ldo, int32_t outBf16) {
  constexpr int NV = NR / 16;
  __m512 acc[MR][NV];
#pragma clang loop unroll(full)
  for (int i = 0; i < MR; ++i)
#pragma clang loop unroll(full)
    for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_setzero_ps();
  for (int64_t p = 0; p < pairs; ++p) {
    __m512bh bv[NV];
#pragma clang loop unroll(full)
    for (int v = 0; v < NV; ++v) bv[v] = (__m512bh)_mm512_loadu_si512(b + p * bPairStep + v * 32);
#pragma clang loop unroll(full)
    for (int i = 0; i < MR; ++i) {
      int32_t pair;
      memcpy(&pair, a + i * aStride + p * aPairStep, sizeof pair);
      const __m512bh av = (__m512bh)_mm512_set1_epi32(pair);
#pragma clang loop unroll(full)
      for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_dpbf16_ps(acc[i][v], bv[v], av);
    }
  }
#pragma clang loop unroll(full)
  for (int i = 0; i < MR; ++i)
    if (i < rows)
#pragma clang loop unroll(full)
      for (int v = 0; v < NV; ++v) vec::storeLanes(out, outIndex + i * ldo + v * 16, acc[i][v], cols - v * 16, outBf16);
}

}  // namespace mxjit::helpers
