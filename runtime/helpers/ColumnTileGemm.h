// The weight-streaming forward on weights stored along K ([E,N,K]): fp8 codes with e8m0 scales, or bf16
// quantized along K in blocks of 32. Sixteen columns at a time, each step of their K values (64 k of fp8, 32 of
// bf16) is loaded as 16 registers, one per column, and transposed in registers (transpose16x16) into vdpbf16ps
// pair rows whose dword lanes are the 16 columns; there each pair row is decoded (fp8, the columns' scales in
// its lanes) or quantized and dequantized (bf16: one lane grid serves all 16 rows, since a column's 32 k are its
// block) and multiplied at once by up to 8 token rows (groups of 9-32 rows: the step's pair rows kept in the
// tile buffer, multiplied from there by every 8 rows, columnTileTimesManyRows). Nothing decoded is stored and
// read back: decode-shape forward (8 rows per expert, 2 threads) runs 1.15-1.2x as fast as decoding each step
// into L1 first (fp8) and 1.9-2.4x as fast as quantizing whole panels into L2 (bf16). Steps the fast paths
// cannot take go through memory: fp8 codes that are subnormal, NaN or Inf through the runtime's table decode,
// bf16 values the 16-bit lanes cannot do (fp8 subnormals, about 3% of the steps of normally distributed weights)
// through its fp32 codec, scales outside the fast range and partial steps through the cold packer; the kernels
// call one cold path for all of these, which also multiplies (mxjit_cold_column_tile_step). Results equal the
// other bf16 kernels' (the same products summed in the same order). On AMX hosts the pair rows become B tiles
// for tdpbf16ps instead. Compile time: fusing the multiply into a transposing decode makes one module of the
// kernel, on one compile thread; with the slow steps out of it (a sixth of its compile time), the rows' stores
// in a loop and the transpose's rounds combined apart (transpose::roundDone), a kernel compiles in 25-30 ms (was
// 31-35; the budget is 30).
#pragma once
#include "Bf16LaneQuantize.h"
#include "ColdPaths.h"
#include "Fp8Decode.h"
#include "KernelABI.h"

#define MXJIT_COLUMN_ISA __attribute__((target("avx512f,avx512bf16,avx512bw,avx512vl")))
#define MXJIT_COLUMN_ATTRS MXJIT_COLUMN_ISA __attribute__((always_inline))
#define MXJIT_COLUMN_TARGET MXJIT_COLUMN_ATTRS inline

namespace mxjit::helpers {

/// K values per step of the fast paths: a 64-byte line of each column.
constexpr int64_t kColumnStepFp8 = 64, kColumnStepBf16 = 32;
/// Token rows per pass over the weights (plan::kColumnTileRows), and the most a group sent here may have
/// (plan::fusedGroupRows): larger groups of up to kColumnTileMaxRows keep each step's pair rows for every 8.
constexpr int kColumnTileRows = 8, kColumnTileMaxRows = 32;

/// 16 columns of fp8 codes (column c's K codes at codes + c * K, its kBlocks scale codes at scales + c *
/// kBlocks), k .. k+63 (vec::loadColumnTile), as 32 decoded pair rows: body(q, v) with v pair row q (k + 2q,
/// k + 2q + 1; the pair order `shuffles` make: k + 1 in the low half for vdpbf16ps, natural for AMX B
/// tiles). False, body not called, where a code is subnormal, NaN or Inf or a scale is outside the fast
/// range (the runtime's table decode takes those steps).
template <class Body>
MXJIT_COLUMN_TARGET bool fp8ColumnStep(const uint8_t* codes, int64_t K, const uint8_t* scales, int64_t kBlocks, int64_t k,
                                       int64_t block, ElemFormat f, const vec::PairRowShuffles& shuffles, Body&& body) {
  __m512i r[16], rebias0, rebias1;
  if (!vec::loadColumnTile(codes, K, scales, kBlocks, k, block, f, r, &rebias0, &rebias1) || vec::anyIrregularCode(r, f))
    return false;
  vec::transpose16x16<true>(r);
  // Not unrolled: unrolled, a step was one basic block too large for instruction selection to fold the
  // token broadcasts into vdpbf16ps (each then took a shuffle), and it cost 20 ms more to compile.
  MXJIT_NO_UNROLL
  for (int q = 0; q < 32; ++q)
    body(q, vec::decodeHighBytes(_mm512_shuffle_epi8(r[q / 2], q % 2 ? shuffles.second : shuffles.first),
                                 q < 16 ? rebias0 : rebias1, f));
  return true;
}

/// 16 columns of bf16 (column c's K values at x + c * K), k .. k+31 (one block of 32 each), quantized
/// along K and dequantized in 16-bit lanes, as 16 pair rows: body(q, v) as fp8ColumnStep (k + 1 in the
/// low half where `swapPairs`, for vdpbf16ps; else in natural order, for AMX B tiles). False where a
/// scale or a value is outside what the lanes do (Bf16LaneQuantize.h): body was then called with wrong
/// values too, and the caller undoes the step and redoes it through the runtime's fp32 codec. (Checking
/// each pair row before its multiply put a call in the loop, and the compiler spilled around it.)
template <class Body>
MXJIT_COLUMN_TARGET bool bf16ColumnStep(const uint16_t* x, int64_t K, int64_t k, ElemFormat f, ScaleMode mode, bool swapPairs,
                                        Body&& body) {
  __m512i r[16], magnitudes[16];
  MXJIT_UNROLL
  for (int c = 0; c < 16; ++c) {
    const uint16_t* at = x + c * K + k;
    _mm_prefetch(reinterpret_cast<const char*>(at + 128), _MM_HINT_T0);  // 256 bytes ahead, as the fp8 step
    r[c] = _mm512_loadu_si512(at);
    magnitudes[c] = vec::magnitudes16(r[c]);
  }
  // Column c's block amax in dword lane c, its scale code in both 16-bit halves of that lane: after the
  // transpose, lane c of every pair row is column c.
  const __m512i codes32 = vec::scaleCodes(_mm512_slli_epi32(vec::maxLanesOf16(magnitudes), 16), f, mode);
  const __m512i codes = _mm512_or_si512(codes32, _mm512_slli_epi32(codes32, 16));
  vec::LaneGrid grid;
  if (!vec::laneGrid(codes, f, &grid)) return false;
  vec::transpose16x16<true>(r);
  __mmask32 slow = 0;
  MXJIT_NO_UNROLL  // as fp8ColumnStep
  for (int q = 0; q < 16; ++q) {
    __m512i magnitude;
    slow |= vec::roundToGrid(r[q], grid, f, mode, &magnitude);
    const __m512i v = _mm512_ternarylogic_epi32(magnitude, r[q], _mm512_set1_epi16(static_cast<int16_t>(0x8000)), 0xF8);
    body(q, swapPairs ? _mm512_rol_epi32(v, 16) : v);  // | sign; then k + 1 into the low half
  }
  return slow == 0;
}

/// The 16 weight columns c0.. of expert g that a column-tile kernel multiplies, and its buffers: `tile`
/// (32 pair rows of 16 columns), the cold packer's `slab` (its 32-column panel `panel`, `half` the 16
/// here; 32 pair rows of 32 columns) and `tmp` (64 x 32 floats).
struct ColumnTile {
  const abi::KernelArgs* args;
  int64_t g, panel, half, c0, K, N, kBlocks, step;
  int32_t load, block;
  ElemFormat f;
  ScaleMode mode;
  bool fp8, whole;  // whole: the panel's 32 columns are all within N (else every step is cold)
  const uint8_t* codes;    // fp8: column c's K codes at codes + c * K
  const uint16_t* values;  // bf16: column c's K values at values + c * K
  const uint8_t* scales;
  uint16_t *tile, *slab;
  float* tmp;
};

inline ColumnTile columnTileOf(const abi::KernelArgs* args, int64_t g, int64_t panel, int64_t half, int64_t K, int64_t N,
                               int32_t load, ElemFormat f, ScaleMode mode, int32_t block, uint16_t* tile, uint16_t* slab,
                               float* tmp) {
  const int64_t c0 = panel * 32 + half * 16;
  const bool fp8 = load == abi::kDequantize;
  return {args, g, panel, half, c0, K, N, K / block, fp8 ? kColumnStepFp8 : kColumnStepBf16, load, block, f, mode, fp8,
          panel * 32 + 32 <= N, static_cast<const uint8_t*>(args->b) + (g * N + c0) * K,
          static_cast<const uint16_t*>(args->b) + (g * N + c0) * K, args->bScales + (g * N + c0) * (K / block), tile, slab, tmp};
}

/// The pair rows of the step at k (`depth` k; `full`: a whole step of a whole panel) where the fast paths
/// cannot take it: the runtime's vector paths write the tile (fp8 codes by the table, bf16 through the
/// fp32 codec), else the cold packer its panel. Pair row q then starts at rows + q * 2 * stride.
struct StepRows {
  const uint16_t* rows;
  int64_t stride;
};

MXJIT_COLUMN_TARGET StepRows stepFromMemory(const ColumnTile& t, int64_t k, int64_t depth, bool full, bool swapPairs) {
  if (full && !t.fp8) {
    mxjit_cold_quantize_column_tile(t.values, t.K, k, int32_t(t.f), int32_t(t.mode), swapPairs, t.tile);
    return {t.tile, 16};
  }
  if (full && mxjit_cold_decode_column_tile(t.codes, t.K, t.scales, t.kBlocks, k, t.block, int32_t(t.f), swapPairs, t.tile))
    return {t.tile, 16};
  mxjit_cold_pack_b_panel_bf16(t.args, t.g, t.panel, t.slab, t.K, k, k + depth, depth, swapPairs, t.N, 1, t.load, int32_t(t.f),
                               int32_t(t.mode), t.block, 32, t.tmp);
  return {t.slab + t.half * 32, 32};
}

/// row(t) for each of the first `rows` (1 .. 8; more: 8) token rows of a pass, in one copy of the code: a
/// switch falling through the rows (decode passes are bound by their products, so rows a group lacks
/// are skipped; a branch per row cost uniform calls ~4%, a copy per row count the compile budget).
template <class Row>
MXJIT_COLUMN_TARGET void forFirstRows(int64_t rows, Row&& row) {
  switch (rows) {
  default: row(7); [[fallthrough]];
  case 7: row(6); [[fallthrough]];
  case 6: row(5); [[fallthrough]];
  case 5: row(4); [[fallthrough]];
  case 4: row(3); [[fallthrough]];
  case 3: row(2); [[fallthrough]];
  case 2: row(1); [[fallthrough]];
  case 1: row(0);
  }
}

/// Pair row v (pair `pair` of the step) times the first `rows` (1 .. kColumnTileRows) token rows:
/// acc[t] += v . a[t * pairsPerRow + pair].
MXJIT_COLUMN_TARGET void multiplyPairRow(__m512* acc, const uint32_t* a, int64_t pairsPerRow, int64_t pair, __m512i v,
                                         int64_t rows = kColumnTileRows) {
  static_assert(kColumnTileRows == 8);
  // A float broadcast from memory: the compiler folds it into vdpbf16ps ({1to16}), where an int one
  // went through a general register and a shuffle.
  forFirstRows(rows, [&](int t) MXJIT_COLUMN_ATTRS {
    acc[t] = _mm512_dpbf16_ps(acc[t], (__m512bh)v, (__m512bh)_mm512_set1_ps(*reinterpret_cast<const float*>(a + t * pairsPerRow + pair)));
  });
}

/// The step at k that the fast paths cannot take (stepFromMemory) times the token rows, as multiplyPairRow:
/// the runtime's cold path (mxjit_cold_column_tile_step) runs it for the kernels.
MXJIT_COLUMN_TARGET void columnStepFromMemory(const ColumnTile& tile, int64_t k, const uint32_t* a, int64_t pairsPerRow,
                                              __m512* acc) {
  const int64_t depth = tile.K - k < tile.step ? tile.K - k : tile.step;
  const StepRows rows = stepFromMemory(tile, k, depth, tile.whole && k + tile.step <= tile.K, true);
  for (int64_t q = 0; q < depth / 2; ++q)
    multiplyPairRow(acc, a, pairsPerRow, k / 2 + q, _mm512_loadu_si512(rows.rows + q * 2 * rows.stride));
}

/// Up to 8 token rows (packed by the pack_a stage: K bf16 each, pairs swapped; rows past nRows are read,
/// the packed tokens have room, and dropped) times the tile's 16 columns, each step from the fast paths
/// above or, where they cannot, by the runtime's cold path. Results to out[(r0 + t) * N + c0 + j] for
/// j < N - c0.
MXJIT_COLUMN_TARGET void columnTileTimesRows(const ColumnTile& tile, int64_t r0, int64_t nRows, int32_t outBf16,
                                             const vec::PairRowShuffles& shuffles) {
  constexpr int MR = kColumnTileRows;
  const int64_t K = tile.K, pairsPerRow = K / 2;
  const uint32_t* a = reinterpret_cast<const uint32_t*>(tile.args->packedA) + r0 * pairsPerRow;
  __m512 acc[MR];
  MXJIT_UNROLL
  for (int t = 0; t < MR; ++t) acc[t] = _mm512_setzero_ps();
  int64_t pair0 = 0;  // the step's first pair row (k / 2)
  const auto multiply = [&](int64_t q, __m512i v) MXJIT_COLUMN_ATTRS { multiplyPairRow(acc, a, pairsPerRow, pair0 + q, v, nRows); };
  // The accumulators pass through here to the cold path and back (a call clobbers every vector register).
  alignas(64) float sums[MR][16];
  const auto store = [](const __m512* from, float (*to)[16]) MXJIT_COLUMN_ATTRS {
    MXJIT_UNROLL
    for (int t = 0; t < MR; ++t) _mm512_store_ps(to[t], from[t]);
  };
  MXJIT_NO_UNROLL
  for (int64_t k = 0; k < K; k += tile.step) {
    pair0 = k / 2;
    const bool full = tile.whole && k + tile.step <= K;
    // A bf16 step finds out it was slow after its products: the cold path starts again from before them.
    if (!tile.fp8) store(acc, sums);
    if (full && (tile.fp8 ? fp8ColumnStep(tile.codes, K, tile.scales, tile.kBlocks, k, tile.block, tile.f, shuffles, multiply)
                          : bf16ColumnStep(tile.values, K, k, tile.f, tile.mode, true, multiply)))
      continue;
    if (tile.fp8) store(acc, sums);
    const ColumnTile escapes = tile;  // the call sees a copy: `tile` keeps its fields known (its format above all)
    mxjit_cold_column_tile_step(&escapes, k, a, pairsPerRow, &sums[0][0]);
    MXJIT_UNROLL
    for (int t = 0; t < MR; ++t) acc[t] = _mm512_load_ps(sums[t]);
  }
  store(acc, sums);
  // One store loop, not unrolled: unrolled, the rows' stores were an eighth of the kernel's code.
  MXJIT_NO_UNROLL
  for (int64_t t = 0; t < nRows && t < MR; ++t)
    vec::storeLanes(tile.args->out, (r0 + t) * tile.N + tile.c0, _mm512_load_ps(sums[t]), tile.N - tile.c0, outBf16);
}

/// The step at k (`depth` k of it) as pair rows in memory: written to the tile buffer by the fast paths,
/// else from memory (stepFromMemory); pair order as `swapPairs` (k + 1 low for vdpbf16ps, natural for AMX).
MXJIT_COLUMN_TARGET StepRows keptStep(const ColumnTile& tile, int64_t k, int64_t depth, const vec::PairRowShuffles& shuffles,
                                      bool swapPairs) {
  uint32_t* words = reinterpret_cast<uint32_t*>(tile.tile);
  const auto keep = [&](int64_t q, __m512i v) MXJIT_COLUMN_ATTRS { _mm512_storeu_si512(words + 16 * q, v); };
  const bool full = tile.whole && k + tile.step <= tile.K;
  const bool kept =
      full && (tile.fp8 ? fp8ColumnStep(tile.codes, tile.K, tile.scales, tile.kBlocks, k, tile.block, tile.f, shuffles, keep)
                        : bf16ColumnStep(tile.values, tile.K, k, tile.f, tile.mode, swapPairs, keep));
  return kept ? StepRows{tile.tile, 16} : stepFromMemory(tile, k, depth, full, swapPairs);
}

/// 9 to kColumnTileMaxRows token rows (as columnTileTimesRows takes them) times the tile's 16 columns:
/// each step's pair rows, written to the tile buffer by the fast paths (or from memory, stepFromMemory),
/// are multiplied from there by every 8 rows, their sums in `sums` (kColumnTileMaxRows x 16 floats)
/// between steps. Re-decoding each step per 8 rows, or the whole-panel plan, ran groups of 9-32 rows
/// 2-3x slower. The same products in the same order as columnTileTimesRows.
MXJIT_COLUMN_TARGET void columnTileTimesManyRows(const ColumnTile& tile, int64_t r0, int64_t nRows, int32_t outBf16,
                                                 const vec::PairRowShuffles& shuffles, float* sums) {
  constexpr int MR = kColumnTileRows;
  const int64_t K = tile.K, pairsPerRow = K / 2, passes = (nRows + MR - 1) / MR;
  const uint32_t* a = reinterpret_cast<const uint32_t*>(tile.args->packedA) + r0 * pairsPerRow;
  MXJIT_NO_UNROLL
  for (int64_t i = 0; i < passes * MR * 16; i += 16) _mm512_storeu_ps(sums + i, _mm512_setzero_ps());
  MXJIT_NO_UNROLL
  for (int64_t k = 0; k < K; k += tile.step) {
    const int64_t depth = K - k < tile.step ? K - k : tile.step;
    const StepRows rows = keptStep(tile, k, depth, shuffles, true);
    MXJIT_NO_UNROLL
    for (int64_t pass = 0; pass < passes; ++pass) {
      const int64_t passRows = nRows - pass * MR < MR ? nRows - pass * MR : MR;
      __m512 acc[MR];
      MXJIT_UNROLL
      for (int t = 0; t < MR; ++t) acc[t] = _mm512_loadu_ps(sums + (pass * MR + t) * 16);
      MXJIT_NO_UNROLL
      for (int64_t q = 0; q < depth / 2; ++q)
        multiplyPairRow(acc, a + pass * MR * pairsPerRow, pairsPerRow, k / 2 + q,
                        _mm512_loadu_si512(rows.rows + q * 2 * rows.stride), passRows);
      MXJIT_UNROLL
      for (int t = 0; t < MR; ++t) _mm512_storeu_ps(sums + (pass * MR + t) * 16, acc[t]);
    }
  }
  MXJIT_NO_UNROLL
  for (int64_t t = 0; t < nRows; ++t)
    vec::storeLanes(tile.args->out, (r0 + t) * tile.N + tile.c0, _mm512_loadu_ps(sums + t * 16), tile.N - tile.c0, outBf16);
}

/// AMX hosts: up to 16 token rows (natural pairs, K wide, as A tiles take them; rows past nRows are read
/// and dropped) times the tile's 16 columns. Each step's pair rows, in natural order, are B tiles (fp8:
/// 64 k, two tiles; bf16: 32 k, one): written to the tile buffer by the fast paths above, or from
/// memory (stepFromMemory), and multiplied from there by tdpbf16ps into one 16 x 16 C tile (`c`, 256
/// floats): one tdpbf16ps per 32 k does what 16 vdpbf16ps do, so the decode alone bounds it. Tiles
/// configured 16 x 64 bytes (amxConfigure).
__attribute__((target("amx-tile,amx-bf16,avx512f,avx512bf16,avx512bw,avx512vl"), always_inline)) inline void
columnTileTimesRowsAmx(const ColumnTile& tile, int64_t r0, int64_t nRows, int32_t outBf16, const vec::PairRowShuffles& shuffles,
                       float* c) {
  const int64_t K = tile.K;
  const uint16_t* a = reinterpret_cast<const uint16_t*>(tile.args->packedA) + r0 * K;
  _tile_zero(0);
  MXJIT_NO_UNROLL
  for (int64_t k = 0; k < K; k += tile.step) {
    const int64_t depth = K - k < tile.step ? K - k : tile.step;
    const StepRows rows = keptStep(tile, k, depth, shuffles, false);
    MXJIT_NO_UNROLL
    for (int64_t j = 0; j < depth / 32; ++j) {
      _tile_loadd(2, a + k + 32 * j, K * 2);
      _tile_loadd(4, rows.rows + 16 * j * 2 * rows.stride, 4 * rows.stride);
      _tile_dpbf16ps(0, 2, 4);
    }
  }
  _tile_stored(0, c, 64);
  for (int64_t t = 0; t < nRows && t < 16; ++t)
    vec::storeLanes(tile.args->out, (r0 + t) * tile.N + tile.c0, _mm512_loadu_ps(c + 16 * t), tile.N - tile.c0, outBf16);
}

}  // namespace mxjit::helpers
