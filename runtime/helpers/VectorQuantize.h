// AVX-512 forms of the quantize kernels' blocks for bf16 input, 32 values a register in 16-bit lanes
// (Bf16LaneQuantize.h). Each returns false where it does not apply (a block not a multiple of 32, a
// scale outside the fast range, an fp8 subnormal or NaN in the block) and the caller quantizes that
// block with the scalar codec, overwriting whatever was written.
#pragma once
#include "Bf16LaneQuantize.h"

namespace mxjit::helpers::vec {

/// One block of `block` contiguous values: codes at the same offsets, its scale code in *scale.
MXJIT_AVX512 bool quantizeContiguousBlock(const uint16_t* x, int64_t block, ElemFormat elem, ScaleMode mode, uint8_t* codes,
                                          uint8_t* scale) {
  if (block % 32) return false;
  const uint8_t code = contiguousScaleCode(x, block, elem, mode);
  LaneGrid grid;
  if (!laneGrid(code, elem, &grid)) return false;
  for (int64_t k = 0; k < block; k += 32) {
    __m256i q;
    if (!quantize32(_mm512_loadu_si512(x + k), grid, elem, mode, &q)) return false;
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(codes + k), q);
  }
  *scale = code;
  return true;
}

/// Whole groups of 16 blocks of a row of K contiguous values (block a multiple of 32), their scale codes
/// found together (blockGrids16): codes at the same offsets, scale codes at scales[0..]. Returns where it
/// stopped (0 where it does not apply); `failed` gets a bit for each block (from k = 0, 64 at most) that
/// needs the scalar codec, whose codes and scale the caller then rewrites.
MXJIT_AVX512 int64_t quantizeContiguousBlocks16(const uint16_t* x, int64_t K, int64_t block, ElemFormat elem, ScaleMode mode,
                                                uint8_t* codes, uint8_t* scales, uint64_t* failed) {
  *failed = 0;
  if (block % 32 || K / block > 64) return 0;
  int64_t k0 = 0;
  for (; k0 + 16 * block <= K; k0 += 16 * block) {
    __m512i magnitudes[16];
    for (int64_t i = 0; i < 16; ++i) {
      magnitudes[i] = _mm512_setzero_si512();
      for (int64_t k = 0; k < block; k += 32)
        magnitudes[i] = _mm512_max_epu16(magnitudes[i], magnitudes16(_mm512_loadu_si512(x + k0 + i * block + k)));
    }
    BlockGrids16 grids;
    blockGrids16(magnitudes, elem, mode, &grids);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(scales + k0 / block), _mm_loadu_si128(reinterpret_cast<const __m128i*>(grids.code)));
    for (int64_t i = 0; i < 16; ++i) {
      bool ok = grids.inLanes >> i & 1;
      for (int64_t k = k0 + i * block; ok && k < k0 + (i + 1) * block; k += 32) {
        __m256i q;
        ok = quantize32(_mm512_loadu_si512(x + k), grids.grid(static_cast<int>(i)), elem, mode, &q);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(codes + k), q);
      }
      if (!ok) *failed |= uint64_t(1) << (k0 / block + i);
    }
  }
  return k0;
}

/// One block along the rows of 32 adjacent columns: n rows `stride` apart (codes laid out as x), the 32
/// columns' scale codes at scales.
MXJIT_AVX512 bool quantizeColumnBlock(const uint16_t* x, int64_t n, int64_t stride, ElemFormat elem, ScaleMode mode,
                                      uint8_t* codes, uint8_t* scales) {
  __m512i amax = _mm512_setzero_si512();
  for (int64_t i = 0; i < n; ++i) amax = _mm512_max_epu16(amax, magnitudes16(_mm512_loadu_si512(x + i * stride)));
  const __m512i blockCodes = scaleCodes16(amax, elem, mode);
  LaneGrid grid;
  if (!laneGrid(blockCodes, elem, &grid)) return false;
  for (int64_t i = 0; i < n; ++i) {
    __m256i q;
    if (!quantize32(_mm512_loadu_si512(x + i * stride), grid, elem, mode, &q)) return false;
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(codes + i * stride), q);
  }
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(scales), _mm512_cvtepi16_epi8(blockCodes));
  return true;
}

}  // namespace mxjit::helpers::vec
