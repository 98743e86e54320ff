// Compiled by the host compiler into the runtime library (see ColdPaths.h): the scalar packers and
// quantize blocks plus the bf16 conversion and pair layouts of the vector kernels, and the fp32 codec
// the 16-bit-lane quantizer falls back to.
#include "ColdPaths.h"

// GCC 12 warns inside its own AVX-512 headers (an intentionally undefined operand).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "ColumnTileGemm.h"
#include "Fp8Decode.h"
#include "MxVectorCodec.h"
#include "RowBlockGemm.h"
#include "ScalarPack.h"
#include "ScalarQuantize.h"
#include "TokenPairLayout.h"
#include "VectorPack.h"
#include "formats/PanelPackedWeights.h"

using namespace mxjit;
using namespace mxjit::helpers;

extern "C" __attribute__((target("avx512f,avx512bw,avx512vl"))) void mxjit_pack_row_bf16(
    const abi::KernelArgs* args, int64_t src, uint16_t* row, int64_t K, int64_t width, bool swapPairs, int32_t loadA,
    int32_t elemA, int32_t modeA, int32_t block, float* tmp) {
  if (vec::packRow(args, src, K, width, swapPairs, loadA, ElemFormat(elemA), ScaleMode(modeA), block, row)) return;
  packRows(args, src, 1, 1, tmp, K, loadA, elemA, modeA, block);
  for (int64_t i = 0; i < width; ++i) {
    const int64_t k = swapPairs ? i ^ 1 : i;
    row[i] = k < K ? formats::floatToBf16(tmp[k]) : 0;
  }
}

extern "C" void mxjit_cold_pack_b_panel_bf16(const abi::KernelArgs* args, int64_t g, int64_t tile, uint16_t* dst, int64_t K,
                                             int64_t k0, int64_t k1, int64_t width, bool swapPairs, int64_t N, int32_t enk,
                                             int32_t load, int32_t elem, int32_t mode, int32_t block, int32_t NR, float* tmp) {
  packBPanel(args, g, tile, tmp, K, k0, k1, N, enk, load, elem, mode, block, NR);
  for (int64_t kp = 0; kp < width / 2; ++kp)
    for (int64_t slot = 0; slot < 2; ++slot) {
      const int64_t k = 2 * kp + (swapPairs ? 1 - slot : slot);  // from k0
      for (int64_t jj = 0; jj < NR; ++jj)
        dst[(kp * NR + jj) * 2 + slot] = k < k1 - k0 ? formats::floatToBf16(tmp[k * NR + jj]) : 0;
    }
}

extern "C" void mxjit_cold_pack_token_columns_bf16(const void* src, int64_t begin, int64_t end, int64_t m, int64_t cols,
                                                   int64_t c0, int64_t c1, int32_t transposed, int32_t load, int32_t elem,
                                                   int32_t mode, int32_t block, int64_t p0, const TokenPairLayout* layout,
                                                   uint16_t* dst) {
  float v[1024];
  for (int64_t c = c0; c < c1; ++c) {
    for (int64_t first = begin; first < end; first += block) {
      const int64_t n = end - first < block ? end - first : block;
      loadBlock(src, transposed ? c * m + first : first * cols + c, transposed ? 1 : cols, n, load, ElemFormat(elem),
                ScaleMode(mode), 0, v);
      for (int64_t i = 0; i < n; ++i) {
        const int64_t t = first + i - begin;
        dst[layout->word(p0 + t / 2, c) * 2 + layout->slot(t)] = formats::floatToBf16(v[i]);
      }
    }
    if ((end - begin) % 2) dst[layout->word(p0 + (end - begin) / 2, c) * 2 + layout->slot(end - begin)] = 0;
    for (int64_t pair = (end - begin + 1) / 2; pair < layout->paddedPairs(end - begin); ++pair)
      dst[layout->word(p0 + pair, c) * 2] = dst[layout->word(p0 + pair, c) * 2 + 1] = 0;
  }
}

extern "C" __attribute__((target("avx512f,avx512bw,avx512vl"))) void mxjit_cold_quantize_dequantize32(
    const uint16_t* x, const uint16_t* codes, int32_t elem, int32_t mode, uint16_t* out) {
  for (int h = 0; h < 32; h += 16) {
    const __m512 v = vec::widenBf16(x + h);
    const __m512i c = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(codes + h)));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + h),
                        _mm512_cvtepi32_epi16(vec::quantizeDequantizeToBf16(v, c, ElemFormat(elem), ScaleMode(mode))));
  }
}

extern "C" void mxjit_cold_quantize_row_block(const abi::KernelArgs* args, int64_t r, int64_t kb, int64_t K, int32_t elem,
                                              int32_t mode, int32_t block) {
  quantizeRowBlock(args, r, kb, K, 0, elem, mode, block);
}

extern "C" void mxjit_cold_quantize_column_block(const abi::KernelArgs* args, int64_t c, int64_t first, int64_t n, int64_t sr,
                                                 int64_t C, int32_t elem, int32_t mode) {
  quantizeColumnBlock(args, c, first, n, sr, C, 0, elem, mode);
}

namespace mxjit::helpers {
extern "C" __attribute__((target("avx512f,avx512bw,avx512vl"))) void mxjit_cold_decode_panel_chunk(
    const uint8_t* chunk, const uint8_t* scales, int32_t elem, uint16_t* out) {
  // Scales in the fast range: the table decode on the kernel's register layout; else code by code.
  __mmask16 slow = 0;
  const ElemFormat f = ElemFormat(elem);
  const __m512i rebias = vec::scaleRebias(_mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(scales))), f, &slow);
  if (!slow) {
    const vec::Fp8Table table = vec::fp8Table(f);
    const __m512i x = _mm512_loadu_si512(chunk);
    _mm512_storeu_si512(out, vec::decodeHighBytesByTable(_mm512_unpacklo_epi8(x, x), rebias, table, f));
    _mm512_storeu_si512(out + 32, vec::decodeHighBytesByTable(_mm512_unpackhi_epi8(x, x), rebias, table, f));
    return;
  }
  for (int b = 0; b < formats::kPanelChunkBytes; ++b) {
    const formats::PanelSlot s = formats::panelSlot(b);
    out[s.row * 32 + s.word] = formats::floatToBf16(formats::dequantizeValue(chunk[b], scales[s.column], f, formats::DequantRounding::Bf16));
  }
}

extern "C" __attribute__((target("avx512f,avx512bw,avx512vl"))) bool mxjit_cold_decode_column_tile(
    const uint8_t* codes, int64_t K, const uint8_t* scales, int64_t kBlocks, int64_t k, int64_t block, int32_t elem, bool swapPairs,
    uint16_t* dst) {
  const ElemFormat f = ElemFormat(elem);
  return vec::decodeColumnTile(codes, K, scales, kBlocks, k, block, f, vec::fp8Table(f), vec::pairRowShuffles(swapPairs),
                               reinterpret_cast<uint32_t*>(dst), 16);
}

extern "C" __attribute__((target("avx512f,avx512bw,avx512vl"))) void mxjit_cold_quantize_column_tile(
    const uint16_t* x, int64_t K, int64_t k, int32_t elem, int32_t mode, bool swapPairs, uint16_t* dst) {
  vec::BlockGrids16 grids;
  vec::blockGrids16Of(x + k, K, 16, 32, ElemFormat(elem), ScaleMode(mode), &grids);
  vec::quantizeColumnTile(x, K, k, grids, ElemFormat(elem), ScaleMode(mode), swapPairs, reinterpret_cast<uint32_t*>(dst), 16);
}

extern "C" MXJIT_COLUMN_ISA void mxjit_cold_column_tile_step(const ColumnTile* tile, int64_t k, const uint32_t* a,
                                                              int64_t pairsPerRow, float* acc) {
  __m512 sums[kColumnTileRows];
  for (int t = 0; t < kColumnTileRows; ++t) sums[t] = _mm512_loadu_ps(acc + 16 * t);
  columnStepFromMemory(*tile, k, a, pairsPerRow, sums);
  for (int t = 0; t < kColumnTileRows; ++t) _mm512_storeu_ps(acc + 16 * t, sums[t]);
}

extern "C" __attribute__((target("avx512f,avx512bw,avx512vl"))) void mxjit_cold_pack_token_block(
    const uint16_t* src, int64_t begin, int64_t end, int64_t first, int64_t n, int64_t cols, int64_t c0, int32_t width, int32_t elem,
    int32_t mode, int64_t p0, const TokenPairLayout* layout, uint16_t* dst) {
  vec::putTokenBlockAnyValues(src, begin, end, first, n, cols, c0, width, ElemFormat(elem), ScaleMode(mode), p0, *layout, dst);
}

extern "C" __attribute__((target("avx512f,avx512bw,avx512vl"))) void mxjit_cold_pack_pair_rows(
    const uint16_t* rows, int64_t stride, int64_t n, int32_t elem, int32_t mode, bool swapPairs, uint32_t* words) {
  vec::packPairRowsAnyValues(rows, stride, n, ElemFormat(elem), ScaleMode(mode), swapPairs, words);
}

extern "C" MXJIT_COLUMN_ISA void mxjit_cold_row_block_panel(const uint16_t* rows, int64_t stride, int32_t elem, int32_t mode,
                                                             const uint32_t* a, int64_t pairsPerRow, int64_t pair0, float* sums) {
  alignas(64) uint32_t words[16 * 32];
  vec::packPairRowsAnyValues(rows, stride, 32, ElemFormat(elem), ScaleMode(mode), true, words);
  __m512 acc[2 * kRowBlockRows];
  for (int i = 0; i < 2 * kRowBlockRows; ++i) acc[i] = _mm512_loadu_ps(sums + 16 * i);
  for (int64_t q = 0; q < 16; ++q)
    multiplyPairRows(acc, a, pairsPerRow, pair0 + q, _mm512_load_si512(words + 32 * q), _mm512_load_si512(words + 32 * q + 16));
  for (int i = 0; i < 2 * kRowBlockRows; ++i) _mm512_storeu_ps(sums + 16 * i, acc[i]);
}

const ColdPathSymbol kColdPathSymbols[14] = {
    {"mxjit_pack_row_bf16", reinterpret_cast<void*>(&mxjit_pack_row_bf16)},
    {"mxjit_cold_pack_b_panel_bf16", reinterpret_cast<void*>(&mxjit_cold_pack_b_panel_bf16)},
    {"mxjit_cold_pack_token_columns_bf16", reinterpret_cast<void*>(&mxjit_cold_pack_token_columns_bf16)},
    {"mxjit_cold_quantize_dequantize32", reinterpret_cast<void*>(&mxjit_cold_quantize_dequantize32)},
    {"mxjit_cold_quantize_row_block", reinterpret_cast<void*>(&mxjit_cold_quantize_row_block)},
    {"mxjit_cold_quantize_column_block", reinterpret_cast<void*>(&mxjit_cold_quantize_column_block)},
    {"mxjit_panel_pair_times_rows", reinterpret_cast<void*>(&mxjit_panel_pair_times_rows)},
    {"mxjit_cold_decode_panel_chunk", reinterpret_cast<void*>(&mxjit_cold_decode_panel_chunk)},
    {"mxjit_cold_decode_column_tile", reinterpret_cast<void*>(&mxjit_cold_decode_column_tile)},
    {"mxjit_cold_quantize_column_tile", reinterpret_cast<void*>(&mxjit_cold_quantize_column_tile)},
    {"mxjit_cold_column_tile_step", reinterpret_cast<void*>(&mxjit_cold_column_tile_step)},
    {"mxjit_cold_pack_token_block", reinterpret_cast<void*>(&mxjit_cold_pack_token_block)},
    {"mxjit_cold_pack_pair_rows", reinterpret_cast<void*>(&mxjit_cold_pack_pair_rows)},
    {"mxjit_cold_row_block_panel", reinterpret_cast<void*>(&mxjit_cold_row_block_panel)},
};
}  // namespace mxjit::helpers
