// AVX-512 forms of the quantize kernels' blocks for bf16 input, 32 values a register in 16-bit lanes
// (Bf16LaneQuantize.h). Where they do not apply (a block not a multiple of 32, a scale outside the fast
// range, an fp8 subnormal or NaN in the block) they say so - false, or a block's bit in `failed` - and
// the caller quantizes that block with the scalar codec, overwriting whatever was written.
#pragma once
#include "Bf16LaneQuantize.h"

namespace mxjit::helpers::vec {

/// A row of K contiguous values (K a multiple of `block`, itself of 32): codes at the same offsets, scale
/// codes at scales[0..], 16 blocks at a time with their scale codes found together (blockGrids16; a last,
/// shorter group leaves the missing blocks' registers zero). False (nothing usable written) where K or the
/// block does not fit; `failed` gets a bit for each block (64 at most) that needs the scalar codec, whose
/// codes and scale the caller then rewrites.
MXJIT_AVX512 bool quantizeContiguousRow(const uint16_t* x, int64_t K, int64_t block, ElemFormat elem, ScaleMode mode,
                                        uint8_t* codes, uint8_t* scales, uint64_t* failed) {
  *failed = 0;
  if (block % 32 || K % block || K / block > 64) return false;
  MXJIT_NO_UNROLL  // K is a plan constant: unrolled, every group would be a copy of this body
  for (int64_t k0 = 0; k0 < K; k0 += 16 * block) {
    const int64_t blocks = (K - k0) / block < 16 ? (K - k0) / block : 16;
    BlockGrids16 grids;
    blockGrids16Of(x + k0, block, blocks, block, elem, mode, &grids);
    for (int64_t i = 0; i < blocks; ++i) {
      scales[k0 / block + i] = grids.code[i];
      bool ok = grids.inLanes >> i & 1;
      for (int64_t k = k0 + i * block; ok && k < k0 + (i + 1) * block; k += 32) {
        __m256i q;
        ok = quantize32(_mm512_loadu_si512(x + k), grids.grid(static_cast<int>(i)), elem, mode, &q);
        if (ok) _mm256_storeu_si256(reinterpret_cast<__m256i*>(codes + k), q);
      }
      if (!ok) *failed |= uint64_t(1) << (k0 / block + i);
    }
  }
  return true;
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
