// The forward on panel-packed fp8 weights (formats/PanelPackedWeights.h, IR layout pnk). Each 64-byte
// chunk (4 k of 16 columns) becomes two vdpbf16ps pair rows in registers: one byte unpack per row puts
// each code in the high byte of its 16-bit lane, already in pair order, and decodeHighBytes turns it
// into bf16 with the column's scale folded in. The weight-streaming plan multiplies them at once by up
// to 16 token rows (panelsTimesRows; that pass is compiled into the runtime, PanelPackedRows.cpp):
// against the [E,N,K] kernels there is no byte transpose and no
// decoded panel stored and read back, and decode-shape forward streams about twice the weights per
// second. The row-tile plan (large groups) decodes each panel pair once per call into the bf16 or AMX
// gemm's packed weights (decodePanelPair). Chunks the packer flagged (a subnormal, NaN or Inf code, a scale
// outside the fast range) go through the cold path (ColdPaths.h), which decodes them exactly into the
// same register order; the hot loop tests a flag bit instead of the codes, which keeps its 16
// accumulators, 4 pair rows and constants within the 32 vector registers. Results equal the other bf16
// kernels' (the same products summed in the same order).
#pragma once
#include "ColdPaths.h"
#include "Fp8Decode.h"
#include "KernelABI.h"
#include "formats/PanelPackedWeights.h"

#define MXJIT_PANEL_ATTRS __attribute__((target("avx512f,avx512bf16,avx512bw,avx512vl"), always_inline))
#define MXJIT_PANEL_TARGET MXJIT_PANEL_ATTRS inline

namespace mxjit::helpers {

/// Two 16-column panels of one expert, as a work item takes them: the item's 32 columns (the last item
/// of an odd panel count repeats its one panel; columns past N are never stored).
struct PanelPair {
  const uint8_t* codes[2];
  const uint8_t* scales[2];  // scale records
  const uint8_t* cold[2];    // a byte per record: bit i = chunk i decodes exactly
  int64_t col0;
};

inline PanelPair panelPairOf(const abi::KernelArgs* args, int64_t g, int64_t tile, int64_t K, int64_t N) {
  const int64_t panels = formats::panelCount(N), records = K / formats::kPanelScaleDepth;
  const int64_t first = g * panels + tile * 2, second = tile * 2 + 1 < panels ? first + 1 : first;
  const uint8_t* codes = static_cast<const uint8_t*>(args->b);
  const uint8_t* flags = args->bScales + args->groups * panels * records * formats::kPanelColumns;
  PanelPair pp;
  for (int p = 0; p < 2; ++p) {
    const int64_t panel = p ? second : first;
    pp.codes[p] = codes + panel * K * formats::kPanelColumns;
    pp.scales[p] = args->bScales + panel * records * formats::kPanelColumns;
    pp.cold[p] = flags + panel * records;
  }
  pp.col0 = tile * 2 * formats::kPanelColumns;
  return pp;
}

/// Record r's scales of the first NP panels as decodeHighBytes rebiases.
template <int NP>
MXJIT_PANEL_TARGET void recordRebias(const PanelPair& pp, int64_t r, ElemFormat f, __m512i rebias[NP]) {
  __mmask16 slow = 0;  // not read: the cold flags cover slow scales
  MXJIT_UNROLL
  for (int p = 0; p < NP; ++p) {
    const __m128i codes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(pp.scales[p] + r * formats::kPanelColumns));
    rebias[p] = vec::scaleRebias(_mm512_cvtepu8_epi32(codes), f, &slow);
  }
}

/// Chunk c (of record r) of the first NP panels as pair rows w[h][p]: pair row 2c + h, columns 16p .. 16p + 15.
template <int NP>
MXJIT_PANEL_TARGET void decodeChunks(const PanelPair& pp, int64_t c, int64_t r, const __m512i rebias[NP], bool exact, ElemFormat f,
                                     __m512i w[2][NP]) {
  __m512i x[NP];
  MXJIT_UNROLL
  for (int p = 0; p < NP; ++p) {
    const uint8_t* chunk = pp.codes[p] + c * formats::kPanelChunkBytes;
    // Two sequential streams, into L1 3 KiB ahead (2-4 KiB measured best; 512: 0.7x as fast) and
    // into L2 12 KiB ahead (decode shapes 1.2-1.4x faster than without; 8 or 20 KiB the same).
    _mm_prefetch(reinterpret_cast<const char*>(chunk + 3072), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(chunk + 12288), _MM_HINT_T1);
    x[p] = _mm512_loadu_si512(chunk);
  }
  if (__builtin_expect(exact, 0)) {
    alignas(64) uint16_t decoded[NP][64];
    MXJIT_UNROLL
    for (int p = 0; p < NP; ++p) {
      mxjit_cold_decode_panel_chunk(pp.codes[p] + c * formats::kPanelChunkBytes, pp.scales[p] + r * formats::kPanelColumns,
                                    int32_t(f), decoded[p]);
      w[0][p] = _mm512_load_si512(decoded[p]), w[1][p] = _mm512_load_si512(decoded[p] + 32);
    }
    return;
  }
  MXJIT_UNROLL
  for (int p = 0; p < NP; ++p) {
    // Each code in both bytes of its lane: decodeHighBytes reads only the high one.
    w[0][p] = vec::decodeHighBytes(_mm512_unpacklo_epi8(x[p], x[p]), rebias[p], f);
    w[1][p] = vec::decodeHighBytes(_mm512_unpackhi_epi8(x[p], x[p]), rebias[p], f);
  }
}

/// Whether chunk c (of record r) of any of the first NP panels decodes exactly.
template <int NP>
inline bool exactChunk(const PanelPair& pp, int64_t c, int64_t r) {
  const uint8_t flags = NP == 1 ? pp.cold[0][r] : pp.cold[0][r] | pp.cold[1][r];
  return ((flags >> (c - 8 * r)) & 1) != 0;
}

/// Every chunk of the first NP panels in order, decoded: body(c, w) with w[h][p] pair row 2c + h of panel p.
template <int NP = 2, class Body>
MXJIT_PANEL_TARGET void forEachDecodedChunk(const PanelPair& pp, int64_t K, ElemFormat f, Body&& body) {
  const int64_t records = K / formats::kPanelScaleDepth;
  MXJIT_NO_UNROLL
  for (int64_t r = 0; r < records; ++r) {
    __m512i rebias[NP];
    recordRebias<NP>(pp, r, f, rebias);
    MXJIT_NO_UNROLL
    for (int64_t c = 8 * r; c < 8 * r + 8; ++c) {
      __m512i w[2][NP];
      decodeChunks<NP>(pp, c, r, rebias, exactChunk<NP>(pp, c, r), f, w);
      body(c, w);
    }
  }
}

/// Panel p of a pair as the first panel of a pair of its own (for the one-panel passes).
inline PanelPair panelOf(const PanelPair& pp, int p) {
  PanelPair one = pp;
  one.codes[0] = pp.codes[p], one.scales[0] = pp.scales[p], one.cold[0] = pp.cold[p];
  one.col0 = pp.col0 + p * formats::kPanelColumns;
  return one;
}

/// MR rows of tokens times the first NP panels of a pair (MR * NP accumulators: 8 x 2 or 16 x 1). rows:
/// token rows of K bf16 pairs (swapped, as the pack_a stage writes them), row t at rows + t * stride.
/// Results to out[outIndex + t * N + j] for the panels' columns j < cols.
template <int MR, int NP>
MXJIT_PANEL_TARGET void panelsTimesRows(const uint16_t* rows, int64_t stride, const PanelPair& pp, int64_t K, ElemFormat f, void* out,
                                        int64_t outIndex, int64_t N, int64_t cols, int32_t outBf16) {
  const int64_t pairsPerRow = stride / 2;
  const uint32_t* a = reinterpret_cast<const uint32_t*>(rows);
  __m512 acc[MR][NP];
  MXJIT_UNROLL
  for (int t = 0; t < MR; ++t)
    MXJIT_UNROLL
    for (int p = 0; p < NP; ++p) acc[t][p] = _mm512_setzero_ps();
  forEachDecodedChunk<NP>(pp, K, f, [&](int64_t c, const __m512i (&w)[2][NP]) MXJIT_PANEL_ATTRS {
    MXJIT_UNROLL
    for (int h = 0; h < 2; ++h)
      MXJIT_UNROLL
      for (int t = 0; t < MR; ++t) {
        // An int broadcast: a float one (vbroadcastss, as GCC emits it) ran the 8-row pass 10% slower here.
        const __m512bh av = (__m512bh)_mm512_set1_epi32(static_cast<int>(a[t * pairsPerRow + 2 * c + h]));
        MXJIT_UNROLL
        for (int p = 0; p < NP; ++p) acc[t][p] = _mm512_dpbf16_ps(acc[t][p], (__m512bh)w[h][p], av);
      }
  });
  MXJIT_UNROLL
  for (int t = 0; t < MR; ++t)
    MXJIT_UNROLL
    for (int p = 0; p < NP; ++p)
      vec::storeLanes(out, outIndex + t * N + p * formats::kPanelColumns, acc[t][p], cols - p * formats::kPanelColumns, outBf16);
}

/// MR (1 .. 16) rows times a panel pair in one pass: 8 x 2 for up to 8 rows, else 16 x 1 for each panel.
template <int MR>
MXJIT_PANEL_TARGET void panelPairTimesRowsPass(const uint16_t* rows, int64_t stride, const PanelPair& pp, int64_t K, ElemFormat f,
                                               void* out, int64_t outIndex, int64_t N, int32_t outBf16) {
  const int64_t cols = N - pp.col0;
  if constexpr (MR <= 8) {
    panelsTimesRows<MR, 2>(rows, stride, pp, K, f, out, outIndex, N, cols, outBf16);
  } else {
    for (int p = 0; p < 2 && p * formats::kPanelColumns < cols; ++p)
      panelsTimesRows<MR, 1>(rows, stride, panelOf(pp, p), K, f, out, outIndex + p * formats::kPanelColumns, N,
                             cols - p * formats::kPanelColumns, outBf16);
  }
}

/// The pass of exactly n (1 .. MR) rows: decode-shape passes are bound by their products, so a pass
/// computes no row that is not there.
template <int MR>
MXJIT_PANEL_TARGET void panelPairTimesExactRows(const uint16_t* rows, int64_t n, int64_t stride, const PanelPair& pp, int64_t K,
                                                ElemFormat f, void* out, int64_t outIndex, int64_t N, int32_t outBf16) {
  if constexpr (MR > 1)
    if (n < MR) return panelPairTimesExactRows<MR - 1>(rows, n, stride, pp, K, f, out, outIndex, N, outBf16);
  panelPairTimesRowsPass<MR>(rows, stride, pp, K, f, out, outIndex, N, outBf16);
}

/// A group's rows times a panel pair, decoding the panels as few times as the registers allow: a pass
/// of up to 8 rows takes both panels (16 accumulators), one of 9 to 16 rows each panel on its own, with
/// half the decodes per product of two 8-row passes. Jagged groups thus cost a pass per 16 rows, not per
/// 8, and no products for absent rows.
MXJIT_PANEL_TARGET void panelPairTimesGroupRows(const uint16_t* rows, int64_t nRows, int64_t stride, const PanelPair& pp, int64_t K,
                                                ElemFormat f, void* out, int64_t outIndex, int64_t N, int32_t outBf16) {
  for (int64_t t0 = 0; t0 < nRows; t0 += 16)
    panelPairTimesExactRows<16>(rows + t0 * stride, nRows - t0 < 16 ? nRows - t0 : 16, stride, pp, K, f, out, outIndex + t0 * N,
                                N, outBf16);
}

/// AMX hosts: up to 16 rows of tokens (natural pairs, as A tiles take them: K bf16 each, row t at rows +
/// t * K; rows past nRows are read, the packed tokens have room, and dropped) times a panel pair. Each
/// record's 16 chunks are decoded in registers into its two B tiles (32 k x 16 columns, 1 KiB each, at
/// `tiles`; a pair row of a panel is a B tile row once its halves are swapped to natural order) and
/// multiplied by tdpbf16ps into two 16 x 16 C tiles: one tdpbf16ps does what 32 vdpbf16ps do, so the
/// decode, not the multiply, bounds it. c: 16 x 32 floats. Tiles configured 16 x 64 bytes (amxConfigure).
/// One record's tdpbf16ps: the A tile of tokens at `a` (row stride aBytes) against the two B tiles at
/// `tiles`, into C tiles 0 and 1. Not inlined: the decode loop that calls it is AVX-512 code, which can
/// take an AMX callee only by a call (the tiles stay in their registers between calls).
__attribute__((target("amx-tile,amx-bf16"), noinline)) inline void amxRecordProduct(const uint16_t* a, int64_t aBytes,
                                                                                    const uint16_t* tiles) {
  _tile_loadd(2, a, aBytes);
  _tile_loadd(4, tiles, 64);
  _tile_loadd(5, tiles + 512, 64);
  _tile_dpbf16ps(0, 2, 4);
  _tile_dpbf16ps(1, 2, 5);
}

__attribute__((target("amx-tile,amx-bf16,avx512f,avx512bf16,avx512bw,avx512vl"), always_inline)) inline void panelPairTimesRowsAmx(
    const uint16_t* rows, int64_t nRows, const PanelPair& pp, int64_t K, ElemFormat f, uint16_t* tiles, float* c, void* out,
    int64_t outIndex, int64_t N, int64_t cols, int32_t outBf16) {
  _tile_zero(0);
  _tile_zero(1);
  forEachDecodedChunk(pp, K, f, [&](int64_t ch, const __m512i (&w)[2][2]) MXJIT_PANEL_ATTRS {
    const int64_t row = ch % (formats::kPanelScaleDepth / 4);  // chunks per record: 4 k each
    MXJIT_UNROLL
    for (int h = 0; h < 2; ++h)
      MXJIT_UNROLL
      for (int p = 0; p < 2; ++p) _mm512_storeu_si512(tiles + p * 512 + (2 * row + h) * 32, _mm512_rol_epi32(w[h][p], 16));
    if (row == formats::kPanelScaleDepth / 4 - 1)  // the record's B tiles are complete
      amxRecordProduct(rows + (ch / (formats::kPanelScaleDepth / 4)) * formats::kPanelScaleDepth, K * 2, tiles);
  });
  _tile_stored(0, c, 128);
  _tile_stored(1, c + 16, 128);
  for (int64_t t = 0; t < nRows && t < 16; ++t)
    MXJIT_UNROLL
    for (int p = 0; p < 2; ++p)
      vec::storeLanes(out, outIndex + t * N + p * formats::kPanelColumns, _mm512_loadu_ps(c + t * 32 + p * 16),
                      cols - p * formats::kPanelColumns, outBf16);
}

/// A panel pair decoded to bf16 as the row-tile gemms' packed weights read it: K/2 pair rows of 32
/// dwords, k+1 first (vdpbf16ps) or, for AMX tiles, k first (`naturalPairs`).
MXJIT_PANEL_TARGET void decodePanelPair(const PanelPair& pp, int64_t K, ElemFormat f, bool naturalPairs, uint16_t* dst) {
  forEachDecodedChunk(pp, K, f, [&](int64_t c, const __m512i (&w)[2][2]) MXJIT_PANEL_ATTRS {
    MXJIT_UNROLL
    for (int h = 0; h < 2; ++h)
      MXJIT_UNROLL
      for (int p = 0; p < 2; ++p)
        _mm512_storeu_si512(dst + (2 * c + h) * 64 + 32 * p, naturalPairs ? _mm512_rol_epi32(w[h][p], 16) : w[h][p]);
  });
}

}  // namespace mxjit::helpers
