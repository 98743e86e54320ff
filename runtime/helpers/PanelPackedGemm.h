// The forward on panel-packed fp8 weights (formats/PanelPackedWeights.h, IR layout pnk). Each 64-byte
// chunk (4 k of 16 columns) becomes two vdpbf16ps pair rows in registers: one byte unpack per row puts
// each code in the high byte of its 16-bit lane, already in pair order, and decodeHighBytes turns it
// into bf16 with the column's scale folded in; up to 8 token rows then multiply it at once. Against the
// [E,N,K] kernels there is no byte transpose and no decoded panel stored and read back: decode-shape
// forward streams about twice the weights per second. Chunks the packer flagged (a subnormal, NaN or
// Inf code, a scale outside the fast range) go through the cold path (ColdPaths.h), which decodes them
// exactly into the same register order; the hot loop tests a flag bit instead of the codes, which
// keeps its 16 accumulators, 4 pair rows and constants within the 32 vector registers. Results equal the other bf16 kernels' (the same
// products summed in the same order).
#pragma once
#include "ColdPaths.h"
#include "Fp8Decode.h"
#include "formats/PanelPackedWeights.h"

namespace mxjit::helpers {

/// Rows of tokens times two panels (the second may repeat the first where a panel count is odd; its
/// columns past `cols` are not stored). rows: up to 8 token rows of K bf16 pairs (swapped, as the pack_a
/// stage writes them), row t at rows + t * K; rows past nRows are read (the packed tokens have room)
/// and dropped. scales[p] / cold[p]: panel p's scale records and cold flags. Results to
/// out[outIndex + t * N + j], j < cols.
template <int MR>
__attribute__((target("avx512f,avx512bf16,avx512bw,avx512vl"), always_inline)) inline void panelPairTimesRows(
    const uint16_t* rows, int64_t nRows, const uint8_t* const panel[2], const uint8_t* const scales[2],
    const uint8_t* const cold[2], int64_t K, ElemFormat f, void* out, int64_t outIndex, int64_t N, int64_t cols,
    int32_t outBf16) {
  constexpr int NP = 2;
  const int64_t records = K / formats::kPanelScaleDepth, pairsPerRow = K / 2;
  const uint32_t* a = reinterpret_cast<const uint32_t*>(rows);
  __m512 acc[MR][NP];
  MXJIT_UNROLL
  for (int t = 0; t < MR; ++t)
    MXJIT_UNROLL
    for (int p = 0; p < NP; ++p) acc[t][p] = _mm512_setzero_ps();
  MXJIT_NO_UNROLL
  for (int64_t r = 0; r < records; ++r) {
    __m512i rebias[NP];
    __mmask16 slow = 0;  // not read: the cold flags cover slow scales
    MXJIT_UNROLL
    for (int p = 0; p < NP; ++p) {
      const __m128i codes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(scales[p] + r * formats::kPanelColumns));
      rebias[p] = vec::scaleRebias(_mm512_cvtepu8_epi32(codes), f, &slow);
    }
    const uint32_t exactChunks = cold[0][r] | cold[1][r];  // bit c - 8r: chunk c of either panel
    MXJIT_NO_UNROLL
    for (int64_t c = 8 * r; c < 8 * r + 8; ++c) {
      __m512i x[NP], w[2][NP];
      MXJIT_UNROLL
      for (int p = 0; p < NP; ++p) {
        const uint8_t* chunk = panel[p] + c * formats::kPanelChunkBytes;
        // Two sequential streams, into L1 3 KiB ahead (2-4 KiB measured best; 512: 0.7x as fast) and
        // into L2 12 KiB ahead (decode shapes 1.2-1.4x faster than without; 8 or 20 KiB the same).
        _mm_prefetch(reinterpret_cast<const char*>(chunk + 3072), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char*>(chunk + 12288), _MM_HINT_T1);
        x[p] = _mm512_loadu_si512(chunk);
      }
      if (__builtin_expect((exactChunks >> (c - 8 * r)) & 1, 0)) {
        alignas(64) uint16_t exact[NP][64];
        MXJIT_UNROLL
        for (int p = 0; p < NP; ++p) {
          mxjit_cold_decode_panel_chunk(panel[p] + c * formats::kPanelChunkBytes, scales[p] + r * formats::kPanelColumns,
                                        int32_t(f), exact[p]);
          w[0][p] = _mm512_load_si512(exact[p]), w[1][p] = _mm512_load_si512(exact[p] + 32);
        }
      } else {
        MXJIT_UNROLL
        for (int p = 0; p < NP; ++p) {
          // Each code in both bytes of its lane: decodeHighBytes reads only the high one.
          w[0][p] = vec::decodeHighBytes(_mm512_unpacklo_epi8(x[p], x[p]), rebias[p], f);
          w[1][p] = vec::decodeHighBytes(_mm512_unpackhi_epi8(x[p], x[p]), rebias[p], f);
        }
      }
      MXJIT_UNROLL
      for (int h = 0; h < 2; ++h)
        MXJIT_UNROLL
        for (int t = 0; t < MR; ++t) {
          const __m512bh av = (__m512bh)_mm512_set1_epi32(static_cast<int>(a[t * pairsPerRow + 2 * c + h]));
          MXJIT_UNROLL
          for (int p = 0; p < NP; ++p) acc[t][p] = _mm512_dpbf16_ps(acc[t][p], (__m512bh)w[h][p], av);
        }
    }
  }
  MXJIT_UNROLL
  for (int t = 0; t < MR; ++t)
    if (t < nRows)
      MXJIT_UNROLL
      for (int p = 0; p < NP; ++p)
        vec::storeLanes(out, outIndex + t * N + p * formats::kPanelColumns, acc[t][p], cols - p * formats::kPanelColumns, outBf16);
}

}  // namespace mxjit::helpers
