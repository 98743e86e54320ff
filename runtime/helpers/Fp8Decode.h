// fp8 codes x e8m0 scales -> bf16 on AVX-512, exact (equal to formats::dequantizeValue with
// DequantRounding::Bf16, tests/codegen/VectorCodecTest.cpp) wherever each result is a normal bf16 or zero:
// scale codes kFastScaleMin..kFastScaleMax; the callers take MxVectorCodec.h's fp32 decode elsewhere.
// Codes become bf16 either by arithmetic (the exponent and mantissa fields shifted into bf16's, the
// scale folded into the rebias) where every code is a normal value or zero, or by a 128-entry table.
//
// Weights stored along K ([E,N,K]) decode 16 columns x 64 k at a time (decodeColumnTile): the codes are
// transposed while they are still bytes (a 16x16 transpose of dwords, each dword 4 k of one column),
// then each pair row is widened to 16-bit lanes by one in-lane byte shuffle that also orders the pair,
// and decoded with the 16 columns' scales in its lanes: half the shuffles of decoding each column and
// transposing the 16-bit results, and the code checks run on 64 codes per instruction.
#pragma once
#include "MxVectorCodec.h"
#include "formats/FastDecode.h"

namespace mxjit::helpers::vec {

/// Scale codes for which every fp8 value's bf16 result is a normal number (or zero): the range of the
/// fast decodes (formats/FastDecode.h).
using formats::fastScale;
using formats::kFastScaleMax;
using formats::kFastScaleMin;

/// The table decode: a 128-entry table of bf16 magnitudes looked up by vpermt2w, then the block scale
/// added to the bf16 exponent. Zero, Inf and NaN keep their bits.
struct Fp8Table {
  __m512i t[4];  // bf16 of decodeFp8(c) for c = 0..127, 32 per register
};

/// bf16 bits of fp8 magnitude c (0..127), E4M3 or (e4m3 false) E5M2, as formats::decodeFp8 then
/// floatToBf16 give them; a constant expression, so every kernel gets the table as data.
constexpr uint16_t fp8MagnitudeBf16(int c, bool e4m3) {
  const int mbits = e4m3 ? 3 : 2, bias = e4m3 ? 7 : 15, e = c >> mbits, m = c & ((1 << mbits) - 1);
  if (e4m3 ? c == 0x7F : e == 31) return !e4m3 && m == 0 ? 0x7F80 : 0x7FC0;  // Inf, NaN
  if (e == 0) {  // subnormal: m x 2^(1 - bias - mbits), normalised
    if (m == 0) return 0;
    const int h = m >= 4 ? 2 : m >= 2 ? 1 : 0;
    return static_cast<uint16_t>(((h + 1 - bias - mbits + 127) << 7) | ((m - (1 << h)) << (7 - h)));
  }
  return static_cast<uint16_t>(((e - bias + 127) << 7) | (m << (7 - mbits)));
}

struct Fp8Bf16Entries {
  alignas(64) uint16_t e4m3[128], e5m2[128];
};

constexpr Fp8Bf16Entries fp8Bf16Entries() {
  Fp8Bf16Entries t{};
  for (int c = 0; c < 128; ++c) t.e4m3[c] = fp8MagnitudeBf16(c, true), t.e5m2[c] = fp8MagnitudeBf16(c, false);
  return t;
}

inline constexpr Fp8Bf16Entries kFp8Bf16 = fp8Bf16Entries();

MXJIT_AVX512 Fp8Table fp8Table(ElemFormat f) {
  const uint16_t* entries = f == ElemFormat::E4M3 ? kFp8Bf16.e4m3 : kFp8Bf16.e5m2;
  Fp8Table table;
  for (int i = 0; i < 4; ++i) table.t[i] = _mm512_load_si512(entries + 32 * i);
  return table;
}

/// 32 magnitudes (0..127, one per 16-bit lane) -> bf16 values scaled by exponentShift ((scale - 127) << 7
/// per lane), before the sign.
MXJIT_AVX512 __m512i lookUpMagnitudes(const Fp8Table& table, __m512i mag, __m512i exponentShift) {
  const __m512i low = _mm512_permutex2var_epi16(table.t[0], mag, table.t[1]);
  const __m512i high = _mm512_permutex2var_epi16(table.t[2], mag, table.t[3]);
  const __m512i v = _mm512_mask_mov_epi16(low, _mm512_test_epi16_mask(mag, _mm512_set1_epi16(0x40)), high);
  const __mmask32 zero = _mm512_testn_epi16_mask(v, _mm512_set1_epi16(0x7FFF));
  const __mmask32 special = _mm512_cmpeq_epi16_mask(_mm512_and_si512(v, _mm512_set1_epi16(0x7F80)), _mm512_set1_epi16(0x7F80));
  return _mm512_mask_add_epi16(v, static_cast<__mmask32>(~(zero | special)), v, exponentShift);
}

/// 32 codes -> 32 dequantized bf16 values; `exponentShift` holds (scale - 127) << 7 per 16-bit lane.
MXJIT_AVX512 __m512i dequantize32(const Fp8Table& table, __m256i codes, __m512i exponentShift) {
  const __m512i c = _mm512_cvtepu8_epi16(codes);
  const __m512i scaled = lookUpMagnitudes(table, _mm512_and_si512(c, _mm512_set1_epi16(0x7F)), exponentShift);
  return _mm512_or_si512(scaled, _mm512_slli_epi16(_mm512_and_si512(c, _mm512_set1_epi16(0x80)), 8));
}

MXJIT_AVX512 __m512i exponentShiftOf(uint8_t s) { return _mm512_set1_epi16(static_cast<int16_t>((int(s) - 127) * 128)); }

/// In-register transpose of a 16x16 matrix of dwords (r[i] is row i): interleave row pairs by dwords and
/// by qwords (each 128-bit lane then holds a 4x4 block, transposed), then gather the lanes across
/// registers with two rounds of 128-bit shuffles. Cheap, two-input instructions only: this costs a few
/// percent over storing untransposed, where four rounds of vpermt2d cost a third of the fp8 decode.
/// `Unrolled`: the three rounds fully unrolled, for kernels that keep r in registers afterwards (the
/// column tiles: 10-15% faster); the packers that store r leave the choice to the compiler (unrolled,
/// their kernels took 5 ms more to compile).
namespace transpose {
MXJIT_AVX512 void rowPairs(const __m512i* r, __m512i* a, int i) {
  a[2 * i] = _mm512_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
  a[2 * i + 1] = _mm512_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
}
// b[4q + t], lane L: column 4L + t of rows 4q..4q+3
MXJIT_AVX512 void quads(const __m512i* a, __m512i* b, int q) {
  b[4 * q] = _mm512_unpacklo_epi64(a[4 * q], a[4 * q + 2]);
  b[4 * q + 1] = _mm512_unpackhi_epi64(a[4 * q], a[4 * q + 2]);
  b[4 * q + 2] = _mm512_unpacklo_epi64(a[4 * q + 1], a[4 * q + 3]);
  b[4 * q + 3] = _mm512_unpackhi_epi64(a[4 * q + 1], a[4 * q + 3]);
}
// column 4L + t: lane L of b[t], b[4 + t], b[8 + t], b[12 + t] (0x88 picks lanes 0, 2; 0xDD lanes 1, 3)
MXJIT_AVX512 void lanes(const __m512i* b, __m512i* r, int t) {
  const __m512i even01 = _mm512_shuffle_i32x4(b[t], b[4 + t], 0x88), odd01 = _mm512_shuffle_i32x4(b[t], b[4 + t], 0xDD);
  const __m512i even23 = _mm512_shuffle_i32x4(b[8 + t], b[12 + t], 0x88), odd23 = _mm512_shuffle_i32x4(b[8 + t], b[12 + t], 0xDD);
  r[t] = _mm512_shuffle_i32x4(even01, even23, 0x88);
  r[4 + t] = _mm512_shuffle_i32x4(odd01, odd23, 0x88);
  r[8 + t] = _mm512_shuffle_i32x4(even01, even23, 0xDD);
  r[12 + t] = _mm512_shuffle_i32x4(odd01, odd23, 0xDD);
}
// The round's 16 results pass through an empty asm: instruction selection then combines each round's
// shuffles on their own instead of searching the whole network for merges (it found none worth having:
// the kernels run as fast, and a column-tile kernel compiles 2 ms faster).
MXJIT_AVX512 void roundDone(__m512i* v) {
  MXJIT_UNROLL
  for (int i = 0; i < 16; ++i) __asm__("" : "+v"(v[i]));
}
}  // namespace transpose

template <bool Unrolled = false>
MXJIT_AVX512 void transpose16x16(__m512i* r) {
  __m512i a[16], b[16];
  if constexpr (Unrolled) {
    MXJIT_UNROLL
    for (int i = 0; i < 8; ++i) transpose::rowPairs(r, a, i);
    transpose::roundDone(a);
    MXJIT_UNROLL
    for (int q = 0; q < 4; ++q) transpose::quads(a, b, q);
    transpose::roundDone(b);
    MXJIT_UNROLL
    for (int t = 0; t < 4; ++t) transpose::lanes(b, r, t);
  } else {
    for (int i = 0; i < 8; ++i) transpose::rowPairs(r, a, i);
    for (int q = 0; q < 4; ++q) transpose::quads(a, b, q);
    for (int t = 0; t < 4; ++t) transpose::lanes(b, r, t);
  }
}

/// vpshufb indices taking a pair row out of a transposed register (dword c: codes k .. k+3 of column c):
/// `first` the pair (k, k+1), `second` (k+2, k+3), each code into the high byte of its 16-bit lane, the
/// odd k in the low lane of the dword when `swapPairs` (vdpbf16ps adds the high half first).
struct PairRowShuffles {
  __m512i first, second;
};

MXJIT_AVX512 PairRowShuffles pairRowShuffles(bool swapPairs) {
  alignas(64) int8_t index[2][64];
  for (int h = 0; h < 2; ++h)
    for (int byte = 0; byte < 64; ++byte) {
      const int dword = (byte / 4) % 4, slot = (byte % 4) / 2;  // within the 128-bit lane
      const int k = 2 * h + (swapPairs ? 1 - slot : slot);
      index[h][byte] = byte % 2 ? static_cast<int8_t>(4 * dword + k) : static_cast<int8_t>(0x80);
    }
  return {_mm512_load_si512(index[0]), _mm512_load_si512(index[1])};
}

/// fp8 codes in the high bytes of 16-bit lanes -> bf16 values, where each is a normal value or zero:
/// exponent and mantissa fields shifted into bf16's, plus `rebias` ((scale - bias) << 7 per lane).
MXJIT_AVX512 __m512i decodeHighBytes(__m512i w, __m512i rebias, ElemFormat f) {
  const int drop = 7 - formats::elemTraits(f).mantissaBits;
  // Sign, exponent and mantissa in bf16's places: the arithmetic shift carries the sign, the mask clears
  // its copies. In the fast scale range the rebias is positive and the biased exponent stays within
  // 1..254, so the add never reaches the sign; zeros skip it and keep their sign.
  const __m512i fields =
      _mm512_and_si512(_mm512_srai_epi16(w, 8 - drop), _mm512_set1_epi16(static_cast<int16_t>(0x8000 | (0x7F << drop))));
  return _mm512_mask_add_epi16(fields, _mm512_test_epi16_mask(w, _mm512_set1_epi16(0x7F00)), fields, rebias);
}

/// decodeHighBytes for any code (subnormal, NaN and Inf too), by the table.
MXJIT_AVX512 __m512i decodeHighBytesByTable(__m512i w, __m512i rebias, const Fp8Table& table, ElemFormat f) {
  const int16_t toShift = static_cast<int16_t>((formats::elemTraits(f).exponentBias - 127) * 128);  // rebias -> exponentShift
  const __m512i scaled = lookUpMagnitudes(table, _mm512_srli_epi16(_mm512_and_si512(w, _mm512_set1_epi16(0x7F00)), 8),
                                          _mm512_add_epi16(rebias, _mm512_set1_epi16(toShift)));
  return _mm512_ternarylogic_epi32(scaled, w, _mm512_set1_epi16(static_cast<int16_t>(0x8000)), 0xF8);  // | sign
}

/// Lanes of 64 codes that are subnormal, NaN or Inf (what decodeHighBytes cannot do).
MXJIT_AVX512 __mmask64 irregularCodes(__m512i codes, ElemFormat f) {
  const int mbits = formats::elemTraits(f).mantissaBits;
  const __m512i magnitudes = _mm512_and_si512(codes, _mm512_set1_epi8(0x7F));
  // magnitude - 1 wraps zero past the subnormals 1 .. 2^mbits - 1
  const __m512i subnormalEnd = _mm512_set1_epi8(static_cast<char>((1 << mbits) - 1));
  return _mm512_cmplt_epu8_mask(_mm512_sub_epi8(magnitudes, _mm512_set1_epi8(1)), subnormalEnd) |
         _mm512_cmpge_epu8_mask(magnitudes, _mm512_set1_epi8(static_cast<char>(f == ElemFormat::E4M3 ? 0x7F : 0x7C)));
}

/// Whether any of 16 registers of codes holds a subnormal, NaN or Inf (irregularCodes of each): the least
/// magnitude - 1 (zero wraps past the subnormals) and the largest magnitude over all 16, compared once.
MXJIT_AVX512 bool anyIrregularCode(const __m512i* r, ElemFormat f) {
  const int mbits = formats::elemTraits(f).mantissaBits;
  __m512i least = _mm512_set1_epi8(-1), largest = _mm512_setzero_si512();
  for (int i = 0; i < 16; ++i) {
    const __m512i magnitudes = _mm512_and_si512(r[i], _mm512_set1_epi8(0x7F));
    least = _mm512_min_epu8(least, _mm512_sub_epi8(magnitudes, _mm512_set1_epi8(1)));
    largest = _mm512_max_epu8(largest, magnitudes);
  }
  return (_mm512_cmplt_epu8_mask(least, _mm512_set1_epi8(static_cast<char>((1 << mbits) - 1))) |
          _mm512_cmpge_epu8_mask(largest, _mm512_set1_epi8(static_cast<char>(f == ElemFormat::E4M3 ? 0x7F : 0x7C)))) != 0;
}

/// 32 codes -> 32 dequantized bf16 values by arithmetic alone (decodeHighBytes), where every code is a
/// normal value or zero (`exponentShift` as for dequantize32). False where a code is a subnormal, NaN or
/// Inf (dequantize32's table takes those). Cheaper than the table lookup (no cross-lane permutes).
MXJIT_AVX512 bool dequantize32Normal(__m256i codes, __m512i exponentShift, ElemFormat f, __m512i* out) {
  if (irregularCodes(_mm512_zextsi256_si512(codes), f)) return false;
  const int16_t toRebias = static_cast<int16_t>((127 - formats::elemTraits(f).exponentBias) * 128);
  const __m512i rebias = _mm512_add_epi16(exponentShift, _mm512_set1_epi16(toRebias));
  *out = decodeHighBytes(_mm512_slli_epi16(_mm512_cvtepu8_epi16(codes), 8), rebias, f);
  return true;
}

/// The rebias (decodeHighBytes) of 16 scale codes, one per dword lane, in both 16-bit halves; the lanes
/// whose code is outside the fast decode's range set in *slow.
MXJIT_AVX512 __m512i scaleRebias(__m512i s, ElemFormat f, __mmask16* slow) {
  *slow |= _mm512_cmplt_epu32_mask(s, _mm512_set1_epi32(kFastScaleMin)) |
           _mm512_cmpgt_epu32_mask(s, _mm512_set1_epi32(kFastScaleMax));
  const __m512i half = _mm512_slli_epi32(_mm512_sub_epi32(s, _mm512_set1_epi32(formats::elemTraits(f).exponentBias)), 7);
  return _mm512_or_si512(half, _mm512_slli_epi32(half, 16));
}

/// scaleRebias of byte `which` (0..3) of each dword lane.
MXJIT_AVX512 __m512i columnRebias(__m512i scaleDwords, int which, ElemFormat f, __mmask16* slow) {
  return scaleRebias(_mm512_and_si512(_mm512_srlv_epi32(scaleDwords, _mm512_set1_epi32(8 * which)), _mm512_set1_epi32(0xFF)), f, slow);
}

/// The 32 pair rows of a transposed tile (r[i], dword c: codes k + 4i .. k + 4i + 3 of column c), decoded
/// at their blocks' rebias (rows 0..15 the first 32 k, 16..31 the next), by the table where asked.
MXJIT_AVX512 void storePairRows(const __m512i* r, __m512i rebias0, __m512i rebias1, bool byTable, ElemFormat f,
                                const Fp8Table& table, const PairRowShuffles& shuffles, uint32_t* words, int64_t rowWords) {
  MXJIT_NO_UNROLL  // one body, not 32: the loads from r cost less than the compile time of the copies
  for (int q = 0; q < 32; ++q) {
    const __m512i w = _mm512_shuffle_epi8(r[q / 2], q % 2 ? shuffles.second : shuffles.first);
    const __m512i rebias = q < 16 ? rebias0 : rebias1;
    const __m512i v = byTable ? decodeHighBytesByTable(w, rebias, table, f) : decodeHighBytes(w, rebias, f);
    _mm512_storeu_si512(words + q * rowWords, v);
  }
}

/// Codes k .. k+63 (k a multiple of 32) of 16 columns (column c's K codes at codes + c * K, its kBlocks
/// scale codes at scales + c * kBlocks, the block a multiple of 32) loaded one register a column (r[c]),
/// with the decodeHighBytes rebias of the two blocks they span in each column's lane. False where a scale
/// is outside the fast range, or a column has fewer than 4 scales (K under 128 at blocks of 32): the scales
/// are read 4 bytes a column, and those reads would leave the column's scales (before the first column's).
MXJIT_AVX512 bool loadColumnTile(const uint8_t* codes, int64_t K, const uint8_t* scales, int64_t kBlocks, int64_t k,
                                 int64_t block, ElemFormat f, __m512i* r, __m512i* rebias0, __m512i* rebias1) {
  if (kBlocks < 4) return false;
  MXJIT_UNROLL
  for (int c = 0; c < 16; ++c) {
    const uint8_t* at = codes + c * K + k;
    // 16 streams K bytes apart: the hardware prefetchers do not keep up (256 bytes ahead measured best
    // of 128 .. 2048, into L1; into L2 alone, or farther, slower).
    _mm_prefetch(reinterpret_cast<const char*>(at + 256), _MM_HINT_T0);
    r[c] = _mm512_loadu_si512(at);
  }
  // Each column's scale codes for the tile's blocks, read as a dword that stays inside the column.
  const int64_t kb0 = k / block, kb1 = (k + 32) / block, first = kb0 + 4 <= kBlocks ? kb0 : kBlocks - 4;
  const __m512i columns = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
  const __m512i scaleDwords =
      _mm512_i32gather_epi32(_mm512_mullo_epi32(columns, _mm512_set1_epi32(static_cast<int>(kBlocks))), scales + first, 1);
  __mmask16 slow = 0;
  *rebias0 = columnRebias(scaleDwords, static_cast<int>(kb0 - first), f, &slow);
  *rebias1 = columnRebias(scaleDwords, static_cast<int>(kb1 - first), f, &slow);
  return slow == 0;
}

/// The tile loadColumnTile reads, as 32 pair rows of 16 dwords, pair row q (k + 2q, k + 2q + 1) at words +
/// rowWords * q. Tiles with a subnormal, NaN or Inf code take the table. False, nothing written, where a
/// scale is outside the fast range.
/// Not inlined: one copy, however many places call it, keeps the kernel's compile time down.
__attribute__((target("avx512f,avx512bw,avx512vl"), noinline)) inline bool decodeColumnTile(
    const uint8_t* codes, int64_t K, const uint8_t* scales, int64_t kBlocks, int64_t k, int64_t block, ElemFormat f,
    const Fp8Table& table, const PairRowShuffles& shuffles, uint32_t* words, int64_t rowWords) {
  __m512i r[16], rebias0, rebias1;
  if (!loadColumnTile(codes, K, scales, kBlocks, k, block, f, r, &rebias0, &rebias1)) return false;
  const bool irregular = anyIrregularCode(r, f);
  transpose16x16(r);
  storePairRows(r, rebias0, rebias1, irregular, f, table, shuffles, words, rowWords);
  return true;
}

}  // namespace mxjit::helpers::vec
