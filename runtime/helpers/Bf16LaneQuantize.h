// MX quantization of bf16 values 32 at a time, in their own 16-bit lanes, without widening to fp32.
// A block scale is a power of two, so quantizing x at scale code c and dequantizing again is rounding
// x to the fp8 grid scaled by 2^(c-127): while x / 2^(c-127) is a normal fp8 value and the scale keeps
// every bound a normal bf16, that is RNE of the bf16 mantissa to the format's mantissa width, after
// clamping at the scaled max (every mode but RCEIL clamps). Lanes outside that (fp8 subnormals, NaN,
// RCEIL past the max) are reported and the caller takes the fp32 codec (MxVectorCodec.h, as a cold path)
// for them; the bits equal the scalar codec's (tests/codegen/Bf16LaneQuantizeTest.cpp: every bf16 at
// every scale).
#pragma once
#include "ColdPaths.h"
#include "MxVectorCodec.h"

namespace mxjit::helpers::vec {

/// The scale codes this covers: those whose bounds are all normal bf16 values. c >= the format's bias
/// puts the fp8 normal minimum at or above bf16's; c <= 254 - emax keeps the scaled max finite.
constexpr uint32_t laneMinCode(ElemFormat f) { return static_cast<uint32_t>(formats::elemTraits(f).exponentBias); }
constexpr uint32_t laneMaxCode(ElemFormat f) { return 254u - static_cast<uint32_t>(formats::elemTraits(f).targetMaxPow2); }
constexpr int16_t kMaxMantissa = 0x60;  // both formats' max is 1.75 * 2^emax: bf16 mantissa field 0x60

/// Per-lane bounds of a scale code (16-bit lanes): below - 1 (the scaled fp8 normal minimum, less one),
/// the scaled max, and what turns a rounded magnitude into its fp8 code.
struct LaneGrid {
  __m512i belowLessOne, ceiling, codeOffset;
};

/// The bounds of per-lane scale codes (16-bit lanes), whatever their range.
MXJIT_AVX512 LaneGrid laneGridOf(__m512i codes, ElemFormat f) {
  const formats::ElemTraits t = formats::elemTraits(f);
  LaneGrid grid;
  grid.belowLessOne = _mm512_sub_epi16(
      _mm512_slli_epi16(_mm512_add_epi16(codes, _mm512_set1_epi16(static_cast<int16_t>(1 - t.exponentBias))), 7), _mm512_set1_epi16(1));
  grid.ceiling = _mm512_or_si512(
      _mm512_slli_epi16(_mm512_add_epi16(codes, _mm512_set1_epi16(static_cast<int16_t>(t.targetMaxPow2))), 7), _mm512_set1_epi16(kMaxMantissa));
  grid.codeOffset = _mm512_slli_epi16(_mm512_sub_epi16(codes, _mm512_set1_epi16(static_cast<int16_t>(t.exponentBias))), t.mantissaBits);
  return grid;
}

/// The lanes (16-bit) whose scale code is in the range this covers.
MXJIT_AVX512 __mmask32 codesInRange(__m512i codes, ElemFormat f) {
  return _mm512_cmpge_epu16_mask(codes, _mm512_set1_epi16(static_cast<int16_t>(laneMinCode(f)))) &
         _mm512_cmple_epu16_mask(codes, _mm512_set1_epi16(static_cast<int16_t>(laneMaxCode(f))));
}

/// The grid of per-lane scale codes (16-bit lanes); false if any code is outside the fast range.
MXJIT_AVX512 bool laneGrid(__m512i codes, ElemFormat f, LaneGrid* grid) {
  if (codesInRange(codes, f) != 0xFFFFFFFFu) return false;
  *grid = laneGridOf(codes, f);
  return true;
}

MXJIT_AVX512 bool laneGrid(uint8_t code, ElemFormat f, LaneGrid* grid) { return laneGrid(_mm512_set1_epi16(code), f, grid); }

/// |x| of 32 bf16 values rounded onto the grid (the dequantized magnitudes); returns the lanes this
/// cannot do: a non-zero value below the normal minimum, NaN, or (RCEIL, which does not clamp) past the max.
MXJIT_AVX512 __mmask32 roundToGrid(__m512i x, const LaneGrid& grid, ElemFormat f, ScaleMode mode, __m512i* magnitude) {
  const int drop = 7 - formats::elemTraits(f).mantissaBits;
  __m512i a = _mm512_and_si512(x, _mm512_set1_epi16(0x7FFF));
  const __m512i limit = mode == ScaleMode::RCeil ? grid.ceiling : _mm512_set1_epi16(0x7F80);
  const __mmask32 slow = _mm512_cmplt_epu16_mask(_mm512_sub_epi16(a, _mm512_set1_epi16(1)), grid.belowLessOne) |
                         _mm512_cmpgt_epu16_mask(a, limit);
  if (mode != ScaleMode::RCeil) a = _mm512_min_epu16(a, grid.ceiling);
  const __m512i odd = _mm512_and_si512(_mm512_srli_epi16(a, drop), _mm512_set1_epi16(1));
  const __m512i biased = _mm512_add_epi16(_mm512_add_epi16(a, _mm512_set1_epi16(static_cast<int16_t>((1 << (drop - 1)) - 1))), odd);
  *magnitude = _mm512_and_si512(biased, _mm512_set1_epi16(static_cast<int16_t>(~((1 << drop) - 1))));
  return slow;
}

/// Scale codes (16-bit lanes) of 32 blocks from their bf16 amax patterns (16-bit lanes): scaleCodes on
/// each half, widened to the fp32 patterns it takes.
MXJIT_AVX512 __m512i scaleCodes16(__m512i amax, ElemFormat f, ScaleMode mode) {
  const __m512i low = _mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm512_castsi512_si256(amax)), 16);
  const __m512i high = _mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm512_extracti64x4_epi64(amax, 1)), 16);
  return _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi32_epi16(scaleCodes(low, f, mode))),
                            _mm512_cvtepi32_epi16(scaleCodes(high, f, mode)), 1);
}

/// Folds 32 |x| patterns (one per 16-bit lane) into the bounds blocksInLanes takes; start from zero and
/// all ones.
MXJIT_AVX512 void foldMagnitudeBounds(__m512i magnitudes, __m512i* amax, __m512i* leastLessOne) {
  *amax = _mm512_max_epu16(*amax, magnitudes);
  *leastLessOne = _mm512_min_epu16(*leastLessOne, _mm512_sub_epi16(magnitudes, _mm512_set1_epi16(1)));
}

/// roundToGrid's check for whole blocks at once, one per 16-bit lane: `amax` the largest |x| pattern in
/// each lane's block, `leastLessOne` the least |x| pattern less one (a zero wraps to 0xFFFF, the least of
/// no value). True, with the lanes' grid, where every value of every block rounds in the lanes.
MXJIT_AVX512 bool blocksInLanes(__m512i amax, __m512i leastLessOne, ElemFormat f, ScaleMode mode, LaneGrid* grid) {
  if (!laneGrid(scaleCodes16(amax, f, mode), f, grid)) return false;
  const __m512i limit = mode == ScaleMode::RCeil ? grid->ceiling : _mm512_set1_epi16(0x7F80);
  return (_mm512_cmplt_epu16_mask(leastLessOne, grid->belowLessOne) | _mm512_cmpgt_epu16_mask(amax, limit)) == 0;
}

/// Quantized and dequantized bf16 bits of 32 values known to round in the lanes (blocksInLanes).
MXJIT_AVX512 __m512i quantizeDequantizeInLanes(__m512i x, const LaneGrid& grid, ElemFormat f, ScaleMode mode) {
  __m512i magnitude;
  roundToGrid(x, grid, f, mode, &magnitude);
  return _mm512_ternarylogic_epi32(magnitude, x, _mm512_set1_epi16(static_cast<int16_t>(0x8000)), 0xF8);  // | sign
}

/// Quantized and dequantized bf16 bits of 32 values (formats::quantizeElement then dequantizeValue with
/// DequantRounding::Bf16); false, with *out untouched, where any lane needs the general path.
MXJIT_AVX512 bool quantizeDequantize32(__m512i x, const LaneGrid& grid, ElemFormat f, ScaleMode mode, __m512i* out) {
  __m512i magnitude;
  if (roundToGrid(x, grid, f, mode, &magnitude)) return false;
  *out = _mm512_or_si512(magnitude, _mm512_and_si512(x, _mm512_set1_epi16(static_cast<int16_t>(0x8000))));
  return true;
}

/// The fp8 codes of 32 values (formats::quantizeElement); false, with *out untouched, where any lane
/// needs the general path.
MXJIT_AVX512 bool quantize32(__m512i x, const LaneGrid& grid, ElemFormat f, ScaleMode mode, __m256i* out) {
  __m512i magnitude;
  if (roundToGrid(x, grid, f, mode, &magnitude)) return false;
  const int drop = 7 - formats::elemTraits(f).mantissaBits;
  // Exponent rebiased from bf16's at this scale to the format's; a zero stays the zero code.
  const __m512i code = _mm512_maskz_sub_epi16(_mm512_test_epi16_mask(magnitude, magnitude), _mm512_srli_epi16(magnitude, drop),
                                              grid.codeOffset);
  const __m512i sign = _mm512_and_si512(_mm512_srli_epi16(x, 8), _mm512_set1_epi16(0x80));
  *out = _mm512_cvtepi16_epi8(_mm512_or_si512(code, sign));
  return true;
}

/// The fp32 codec (MxVectorCodec.h) on 32 bf16 lanes at per-lane scale codes (16-bit lanes): what the
/// callers fall back to for blocks the lanes cannot do. A cold path compiled into the runtime
/// (ColdPaths.h): inlined it was a large share of each kernel's machine code and compile time.
MXJIT_AVX512 __m512i quantizeDequantize32Fp32(__m512i x, __m512i codes, ElemFormat f, ScaleMode mode) {
  alignas(64) uint16_t values[32], laneCodes[32], out[32];
  _mm512_store_si512(values, x);
  _mm512_store_si512(laneCodes, codes);
  mxjit_cold_quantize_dequantize32(values, laneCodes, static_cast<int32_t>(f), static_cast<int32_t>(mode), out);
  return _mm512_load_si512(out);
}

/// The largest of 32 unsigned 16-bit lanes (phminposuw finds the least of the complements).
MXJIT_AVX512 uint16_t maxLane16(__m512i v) {
  const __m256i m = _mm256_max_epu16(_mm512_castsi512_si256(v), _mm512_extracti64x4_epi64(v, 1));
  const __m128i h = _mm_max_epu16(_mm256_castsi256_si128(m), _mm256_extracti128_si256(m, 1));
  const __m128i least = _mm_minpos_epu16(_mm_xor_si128(h, _mm_set1_epi32(-1)));
  return static_cast<uint16_t>(~_mm_cvtsi128_si32(least));
}

/// |x| patterns of 32 bf16 values (their integer max is the block amax, NaN above Inf).
MXJIT_AVX512 __m512i magnitudes16(__m512i x) { return _mm512_and_si512(x, _mm512_set1_epi16(0x7FFF)); }

/// The scale code of n contiguous bf16 values (n a multiple of 32), as formats::scaleCode of their amax.
MXJIT_AVX512 uint8_t contiguousScaleCode(const uint16_t* x, int64_t n, ElemFormat elem, ScaleMode mode) {
  __m512i amax = _mm512_setzero_si512();
  for (int64_t k = 0; k < n; k += 32) amax = _mm512_max_epu16(amax, magnitudes16(_mm512_loadu_si512(x + k)));
  return formats::scaleCode(uint32_t(maxLane16(amax)) << 16, elem, mode);
}

/// The largest lane of each of 16 registers of 32 unsigned 16-bit lanes, as 16 dword lanes: a
/// transpose-and-max tree (interleave by words, dwords, qwords: word j of each 128-bit lane is then a
/// partial max of register j or 8 + j; then fold the four 128-bit lanes). About 3 instructions a
/// register where a horizontal max of each (maxLane16) costs 10 in a dependent chain.
MXJIT_AVX512 __m512i maxLanesOf16(const __m512i* r) {
  __m512i a[8], b[4], c[2];
  for (int i = 0; i < 8; ++i) a[i] = _mm512_max_epu16(_mm512_unpacklo_epi16(r[2 * i], r[2 * i + 1]), _mm512_unpackhi_epi16(r[2 * i], r[2 * i + 1]));
  for (int i = 0; i < 4; ++i) b[i] = _mm512_max_epu16(_mm512_unpacklo_epi32(a[2 * i], a[2 * i + 1]), _mm512_unpackhi_epi32(a[2 * i], a[2 * i + 1]));
  for (int i = 0; i < 2; ++i) {
    c[i] = _mm512_max_epu16(_mm512_unpacklo_epi64(b[2 * i], b[2 * i + 1]), _mm512_unpackhi_epi64(b[2 * i], b[2 * i + 1]));
    c[i] = _mm512_max_epu16(c[i], _mm512_shuffle_i32x4(c[i], c[i], 0x4E));
    c[i] = _mm512_max_epu16(c[i], _mm512_shuffle_i32x4(c[i], c[i], 0xB1));
  }
  return _mm512_cvtepu16_epi32(_mm256_inserti128_si256(_mm256_castsi128_si256(_mm512_castsi512_si128(c[0])), _mm512_castsi512_si128(c[1]), 1));
}

/// Scale codes and lane grids of 16 blocks at once (one vector pass instead of 16 scalar ones).
struct BlockGrids16 {
  alignas(64) uint16_t belowLessOne[16], ceiling[16], codeOffset[16];
  uint8_t code[16];
  __mmask16 inLanes;  // the blocks whose code is in the lanes' range

  MXJIT_AVX512 LaneGrid grid(int i) const {
    return {_mm512_set1_epi16(static_cast<int16_t>(belowLessOne[i])), _mm512_set1_epi16(static_cast<int16_t>(ceiling[i])),
            _mm512_set1_epi16(static_cast<int16_t>(codeOffset[i]))};
  }
};

/// From each block's |x| patterns folded to one register (magnitudes16, maxed over the block).
MXJIT_AVX512 void blockGrids16(const __m512i* blockMagnitudes, ElemFormat f, ScaleMode mode, BlockGrids16* out) {
  const __m256i codes = _mm512_cvtepi32_epi16(scaleCodes(_mm512_slli_epi32(maxLanesOf16(blockMagnitudes), 16), f, mode));
  const __m512i wide = _mm512_zextsi256_si512(codes);
  const LaneGrid grid = laneGridOf(wide, f);
  out->inLanes = static_cast<__mmask16>(codesInRange(wide, f));
  _mm256_store_si256(reinterpret_cast<__m256i*>(out->belowLessOne), _mm512_castsi512_si256(grid.belowLessOne));
  _mm256_store_si256(reinterpret_cast<__m256i*>(out->ceiling), _mm512_castsi512_si256(grid.ceiling));
  _mm256_store_si256(reinterpret_cast<__m256i*>(out->codeOffset), _mm512_castsi512_si256(grid.codeOffset));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out->code), _mm256_cvtepi16_epi8(codes));
}

/// blockGrids16 of `blocks` (<= 16) blocks of `block` contiguous values (a multiple of 32), block i at
/// x + i * stride (stride = block: consecutive blocks of a row; the column length: one block of each
/// of 16 columns); the missing blocks' registers are zero.
MXJIT_AVX512 void blockGrids16Of(const uint16_t* x, int64_t stride, int64_t blocks, int64_t block, ElemFormat f, ScaleMode mode,
                                 BlockGrids16* out) {
  __m512i magnitudes[16];
  for (int64_t i = 0; i < 16; ++i) {
    magnitudes[i] = _mm512_setzero_si512();
    for (int64_t k = 0; i < blocks && k < block; k += 32)
      magnitudes[i] = _mm512_max_epu16(magnitudes[i], magnitudes16(_mm512_loadu_si512(x + i * stride + k)));
  }
  blockGrids16(magnitudes, f, mode, out);
}

/// 32 values of block i of `grids` quantized and dequantized to bf16: in 16-bit lanes where they can be,
/// else through the fp32 codec.
MXJIT_AVX512 __m512i quantizeDequantizeInBlock(__m512i x, const BlockGrids16& grids, int i, ElemFormat f, ScaleMode mode) {
  __m512i q;
  if (!(grids.inLanes >> i & 1) || !quantizeDequantize32(x, grids.grid(i), f, mode, &q))
    q = quantizeDequantize32Fp32(x, _mm512_set1_epi16(grids.code[i]), f, mode);
  return q;
}

/// Two registers of the same 32 columns (rows of a block along the tokens or along K), quantized at the
/// columns' scale codes (`grid` where `inLanes`) and dequantized: in 16-bit lanes where both can be,
/// else both through the fp32 codec.
MXJIT_AVX512 void quantizeDequantizeRowPair(__m512i a, __m512i b, const LaneGrid& grid, bool inLanes, __m512i codes,
                                            ElemFormat f, ScaleMode mode, __m512i* qa, __m512i* qb) {
  if (inLanes && quantizeDequantize32(a, grid, f, mode, qa) && quantizeDequantize32(b, grid, f, mode, qb)) return;
  *qa = quantizeDequantize32Fp32(a, codes, f, mode);
  *qb = quantizeDequantize32Fp32(b, codes, f, mode);
}

}  // namespace mxjit::helpers::vec
