// The register-blocked fp32 microkernel: an MR x NR tile of C accumulated over a contraction, written
// with clang vector types so the same source becomes AVX-512 zmm code or, on hosts without it, the
// backend splits the vectors into ymm/xmm (the portable path). Each output is one accumulator summed in
// contraction order, so results equal the scalar reference bit for bit (products of bf16 values are
// exact in fp32, so fused and unfused multiply-add agree).
#pragma once
#include <stdint.h>
#include <string.h>

namespace mxjit::helpers {

template <int VW> using Vec = float __attribute__((ext_vector_type(VW)));

template <int VW> inline Vec<VW> loadVec(const float* p) {
  Vec<VW> v;
  memcpy(&v, p, sizeof v);
  return v;
}

/// acc[i][:] = sum over c < depth of a[i*aStride + c*aStep] * b[c*bStride + (0..NR)], then stored to
/// `store(i, j, value)` for i < rows, j < cols.
template <int MR, int NR, int VW, class Store>
inline void microTile(const float* a, int64_t aStride, int64_t aStep, const float* b, int64_t bStride, int64_t depth,
                      int64_t rows, int64_t cols, Store store) {
  constexpr int NV = NR / VW;
  Vec<VW> acc[MR][NV];
#pragma clang loop unroll(full)
  for (int i = 0; i < MR; ++i)
#pragma clang loop unroll(full)
    for (int v = 0; v < NV; ++v) acc[i][v] = 0.0f;
  for (int64_t c = 0; c < depth; ++c) {
    Vec<VW> bv[NV];
#pragma clang loop unroll(full)
    for (int v = 0; v < NV; ++v) bv[v] = loadVec<VW>(b + c * bStride + v * VW);
#pragma clang loop unroll(full)
    for (int i = 0; i < MR; ++i) {
      const float ai = a[i * aStride + c * aStep];
#pragma clang loop unroll(full)
      for (int v = 0; v < NV; ++v) acc[i][v] += ai * bv[v];
    }
  }
  for (int i = 0; i < MR && i < rows; ++i)
    for (int v = 0; v < NV; ++v)
      for (int l = 0; l < VW; ++l)
        if (v * VW + l < cols) store(i, v * VW + l, acc[i][v][l]);
}

}  // namespace mxjit::helpers
