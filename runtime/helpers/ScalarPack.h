// The scalar packers: any operand load, layout, block and panel width, in fp32. The portable and fp32
// AVX-512 kernels inline them (the JIT specialises and vectorises them there); the bf16 / AMX kernels
// reach them only through the cold paths (ColdPaths.h) for what their vector packers do not cover.
#pragma once
#include "OperandLoad.h"

#include <string.h>

namespace mxjit::helpers {

// Rows [begin, begin + rows) of A, quantized (or decoded) along K, row-major into dst; zero rows pad
// the panel to `paddedRows` so a microtile may read whole MR-row slabs.
inline void packRows(const abi::KernelArgs* args, int64_t begin, int64_t rows, int64_t paddedRows, float* dst, int64_t K,
                     int32_t loadA, int32_t elemA, int32_t modeA, int32_t block) {
  const int64_t kBlocks = K / block;
  for (int64_t r = 0; r < paddedRows; ++r) {
    float* row = dst + r * K;
    if (r >= rows) {
      memset(row, 0, sizeof(float) * K);
      continue;
    }
    const int64_t src = begin + r;
    for (int64_t kb = 0; kb < kBlocks; ++kb) {
      const uint8_t scale = args->aScales ? args->aScales[src * kBlocks + kb] : 0;
      loadBlock(args->a, src * K + kb * block, 1, block, loadA, ElemFormat(elemA), ScaleMode(modeA), scale, row + kb * block);
    }
  }
}

// Rows [k0, k1) of columns [tile*NR, tile*NR + NR) of group g's B (logically [K, N]), quantized (or
// decoded) along K in whole blocks, as dst[(k - k0) * NR + jj]; columns past N are zero.
inline void packBPanel(const abi::KernelArgs* args, int64_t g, int64_t tile, float* dst, int64_t K, int64_t k0, int64_t k1,
                       int64_t N, int32_t enk, int32_t load, int32_t elem, int32_t mode, int32_t block, int32_t NR) {
  const int64_t kBlocks = K / block;
  float v[1024];
  for (int64_t jj = 0; jj < NR; ++jj) {
    const int64_t j = tile * NR + jj;
    for (int64_t kb = k0 / block; kb * block < k1; ++kb) {
      const int64_t from = kb * block > k0 ? kb * block : k0, to = (kb + 1) * block < k1 ? (kb + 1) * block : k1;
      if (j >= N) {
        for (int64_t k = from; k < to; ++k) dst[(k - k0) * NR + jj] = 0.0f;
        continue;
      }
      // element (g, k, j): [E,N,K] is contiguous along k, [E,K,N] strided by N
      const int64_t first = enk ? (g * N + j) * K + kb * block : (g * K + kb * block) * N + j;
      const int64_t stride = enk ? 1 : N;
      const uint8_t scale = args->bScales ? args->bScales[enk ? (g * N + j) * kBlocks + kb : (g * kBlocks + kb) * N + j] : 0;
      loadBlock(args->b, first, stride, block, load, ElemFormat(elem), ScaleMode(mode), scale, v);
      for (int64_t k = from; k < to; ++k) dst[(k - k0) * NR + jj] = v[k - kb * block];
    }
  }
}

}  // namespace mxjit::helpers
