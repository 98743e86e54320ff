// AVX-512 packing of contiguous operands into the bf16 layouts of the AVX512-BF16 and AMX microkernels:
// a row of A (quantized from bf16, dequantized from fp8, or bf16 as is) and a 32-column panel of B
// dequantized from fp8 codes, in either weight layout. Each returns false where it does not apply (other
// loads, K or blocks not multiples of 16, a partial panel) and the caller packs with the scalar loops;
// where it applies the bits equal theirs (MxVectorCodec.h is tested against the scalar codec).
// Only the bf16 / AMX helpers include this: their plans run on AVX-512 hosts alone.
#pragma once
#include "KernelABI.h"
#include "Bf16LaneQuantize.h"
#include "Fp8Decode.h"
#include "MxVectorCodec.h"
#include "TokenPairLayout.h"

namespace mxjit::helpers::vec {

/// Lanes' low halves -> 16 bf16 values; pairs swapped (odd element first) when `swapPairs`.
MXJIT_AVX512 __m256i narrowPairs(__m512i lanes, bool swapPairs) {
  const __m256i v = _mm512_cvtepi32_epi16(lanes);
  return swapPairs ? _mm256_rol_epi32(v, 16) : v;
}

/// vpermt2w indices that interleave two rows of 32 words (row k, row k+1) into pair words: columns 0-15
/// (firstHalf) and 16-31 (secondHalf); slot 0 holds row k unless the pairs are swapped.
struct PairInterleave {
  __m512i firstHalf, secondHalf;
};

MXJIT_AVX512 PairInterleave pairInterleave(bool swapPairs) {
  alignas(64) int16_t index[2][32];
  for (int i = 0; i < 32; ++i) {
    const int column = i / 2, fromNext = i % 2 != swapPairs;
    index[0][i] = static_cast<int16_t>(column + 32 * fromNext);
    index[1][i] = static_cast<int16_t>(16 + column + 32 * fromNext);
  }
  return {_mm512_load_si512(index[0]), _mm512_load_si512(index[1])};
}

/// |x| patterns of 16 bf16 values as fp32 lanes (what formats::blockAmaxBits takes the max of).
MXJIT_AVX512 __m512i absBits(const uint16_t* p) { return _mm512_and_si512(_mm512_castps_si512(widenBf16(p)), splat(0x7FFFFFFFu)); }

/// The amax pattern of n contiguous bf16 values (n a multiple of 16), as formats::blockAmaxBits.
MXJIT_AVX512 uint32_t contiguousAmax(const uint16_t* x, int64_t n) {
  __m512i amax = _mm512_setzero_si512();
  for (int64_t k = 0; k < n; k += 16) amax = _mm512_max_epu32(amax, absBits(x + k));
  return static_cast<uint32_t>(_mm512_reduce_max_epu32(amax));
}

/// Rows k and k+1 (32 bf16 words each) as pair row k / 2 of a 32-column panel.
MXJIT_AVX512 void storeInterleaved(__m512i row0, __m512i row1, const PairInterleave& interleave, uint32_t* words, int64_t k) {
  _mm512_storeu_si512(words + (k / 2) * 32, _mm512_permutex2var_epi16(row0, interleave.firstHalf, row1));
  _mm512_storeu_si512(words + (k / 2) * 32 + 16, _mm512_permutex2var_epi16(row0, interleave.secondHalf, row1));
}

/// Zero pair rows [K / 2, width / 2) of a 32-column panel (AMX's K padding).
MXJIT_AVX512 void zeroPairRowsPast(uint32_t* words, int64_t K, int64_t width) {
  for (int64_t i = (K / 2) * 32; i < (width / 2) * 32; ++i) words[i] = 0;
}

/// r[c] holds 16 pairs (32 k from k) of column jj0 + c: transposed, stored as 16 pair rows of a
/// 32-column panel, columns jj0..jj0+15.
MXJIT_AVX512 void storeTransposed(__m512i* r, uint32_t* words, int64_t k, int64_t jj0) {
  transpose16x16(r);
  for (int64_t p = 0; p < 16; ++p) _mm512_storeu_si512(words + (k / 2 + p) * 32 + jj0, r[p]);
}

/// Values k .. k+31 (k a multiple of 32) of 16 columns of bf16 (column c's K values at x + c * K), quantized
/// in their block (`grids`: the 16 columns' blocks holding k, blockGrids16Of) and dequantized, as 16 pair
/// rows of 16 dwords (pairs swapped when asked), pair row q (k + 2q, k + 2q + 1) at words + rowWords * q.
MXJIT_AVX512 void quantizeColumnTile(const uint16_t* x, int64_t K, int64_t k, const BlockGrids16& grids, ElemFormat elem,
                                     ScaleMode mode, bool swapPairs, uint32_t* words, int64_t rowWords) {
  __m512i r[16];
  for (int c = 0; c < 16; ++c) {
    const __m512i pairs = quantizeDequantizeInBlock(_mm512_loadu_si512(x + c * K + k), grids, c, elem, mode);
    r[c] = swapPairs ? _mm512_rol_epi32(pairs, 16) : pairs;
  }
  transpose16x16(r);
  for (int64_t q = 0; q < 16; ++q) _mm512_storeu_si512(words + q * rowWords, r[q]);
}

/// A row of K contiguous bf16 values (K a multiple of `block`, itself of 32) quantized and dequantized into
/// dst, pairs swapped when asked: 16 blocks at a time, their scale codes found together (blockGrids16; a
/// last, shorter group leaves the missing blocks' registers zero), in 16-bit lanes, with the fp32 codec
/// for the registers the lanes cannot do. False (nothing written) where K or the block does not fit.
MXJIT_AVX512 bool packQuantizedRow(const uint16_t* x, int64_t K, int64_t block, ElemFormat elem, ScaleMode mode, bool swapPairs,
                                   uint16_t* dst) {
  if (block % 32 || K % block) return false;
  MXJIT_NO_UNROLL  // K is a plan constant: unrolled, every group would be a copy of this body
  for (int64_t k0 = 0; k0 < K; k0 += 16 * block) {
    const int64_t blocks = (K - k0) / block < 16 ? (K - k0) / block : 16;
    BlockGrids16 grids;
    blockGrids16Of(x + k0, block, blocks, block, elem, mode, &grids);
    for (int64_t i = 0; i < blocks; ++i)
      for (int64_t k = k0 + i * block; k < k0 + (i + 1) * block; k += 32) {
        const __m512i q = quantizeDequantizeInBlock(_mm512_loadu_si512(x + k), grids, static_cast<int>(i), elem, mode);
        _mm512_storeu_si512(dst + k, swapPairs ? _mm512_rol_epi32(q, 16) : q);
      }
  }
  return true;
}

/// Row `src` of A (K wide) as `width` bf16 values (zeros past K) at dst.
MXJIT_AVX512 bool packRow(const abi::KernelArgs* args, int64_t src, int64_t K, int64_t width, bool swapPairs, int32_t load,
                          ElemFormat elem, ScaleMode mode, int32_t block, uint16_t* dst) {
  if (K % 16 || block % 16 || (load != abi::kQuantizeBf16 && load != abi::kDequantize && load != abi::kHighPrecisionBf16))
    return false;
  if (load == abi::kHighPrecisionBf16) {
    const uint16_t* x = static_cast<const uint16_t*>(args->a) + src * K;
    for (int64_t k = 0; k < K; k += 16)
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + k), narrowPairs(_mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + k))), swapPairs));
  } else if (load == abi::kDequantize) {
    const uint8_t* codes = static_cast<const uint8_t*>(args->a) + src * K;
    const uint8_t* scales = args->aScales + src * (K / block);
    for (int64_t k = 0; k < K; k += 16)
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + k),
                          narrowPairs(dequantizeToBf16(loadBytes(codes + k), splat(scales[k / block]), elem), swapPairs));
  } else {
    const uint16_t* x = static_cast<const uint16_t*>(args->a) + src * K;
    // The 16-bit lanes unless the block is not a multiple of 32: then 16 values at a time in fp32.
    for (int64_t k0 = packQuantizedRow(x, K, block, elem, mode, swapPairs, dst) ? K : 0; k0 < K; k0 += block) {
      const uint8_t code = formats::scaleCode(contiguousAmax(x + k0, block), elem, mode);
      for (int64_t k = k0; k < k0 + block; k += 16)
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + k),
                            narrowPairs(quantizeDequantizeToBf16(widenBf16(x + k), code, elem, mode), swapPairs));
    }
  }
  for (int64_t k = K; k < width; ++k) dst[k] = 0;
  return true;
}

/// Columns [tile*32, tile*32 + 32) of group g's fp8 B (logically [K, N]) as `width` / 2 pair rows of 32
/// dwords: dst[(kp * 32 + jj) * 2 + slot] = bf16 of k = 2kp + slot (2kp + 1 - slot when swapped).
MXJIT_AVX512 bool packDequantizedPanel(const abi::KernelArgs* args, int64_t g, int64_t tile, uint16_t* dst, int64_t K,
                                       int64_t width, bool swapPairs, int64_t N, bool enk, int32_t load, ElemFormat elem,
                                       int32_t block) {
  constexpr int64_t NR = 32;
  const int64_t j0 = tile * NR, kBlocks = K / block;
  if (load != abi::kDequantize || K % 32 || block % 16 || j0 + NR > N) return false;
  const uint8_t* codes = static_cast<const uint8_t*>(args->b);
  uint32_t* words = reinterpret_cast<uint32_t*>(dst);
  if (enk) {
    // Codes run along k for each column: 16 columns' 16 pairs (32 k) are decoded as rows of a 16x16
    // dword matrix, transposed in registers, and stored as 16 pair rows of 16 adjacent columns.
    const Fp8Table table = fp8Table(elem);
    for (int64_t jj0 = 0; jj0 < NR; jj0 += 16)
      for (int64_t k = 0; k < K; k += 32) {
        __m512i r[16];
        for (int64_t c = 0; c < 16; ++c) {
          const int64_t column = g * N + j0 + jj0 + c;
          const uint8_t* scales = args->bScales + column * kBlocks;
          const uint8_t* at = codes + column * K + k;
          // 16 columns K bytes apart, each read 32 bytes at a time: too many streams for the hardware
          // prefetchers, so fetch each column 256 bytes ahead (measured best of 128 .. 2048: 1 KiB ahead
          // decoded 20% slower, the early lines evicted before use).
          _mm_prefetch(reinterpret_cast<const char*>(at + 256), _MM_HINT_T0);
          __m512i pairs;
          if (block >= 32 && fastScale(scales[k / block])) {
            const __m256i c32 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(at));
            const __m512i shift = exponentShiftOf(scales[k / block]);
            if (!dequantize32Normal(c32, shift, elem, &pairs)) pairs = dequantize32(table, c32, shift);
          } else {
            const __m256i first = _mm512_cvtepi32_epi16(dequantizeToBf16(loadBytes(at), splat(scales[k / block]), elem));
            const __m256i second = _mm512_cvtepi32_epi16(dequantizeToBf16(loadBytes(at + 16), splat(scales[(k + 16) / block]), elem));
            pairs = _mm512_inserti64x4(_mm512_castsi256_si512(first), second, 1);
          }
          r[c] = swapPairs ? _mm512_rol_epi32(pairs, 16) : pairs;
        }
        storeTransposed(r, words, k, jj0);
      }
  } else {
    // Codes run along n: rows k and k+1 of the panel's 32 columns (per-column scales) interleave into
    // 32 adjacent pair words.
    const Fp8Table table = fp8Table(elem);
    const PairInterleave interleave = pairInterleave(swapPairs);
    for (int64_t k = 0; k < K; k += 2) {
      const int64_t at0 = (g * K + k) * N + j0, at1 = at0 + N;
      // Rows N apart: 32 ahead (16 ahead decoded 25% slower from memory; 32 to 96 measured alike).
      _mm_prefetch(reinterpret_cast<const char*>(codes + at0 + 32 * N), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(codes + at1 + 32 * N), _MM_HINT_T0);
      const uint8_t* s0 = args->bScales + (g * kBlocks + k / block) * N + j0;  // rows k and k+1 share a block
      const __m256i scaleBytes = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s0));
      const __mmask32 inRange = _mm256_cmpge_epu8_mask(scaleBytes, _mm256_set1_epi8(static_cast<char>(kFastScaleMin))) &
                                _mm256_cmple_epu8_mask(scaleBytes, _mm256_set1_epi8(static_cast<char>(kFastScaleMax)));
      if (inRange == 0xFFFFFFFFu) {
        const __m512i shift = _mm512_slli_epi16(_mm512_sub_epi16(_mm512_cvtepu8_epi16(scaleBytes), _mm512_set1_epi16(127)), 7);
        const __m256i c0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(codes + at0));
        const __m256i c1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(codes + at1));
        __m512i row0, row1;
        if (!dequantize32Normal(c0, shift, elem, &row0)) row0 = dequantize32(table, c0, shift);
        if (!dequantize32Normal(c1, shift, elem, &row1)) row1 = dequantize32(table, c1, shift);
        storeInterleaved(row0, row1, interleave, words, k);
        continue;
      }
      for (int64_t jj = 0; jj < NR; jj += 16) {
        const __m512i lo = dequantizeToBf16(loadBytes(codes + at0 + jj), loadBytes(s0 + jj), elem);
        const __m512i hi = dequantizeToBf16(loadBytes(codes + at1 + jj), loadBytes(s0 + jj), elem);
        const __m512i pair = swapPairs ? _mm512_or_si512(hi, _mm512_slli_epi32(lo, 16)) : _mm512_or_si512(lo, _mm512_slli_epi32(hi, 16));
        _mm512_storeu_si512(words + (k / 2) * NR + jj, pair);
      }
    }
  }
  zeroPairRowsPast(words, K, width);
  return true;
}

/// 32 bf16 values (two 16-lane halves, low halves of the lanes) -> one register of 32 words.
MXJIT_AVX512 __m512i join32(__m512i first, __m512i second) {
  return _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi32_epi16(first)), _mm512_cvtepi32_epi16(second), 1);
}

/// Each column's largest |x| pattern (`amax`) and least less one (`leastLessOne`; zeros wrap to 0xFFFF)
/// over n rows `stride` apart, in the 16-bit lanes `columns` selects (the others 0 and 0xFFFF).
MXJIT_AVX512 void columnMagnitudeBounds(const uint16_t* rows, int64_t n, int64_t stride, __mmask32 columns, __m512i* amax,
                                        __m512i* leastLessOne) {
  *amax = _mm512_setzero_si512();
  *leastLessOne = _mm512_set1_epi16(-1);
  for (int64_t i = 0; i < n; ++i)
    foldMagnitudeBounds(magnitudes16(_mm512_maskz_loadu_epi16(columns, rows + i * stride)), amax, leastLessOne);
}

/// `n` (even) rows of 32 bf16 columns, `stride` apart, quantized along the rows (one block, a scale per
/// column) in 16-bit lanes where they can, else through the fp32 codec register by register, and
/// dequantized, as n / 2 pair rows of a 32-column panel from words (pairs swapped when asked): the
/// runtime's cold path for blocks with values the lanes cannot do (packQuantizedPanels).
MXJIT_AVX512 void packPairRowsAnyValues(const uint16_t* rows, int64_t stride, int64_t n, ElemFormat elem, ScaleMode mode,
                                        bool swapPairs, uint32_t* words) {
  __m512i amax, leastLessOne;
  columnMagnitudeBounds(rows, n, stride, 0xFFFFFFFFu, &amax, &leastLessOne);
  const __m512i codes = scaleCodes16(amax, elem, mode);
  LaneGrid grid;
  const bool inLanes = laneGrid(codes, elem, &grid);
  const PairInterleave interleave = pairInterleave(swapPairs);
  for (int64_t i = 0; i < n; i += 2) {
    __m512i even, odd;
    quantizeDequantizeRowPair(_mm512_loadu_si512(rows + i * stride), _mm512_loadu_si512(rows + (i + 1) * stride), grid, inLanes,
                              codes, elem, mode, &even, &odd);
    storeInterleaved(even, odd, interleave, words, i);
  }
}

/// Panels tile .. tile + panels - 1 (32 columns each, panels <= kMaxPanels) of group g's bf16 B (logically
/// [K, N]) quantized along K in blocks of `block` and dequantized (fused quantize), as packDequantizedPanel
/// lays them out, panel p at dst + p * width * 32.
constexpr int64_t kMaxPanels = 8;  // plan::kMaxStreamPanels
MXJIT_AVX512 bool packQuantizedPanels(const abi::KernelArgs* args, int64_t g, int64_t tile, int64_t panels, uint16_t* dst,
                                      int64_t K, int64_t width, bool swapPairs, int64_t N, bool enk, int32_t load,
                                      ElemFormat elem, ScaleMode mode, int32_t block) {
  constexpr int64_t NR = 32;
  const int64_t j0 = tile * NR;
  if (load != abi::kQuantizeBf16 || K % 32 || block % 32 || panels < 1 || panels > kMaxPanels || j0 + NR * panels > N)
    return false;
  const uint16_t* x = static_cast<const uint16_t*>(args->b);
  if (enk) {
    // Each column's block is contiguous: one scale per block, 16 columns transposed as in the fp8 case.
    for (int64_t p = 0; p < panels; ++p) {
      uint32_t* words = reinterpret_cast<uint32_t*>(dst + p * width * NR);
      for (int64_t jj0 = 0; jj0 < NR; jj0 += 16)
        for (int64_t k0 = 0; k0 < K; k0 += block) {
          const int64_t column0 = g * N + j0 + p * NR + jj0;
          BlockGrids16 grids;
          blockGrids16Of(x + column0 * K + k0, K, 16, block, elem, mode, &grids);
          for (int64_t k = k0; k < k0 + block; k += 32)
            quantizeColumnTile(x + column0 * K, K, k, grids, elem, mode, swapPairs, words + (k / 2) * NR + jj0, NR);
        }
      zeroPairRowsPast(words, K, width);
    }
    return true;
  }
  // Columns are contiguous: a block is `block` rows, one scale per column (lane). Rows are N apart (each
  // on its own page, often one cache set), so one pass over a block reads every panel's columns of a
  // row together (panels x 64 bytes a visit), finds each column's largest and least |x| and stages the
  // rows for the quantize pass, which, where the bounds say every value rounds in the 16-bit lanes, is a
  // loop with no check or call in it (as packTokenColumns); other blocks go to the runtime's cold path.
  const PairInterleave interleave = pairInterleave(swapPairs);
  alignas(64) uint16_t staged[256 * NR];
  const int64_t rowWords = panels * NR;  // staged bf16 values per row
  const bool stage = block * rowWords <= 256 * NR;
  for (int64_t k0 = 0; k0 < K; k0 += block) {
    __m512i amax[kMaxPanels], leastLessOne[kMaxPanels];
    for (int64_t p = 0; p < panels; ++p) amax[p] = _mm512_setzero_si512(), leastLessOne[p] = _mm512_set1_epi16(-1);
    for (int64_t k = k0; k < k0 + block; ++k) {
      const uint16_t* row = x + (g * K + k) * N + j0;
      if (k + block < K)  // every line this visit reads, a block ahead
        for (int64_t p = 0; p < panels; ++p) _mm_prefetch(reinterpret_cast<const char*>(row + block * N + NR * p), _MM_HINT_T0);
      for (int64_t p = 0; p < panels; ++p) {
        const __m512i v = _mm512_loadu_si512(row + NR * p);
        foldMagnitudeBounds(magnitudes16(v), &amax[p], &leastLessOne[p]);
        if (stage) _mm512_store_si512(staged + (k - k0) * rowWords + NR * p, v);
      }
    }
    // Not unrolled: the plan's panel count is a constant, and eight copies of this body cost compile time.
MXJIT_NO_UNROLL
    for (int64_t p = 0; p < panels; ++p) {
      uint32_t* words = reinterpret_cast<uint32_t*>(dst + p * width * NR) + (k0 / 2) * NR;
      const uint16_t* rows = stage ? staged + p * NR : x + (g * K + k0) * N + j0 + p * NR;
      const int64_t stride = stage ? rowWords : N;
      LaneGrid grid;
      if (!blocksInLanes(amax[p], leastLessOne[p], elem, mode, &grid)) {
        mxjit_cold_pack_pair_rows(rows, stride, block, int32_t(elem), int32_t(mode), swapPairs, words);
        continue;
      }
      for (int64_t i = 0; i < block; i += 2)
        storeInterleaved(quantizeDequantizeInLanes(_mm512_loadu_si512(rows + i * stride), grid, elem, mode),
                         quantizeDequantizeInLanes(_mm512_loadu_si512(rows + (i + 1) * stride), grid, elem, mode), interleave, words, i);
    }
  }
MXJIT_NO_UNROLL
  for (int64_t p = 0; p < panels; ++p) zeroPairRowsPast(reinterpret_cast<uint32_t*>(dst + p * width * NR), K, width);
  return true;
}

/// Where group-relative pair `pair` of columns c0..c0+15 (one word each) goes in `layout`: panel layouts
/// at first + pair * step; column-major ones gather 16 pairs, transpose them in registers and store 16
/// columns' runs of 16 pairs, column c's from first + c * step. (Word offsets found once: layout.word
/// divides by the panel width, a run-time value here, and once per pair that was most of the packer's time.)
struct TokenPairSink {
  uint32_t* first;
  int64_t step;
  bool panels;

  MXJIT_AVX512 void put(int64_t pair, __m512i w, __m512i* gathered) const {
    if (panels) {
      _mm512_storeu_si512(first + pair * step, w);
      return;
    }
    gathered[pair % 16] = w;
    if (pair % 16 != 15) return;
    transpose16x16(gathered);
    for (int c = 0; c < 16; ++c) _mm512_storeu_si512(first + c * step + pair - 15, gathered[c]);
  }
};

MXJIT_AVX512 TokenPairSink tokenPairSink(uint32_t* words, const TokenPairLayout& layout, int64_t p0, int64_t c0) {
  return {words + layout.word(p0, c0), layout.panel ? layout.panel : layout.pairRows, layout.panel != 0};
}

/// One block of tokens [first, first + n) of the group [begin, end) (see packTokenColumns), `width` (16
/// or 32) columns from c0, each row pair through quantize(rowE, rowO, &e, &o), as pairs from p0 in
/// `layout`. The group's last block also writes the pad pairs (and flushes column-major layouts' run of 16).
template <class Quantize>
MXJIT_AVX512 void putTokenBlock(const uint16_t* src, int64_t begin, int64_t end, int64_t first, int64_t n, int64_t cols, int64_t c0,
                                int width, int64_t p0, const TokenPairLayout& layout, uint16_t* dst, Quantize&& quantize) {
  const __mmask32 columns = width == 32 ? 0xFFFFFFFFu : 0xFFFFu;
  const PairInterleave interleave = pairInterleave(!layout.natural);  // the even token's slot
  const int64_t pair0 = (first - begin) / 2;
  const uint16_t* rows = src + first * cols + c0;
  uint32_t* words = reinterpret_cast<uint32_t*>(dst);
  const TokenPairSink first16 = tokenPairSink(words, layout, p0, c0), second16 = tokenPairSink(words, layout, p0, c0 + 16);
  __m512i gathered[2][16];
  for (int64_t i = 0; i < n; i += 2) {
    const __m512i rowE = _mm512_maskz_loadu_epi16(columns, rows + i * cols);
    const __m512i rowO = i + 1 < n ? _mm512_maskz_loadu_epi16(columns, rows + (i + 1) * cols) : _mm512_setzero_si512();
    __m512i e, o;
    quantize(rowE, rowO, &e, &o);
    first16.put(pair0 + i / 2, _mm512_permutex2var_epi16(e, interleave.firstHalf, o), gathered[0]);
    if (width == 32) second16.put(pair0 + i / 2, _mm512_permutex2var_epi16(e, interleave.secondHalf, o), gathered[1]);
  }
  if (first + n < end) return;
  for (int64_t pair = (end - begin + 1) / 2; pair < layout.paddedPairs(end - begin) || (!layout.panel && pair % 16); ++pair) {
    first16.put(pair, _mm512_setzero_si512(), gathered[0]);
    if (width == 32) second16.put(pair, _mm512_setzero_si512(), gathered[1]);
  }
}

/// putTokenBlock quantizing in 16-bit lanes where they can, the rest through the fp32 codec, register by
/// register: the runtime's cold path for blocks with a value the lanes cannot do (fp8 subnormals, NaN).
MXJIT_AVX512 void putTokenBlockAnyValues(const uint16_t* src, int64_t begin, int64_t end, int64_t first, int64_t n, int64_t cols,
                                         int64_t c0, int width, ElemFormat elem, ScaleMode mode, int64_t p0,
                                         const TokenPairLayout& layout, uint16_t* dst) {
  __m512i amax, leastLessOne;
  columnMagnitudeBounds(src + first * cols + c0, n, cols, width == 32 ? 0xFFFFFFFFu : 0xFFFFu, &amax, &leastLessOne);
  const __m512i codes = scaleCodes16(amax, elem, mode);
  LaneGrid grid;
  const bool inLanes = laneGrid(codes, elem, &grid);
  putTokenBlock(src, begin, end, first, n, cols, c0, width, p0, layout, dst,
                [&](__m512i a, __m512i b, __m512i* qa, __m512i* qb) MXJIT_AVX512_LAMBDA {
                  quantizeDequantizeRowPair(a, b, grid, inLanes, codes, elem, mode, qa, qb);
                });
}

/// 2d2d (wgrad) operand packing for columns [c0, c1) (c0 and c1 - c0 multiples of 16) of a row-major [M,
/// cols] bf16 operand, rows [begin, end) of one group: quantized along the tokens in blocks restarting at
/// `begin` (or used as is), written as bf16 token pairs from pair p0 in `layout` (TokenPairLayout.h;
/// panels a multiple of 16 wide, or column-major), zero past an odd end and over the group's pad pairs.
/// Block by block, each in strips of 32 columns, so a visit to a row (each its own page, `cols` apart)
/// reads all its c1 - c0 columns at once. A strip's first pass finds each column's largest and least
/// |x|, which tell whether all of it rounds in the 16-bit lanes (Bf16LaneQuantize.h): then a loop with
/// no check or call in it packs it, else the runtime's cold path (putTokenBlockAnyValues). Blocks a
/// multiple of 32 tokens: each then starts a run of 16 pairs, which column-major layouts gather.
MXJIT_AVX512 bool packTokenColumns(const uint16_t* src, int64_t begin, int64_t end, int64_t cols, int64_t c0, int64_t c1,
                                   int32_t load, ElemFormat elem, ScaleMode mode, int32_t block, int64_t p0,
                                   const TokenPairLayout& layout, uint16_t* dst) {
  if ((load != abi::kQuantizeBf16 && load != abi::kHighPrecisionBf16) || c0 % 16 || (c1 - c0) % 16 || c1 > cols || block % 32 ||
      layout.panel % 16)
    return false;
  const bool quantize = load == abi::kQuantizeBf16;
  for (int64_t first = begin; first < end; first += block) {
    for (int64_t t = first + block; t < first + 2 * block && t < end; ++t)  // the next block's rows
      for (int64_t c = c0; c < c1; c += 32) _mm_prefetch(reinterpret_cast<const char*>(src + t * cols + c), _MM_HINT_T0);
    const int64_t n = end - first < block ? end - first : block;
    for (int64_t c = c0; c < c1; c += 32) {
      const int width = c + 32 <= c1 ? 32 : 16;
      LaneGrid grid;
      if (quantize) {
        __m512i amax, leastLessOne;
        columnMagnitudeBounds(src + first * cols + c, n, cols, width == 32 ? 0xFFFFFFFFu : 0xFFFFu, &amax, &leastLessOne);
        if (!blocksInLanes(amax, leastLessOne, elem, mode, &grid)) {
          const TokenPairLayout escapes = layout;  // the call sees a copy: `layout` stays known (panels or not)
          mxjit_cold_pack_token_block(src, begin, end, first, n, cols, c, width, int32_t(elem), int32_t(mode), p0, &escapes, dst);
          continue;
        }
      }
      putTokenBlock(src, begin, end, first, n, cols, c, width, p0, layout, dst,
                    [&](__m512i a, __m512i b, __m512i* qa, __m512i* qb) MXJIT_AVX512_LAMBDA {
                      *qa = quantize ? quantizeDequantizeInLanes(a, grid, elem, mode) : a;
                      *qb = quantize ? quantizeDequantizeInLanes(b, grid, elem, mode) : b;
                    });
    }
  }
  return true;
}

}  // namespace mxjit::helpers::vec
