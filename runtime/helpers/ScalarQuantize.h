// The scalar quantize kernels' blocks: the portable kernels inline them; the AVX-512 ones reach them
// only through the cold paths (ColdPaths.h) for blocks their 16-bit lanes do not cover.
#pragma once
#include "OperandLoad.h"

namespace mxjit::helpers {

/// One row block of the quantize along the last axis: row r, block kb, into codes and plain scales.
inline void quantizeRowBlock(const abi::KernelArgs* args, int64_t r, int64_t kb, int64_t K, int32_t inF32, int32_t elem,
                             int32_t mode, int32_t block) {
  float v[1024];
  const int64_t first = r * K + kb * block;
  for (int64_t i = 0; i < block; ++i) v[i] = loadValue(args->a, first + i, inF32 ? abi::kQuantizeF32 : abi::kQuantizeBf16);
  args->outScales[r * (K / block) + kb] =
      formats::quantizeBlock(v, 1, block, ElemFormat(elem), ScaleMode(mode), static_cast<uint8_t*>(args->out) + first);
}

/// One block along M of column c: rows [first, first + n), scale row sr.
inline void quantizeColumnBlock(const abi::KernelArgs* args, int64_t c, int64_t first, int64_t n, int64_t sr, int64_t C,
                                int32_t inF32, int32_t elem, int32_t mode) {
  float v[1024];
  uint8_t q[1024];
  uint8_t* codes = static_cast<uint8_t*>(args->out);
  for (int64_t i = 0; i < n; ++i) v[i] = loadValue(args->a, (first + i) * C + c, inF32 ? abi::kQuantizeF32 : abi::kQuantizeBf16);
  args->outScales[sr * C + c] = formats::quantizeBlock(v, 1, n, ElemFormat(elem), ScaleMode(mode), q);
  for (int64_t i = 0; i < n; ++i) codes[(first + i) * C + c] = q[i];
}

}  // namespace mxjit::helpers
