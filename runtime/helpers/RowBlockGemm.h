// The weight-streaming GEMM on bf16 weights stored across K ([E,K,N]: each k a row of N values, rows N
// apart), quantized along K in blocks of 32, for groups of at most 32 token rows (decode; dgrad on
// [E,N,K] weights is this case: it contracts over N). An item is a group's run of up to 64 panels of 32
// columns (RowBlockLayout.h), and it walks the weights a block of 32 rows at a time. Pass 1 reads a
// block's rows, each a contiguous run of the item's columns, stages them (a line longer than the run:
// rows N apart, N a power of two, share one L1 set) and folds every column's largest and least |x|;
// pass 2 quantizes and dequantizes each panel's rows in 16-bit lanes (Bf16LaneQuantize.h), interleaves
// them into vdpbf16ps pair rows and multiplies them by the token rows, 8 at a time, the accumulators of
// the item's panels kept in its scratch between blocks. Pass 1 of the next block runs inside pass 2 of
// this one (a step per pair row) with software prefetch 8 rows ahead, so the memory reads overlap the
// multiplies: run one after the other, each pass waited for the other (a core read ~12 GB/s; now ~19).
// Nothing quantized goes to memory but the staged block: the whole-panel plan stored each item's 8 panels
// (786 KB at K = 1536) and read them back, and read 512 bytes of a row per visit; dgrad at
// 64,4096,1536,8 ran 4.9 ms there, 2.7 here (2 threads; 16 rows a group 6.0 and 3.8). Panels the lanes
// cannot do (fp8 subnormals, NaN, scales outside their range) go to the runtime's cold packer. The
// products are summed in the order of the other bf16 kernels (pair row after pair row into one fp32
// lane), so results equal theirs.
#pragma once
#include "Bf16LaneQuantize.h"
#include "ColdPaths.h"
#include "ColumnTileGemm.h"
#include "KernelABI.h"
#include "RowBlockLayout.h"
#include "VectorPack.h"

namespace mxjit::helpers {

/// How far ahead pass 1 fetches: 8 rows, 16-32 KB ahead of its reads at 32-64 panels (4 rows: 5% slower).
constexpr int64_t kRowBlockPrefetchRows = 8;

/// Where an item's state lives in its thread's scratch (plan::KernelPlan::threadScratchFloats): the
/// panels' accumulators (8 token rows x 32 columns each), two blocks' bounds and staged rows (the one
/// being multiplied and the next, read meanwhile).
struct RowBlockScratch {
  float* acc;                // row i = 8c + t, panel p, column j at acc[((c * kRowBlockPanels + p) * 8 + t) * 32 + j]
  __m512i* bounds[2];        // per panel: its columns' largest |x|, then their least |x| less one
  uint16_t* staged[2];       // a block's 32 rows of the item's columns, stagedStride apart
  uint32_t* pairRows;        // a panel's block quantized: 16 pair rows of 32 columns

  MXJIT_COLUMN_TARGET static RowBlockScratch at(float* scratch) {
    float* aligned = reinterpret_cast<float*>((reinterpret_cast<uintptr_t>(scratch) + 63) & ~uintptr_t(63));
    __m512i* bounds = reinterpret_cast<__m512i*>(aligned + kRowBlockMaxRows * kRowBlockPanels * 32);
    uint16_t* staged = reinterpret_cast<uint16_t*>(bounds + 4 * kRowBlockPanels);
    const int64_t stagedValues = 32 * rowBlockStagedStride(kRowBlockPanels);
    return {aligned, {bounds, bounds + 2 * kRowBlockPanels}, {staged, staged + stagedValues},
            reinterpret_cast<uint32_t*>(staged + 2 * stagedValues)};
  }
};

/// Pass 1 over one block, a step at a time: rows 2i and 2i + 1 of one panel read (those
/// kRowBlockPrefetchRows ahead fetched), staged and folded into the panel's bounds. The steps go along
/// the row pair, panel after panel, so the reads run along the rows; pointers advance, no index is
/// multiplied.
struct BlockReader {
  int64_t N, panels, stagedStride;
  // Set by start():
  const uint16_t* from = nullptr;  // the next step's first row (its panel's 32 columns)
  uint16_t* to = nullptr;          // where they are staged
  __m512i* bounds = nullptr;       // the next step's panel's bounds
  __m512i* firstBounds = nullptr;
  int64_t left = 0;                // steps left in this row pair

  MXJIT_COLUMN_TARGET void start(const uint16_t* block, uint16_t* staged, __m512i* blockBounds) {
    from = block, to = staged, bounds = firstBounds = blockBounds, left = panels;
    MXJIT_NO_UNROLL
    for (int64_t p = 0; p < panels; ++p)
      blockBounds[2 * p] = _mm512_setzero_si512(), blockBounds[2 * p + 1] = _mm512_set1_epi16(-1);
  }
  MXJIT_COLUMN_TARGET void step() {
    _mm_prefetch(reinterpret_cast<const char*>(from + kRowBlockPrefetchRows * N), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(from + (kRowBlockPrefetchRows + 1) * N), _MM_HINT_T0);
    const __m512i v0 = _mm512_loadu_si512(from), v1 = _mm512_loadu_si512(from + N);
    _mm512_store_si512(to, v0);
    _mm512_store_si512(to + stagedStride, v1);
    const __m512i m0 = vec::magnitudes16(v0), m1 = vec::magnitudes16(v1);
    bounds[0] = _mm512_max_epu16(bounds[0], _mm512_max_epu16(m0, m1));
    bounds[1] = _mm512_min_epu16(bounds[1], _mm512_sub_epi16(_mm512_min_epu16(m0, m1), _mm512_set1_epi16(1)));
    from += 32, to += 32, bounds += 2;
    if (--left == 0) from += 2 * N - 32 * panels, to += 2 * stagedStride - 32 * panels, bounds = firstBounds, left = panels;
  }
};

/// Pair rows w0 (columns 0-15) and w1 (16-31) of pair `pair` times the first `rows` (1 .. 8) token rows
/// into acc[2t], acc[2t+1] (as multiplyPairRow: only the rows there).
MXJIT_COLUMN_TARGET void multiplyPairRows(__m512* acc, const uint32_t* a, int64_t pairsPerRow, int64_t pair, __m512i w0,
                                          __m512i w1, int64_t rows = kRowBlockRows) {
  static_assert(kRowBlockRows == 8);
  forFirstRows(rows, [&](int t) MXJIT_COLUMN_ATTRS {
    // A float broadcast from memory folds into vdpbf16ps ({1to16}), as in multiplyPairRow.
    const __m512bh token = (__m512bh)_mm512_set1_ps(*reinterpret_cast<const float*>(a + t * pairsPerRow + pair));
    acc[2 * t] = _mm512_dpbf16_ps(acc[2 * t], (__m512bh)w0, token);
    acc[2 * t + 1] = _mm512_dpbf16_ps(acc[2 * t + 1], (__m512bh)w1, token);
  });
}

/// Group g's token rows [r0, r0 + nRows) (nRows <= maxRows <= kRowBlockMaxRows; packed by pack_a: K bf16
/// each, pairs swapped; rows past nRows up to a multiple of 8 are read, the packed tokens have room, and
/// dropped) times its bf16 weights' columns [c0, c0 + 32 * panels) (whole panels within N), quantized along
/// K in blocks of 32 (K a multiple of 32). maxRows (a plan constant) picks one of two bodies, so a kernel
/// holds one copy of the multiply: up to 8 rows, each pair row is multiplied as it is quantized (a panel
/// the lanes cannot do goes to the runtime's cold path, which packs and multiplies it); more, a panel's
/// block is quantized into 16 pair rows in L1 first and multiplied from there by every 8 rows.
MXJIT_COLUMN_TARGET void rowBlocksTimesRows(const abi::KernelArgs* args, int64_t g, int64_t c0, int64_t panels, int64_t r0,
                                            int64_t nRows, int64_t maxRows, int64_t K, int64_t N, ElemFormat elem, ScaleMode mode,
                                            int32_t outBf16, float* scratch) {
  const RowBlockScratch s = RowBlockScratch::at(scratch);
  const int64_t stagedStride = rowBlockStagedStride(panels), chunks = (nRows + kRowBlockRows - 1) / kRowBlockRows;
  const uint16_t* x = static_cast<const uint16_t*>(args->b) + g * K * N + c0;
  const int64_t pairsPerRow = K / 2;
  const uint32_t* a = reinterpret_cast<const uint32_t*>(args->packedA) + r0 * pairsPerRow;
  const vec::PairInterleave interleave = vec::pairInterleave(true);
  // The first block read on its own; each later one a step per pair row of the block before it (16 x
  // panels of each), carried by the first 8 rows' multiplies, so its loads overlap the vdpbf16ps (beside
  // the quantizing alone, 8-row groups ran 25% slower).
  BlockReader next{N, panels, stagedStride};
  next.start(x, s.staged[0], s.bounds[0]);
  // The sums start at zero (loading them every block, zero or not, keeps selects out of the loop).
  MXJIT_NO_UNROLL
  for (int64_t c = 0; c < chunks; ++c)
    MXJIT_NO_UNROLL
    for (int64_t i = 0; i < panels * kRowBlockRows * 32; i += 16)
      _mm512_store_ps(s.acc + c * kRowBlockPanels * kRowBlockRows * 32 + i, _mm512_setzero_ps());
  MXJIT_NO_UNROLL
  for (int64_t i = 0; i < 16 * panels; ++i) next.step();
  MXJIT_NO_UNROLL
  for (int64_t k0 = 0, cur = 0; k0 < K; k0 += 32, cur ^= 1) {
    const bool more = k0 + 32 < K;
    if (more) next.start(x + (k0 + 32) * N, s.staged[cur ^ 1], s.bounds[cur ^ 1]);
    MXJIT_NO_UNROLL
    for (int64_t p = 0; p < panels; ++p) {
      const uint16_t* rows = s.staged[cur] + 32 * p;
      const auto sumsOf = [&](int64_t c) MXJIT_COLUMN_ATTRS { return s.acc + (c * kRowBlockPanels + p) * kRowBlockRows * 32; };
      __m512 acc[2 * kRowBlockRows];
      const auto load = [&](const float* sums) MXJIT_COLUMN_ATTRS {
        MXJIT_UNROLL
        for (int i = 0; i < 2 * kRowBlockRows; ++i) acc[i] = _mm512_load_ps(sums + 16 * i);
      };
      const auto store = [&](float* sums) MXJIT_COLUMN_ATTRS {
        MXJIT_UNROLL
        for (int i = 0; i < 2 * kRowBlockRows; ++i) _mm512_store_ps(sums + 16 * i, acc[i]);
      };
      const auto pairRow = [&](int64_t q, const vec::LaneGrid& grid, __m512i* w0, __m512i* w1) MXJIT_COLUMN_ATTRS {
        const uint16_t* pair = rows + 2 * q * stagedStride;
        const __m512i even = vec::quantizeDequantizeInLanes(_mm512_load_si512(pair), grid, elem, mode);
        const __m512i odd = vec::quantizeDequantizeInLanes(_mm512_load_si512(pair + stagedStride), grid, elem, mode);
        *w0 = _mm512_permutex2var_epi16(even, interleave.firstHalf, odd);
        *w1 = _mm512_permutex2var_epi16(even, interleave.secondHalf, odd);
      };
      vec::LaneGrid grid;
      const bool inLanes = vec::blocksInLanes(s.bounds[cur][2 * p], s.bounds[cur][2 * p + 1], elem, mode, &grid);
      if (maxRows <= kRowBlockRows) {
        load(sumsOf(0));
        if (inLanes) {
          MXJIT_NO_UNROLL
          for (int64_t q = 0; q < 16; ++q) {
            if (more) next.step();
            __m512i w0, w1;
            pairRow(q, grid, &w0, &w1);
            multiplyPairRows(acc, a, pairsPerRow, k0 / 2 + q, w0, w1, nRows);
          }
        } else {
          // The call clobbers every vector register: the accumulators wait in memory.
          store(sumsOf(0));
          mxjit_cold_row_block_panel(rows, stagedStride, int32_t(elem), int32_t(mode), a, pairsPerRow, k0 / 2, sumsOf(0));
          load(sumsOf(0));
          MXJIT_NO_UNROLL
          for (int64_t q = 0; q < 16; ++q)
            if (more) next.step();
        }
        store(sumsOf(0));
        continue;
      }
      if (inLanes) {
        MXJIT_NO_UNROLL
        for (int64_t q = 0; q < 16; ++q) pairRow(q, grid, reinterpret_cast<__m512i*>(s.pairRows + 32 * q),
                                                  reinterpret_cast<__m512i*>(s.pairRows + 32 * q + 16));
      } else {
        mxjit_cold_pack_pair_rows(rows, stagedStride, 32, int32_t(elem), int32_t(mode), true, s.pairRows);
      }
      MXJIT_NO_UNROLL
      for (int64_t c = 0; c < chunks; ++c) {
        const bool reads = more && c == 0;
        const uint32_t* tokens = a + c * kRowBlockRows * pairsPerRow;
        const int64_t rowsHere = nRows - c * kRowBlockRows < kRowBlockRows ? nRows - c * kRowBlockRows : kRowBlockRows;
        load(sumsOf(c));
        MXJIT_NO_UNROLL
        for (int64_t q = 0; q < 16; ++q) {
          if (reads) next.step();
          multiplyPairRows(acc, tokens, pairsPerRow, k0 / 2 + q, _mm512_load_si512(s.pairRows + 32 * q),
                           _mm512_load_si512(s.pairRows + 32 * q + 16), rowsHere);
        }
        store(sumsOf(c));
      }
    }
  }
  // One store loop, not unrolled (as columnTileTimesRows).
  MXJIT_NO_UNROLL
  for (int64_t i = 0; i < nRows; ++i)
    MXJIT_NO_UNROLL
    for (int64_t p = 0; p < panels; ++p) {
      const float* sums = s.acc + ((i / kRowBlockRows) * kRowBlockPanels + p) * kRowBlockRows * 32 + (i % kRowBlockRows) * 32;
      vec::storeLanes(args->out, (r0 + i) * N + c0 + 32 * p, _mm512_load_ps(sums), 16, outBf16);
      vec::storeLanes(args->out, (r0 + i) * N + c0 + 32 * p + 16, _mm512_load_ps(sums + 16), 16, outBf16);
    }
}

}  // namespace mxjit::helpers
