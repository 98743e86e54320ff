// Kernel helpers, written once in C++ and compiled by clang-19 to bitcode that codegen links into every
// JIT module. Each takes the problem's sizes and recipe as arguments; codegen calls them from a kernel
// entry with constants, and after inlining LLVM specialises the loops (K, N, G, recipe baked in) for
// the host's vector ISA. Nothing here allocates, throws or calls libc beyond memcpy/memset.
#include "Microkernel.h"
#include "MicrokernelAmx.h"
#include "MicrokernelBf16.h"
#include "ColdPaths.h"
#include "ColumnTileGemm.h"
#include "OperandLoad.h"
#include "PanelPackedGemm.h"
#include "RowBlockGemm.h"
#include "ScalarPack.h"
#include "ScalarQuantize.h"
#include "VectorPack.h"
#include "VectorQuantize.h"

#define MXJIT_HELPER extern "C" __attribute__((always_inline))

/// A stage's part, compiled in its own module (KernelPlan.h, StagePart): codegen binds this name to it.
extern "C" void mxjit_stage_part(const mxjit::abi::KernelArgs* args, int64_t g, int64_t tile, uint16_t* dst, float* tmp);

using namespace mxjit;
using namespace mxjit::helpers;

namespace {

inline void storeOut(void* out, int64_t index, float v, int32_t outBf16) {
  if (outBf16) static_cast<uint16_t*>(out)[index] = formats::floatToBf16(v);
  else static_cast<float*>(out)[index] = v;
}

inline int64_t groupBegin(const abi::KernelArgs* args, int64_t g) { return g == 0 ? 0 : args->offs[g - 1]; }

// Every MR-row slab of `rows` packed rows times one packed B panel, stored at (row0 + i, col0 + j).
template <int MR, int NR, int VW>
inline void rowsTimesPanel(const abi::KernelArgs* args, const float* rowsPanel, int64_t rows, int64_t row0,
                           const float* bPanel, int64_t col0, int64_t K, int64_t N, int32_t outBf16) {
  for (int64_t r0 = 0; r0 < rows; r0 += MR)
    microTile<MR, NR, VW>(rowsPanel + r0 * K, K, 1, bPanel, NR, K, rows - r0, N - col0, [&](int64_t i, int64_t j, float v) {
      storeOut(args->out, (row0 + r0 + i) * N + col0 + j, v, outBf16);
    });
}

// 2d3d: one row tile of the grouped operand, packed once, against every column panel of its group's B.
template <int MR, int NR, int VW>
inline void gemm2d3d(const abi::KernelArgs* args, const abi::WorkItem* item, float* panel, int64_t K, int64_t N,
                     int32_t loadA, int32_t elemA, int32_t modeA, int32_t block, int32_t outBf16) {
  const int64_t rows = item->end - item->begin, panels = (N + NR - 1) / NR;
  packRows(args, item->begin, rows, (rows + MR - 1) / MR * MR, panel, K, loadA, elemA, modeA, block);
  const float* packedB = args->packedB + item->group * panels * K * NR;
  for (int64_t p = 0; p < panels; ++p)
    rowsTimesPanel<MR, NR, VW>(args, panel, rows, item->begin, packedB + p * K * NR, p * NR, K, N, outBf16);
}

// Small groups (decode): one (group, column panel) per item. The weights' panel is decoded into this
// thread's scratch and used at once by every token of the group, so each expert's weights are read once
// per call and idle experts' never; the tokens were packed by the pack_a stage.
template <int MR, int NR, int VW>
inline void decode2d3d(const abi::KernelArgs* args, const abi::WorkItem* item, float* scratch, int64_t K, int64_t N,
                       int32_t enk, int32_t loadB, int32_t elemB, int32_t modeB, int32_t blockB, int32_t outBf16) {
  packBPanel(args, item->group, item->tile, scratch, K, 0, K, N, enk, loadB, elemB, modeB, blockB, NR);
  rowsTimesPanel<MR, NR, VW>(args, args->packedA + item->begin * K, item->end - item->begin, item->begin, scratch,
                             item->tile * NR, K, N, outBf16);
}

// 2d2d: a KT-row slice of K for one group, over every NR-column panel of N; contraction over the
// group's tokens in the token-major packed operands. Each panel of B (all the group's tokens) serves the
// slice's KT / MR microtiles while it is in L2, instead of being streamed once per MR rows.
template <int MR, int NR, int VW>
inline void gemm2d2d(const abi::KernelArgs* args, const abi::WorkItem* item, int64_t K, int64_t N, int32_t outBf16, int64_t KT) {
  const int64_t g = item->group, begin = groupBegin(args, g), tokens = args->offs[g] - begin;
  const int64_t k0 = item->tile * KT, k1 = K - k0 < KT ? K : k0 + KT;
  for (int64_t col0 = 0; col0 < N; col0 += NR)
    for (int64_t r0 = k0; r0 < k1; r0 += MR)
      microTile<MR, NR, VW>(args->packedA + begin * K + r0, 1, K, args->packedB + begin * N + col0, N, tokens, k1 - r0, N - col0,
                            [&](int64_t i, int64_t j, float v) { storeOut(args->out, (g * K + r0 + i) * N + col0 + j, v, outBf16); });
}

// --- The AVX512-BF16 variants: operands packed as swapped bf16 pairs (MicrokernelBf16.h). ---

inline int64_t evenUp(int64_t k) { return (k + 1) & ~int64_t(1); }

// Rows of A as bf16, `width` (even, >= K) wide with zeros past K; pairs swapped (element k+1 first) for
// vdpbf16ps, natural for AMX. `tmp` holds K floats. The row packer is the runtime's (ColdPaths.h).
#define MXJIT_PACK_TARGET __attribute__((target("avx512f,avx512bw,avx512vl")))
#define MXJIT_BF16_TARGET __attribute__((target("avx512f,avx512bf16,avx512bw,avx512vl")))
MXJIT_PACK_TARGET inline void packRowsBf16(const abi::KernelArgs* args, int64_t begin, int64_t rows, int64_t paddedRows, uint16_t* dst,
                         int64_t K, int64_t width, bool swapPairs, int32_t loadA, int32_t elemA, int32_t modeA,
                         int32_t block, float* tmp) {
  for (int64_t r = 0; r < paddedRows; ++r) {
    uint16_t* row = dst + r * width;
    if (r >= rows) {
      memset(row, 0, sizeof(uint16_t) * width);
      continue;
    }
    mxjit_pack_row_bf16(args, begin + r, row, K, width, swapPairs, loadA, elemA, modeA, block, tmp);
  }
}

// One column panel of B as bf16 pairs along K, `width` (even, >= K) deep with zeros past K:
// dst[(kp * NR + jj) * 2 + slot] holds k = 2kp + slot, or 2kp + 1 - slot when swapped (vdpbf16ps adds
// the high half first). `tmp` holds K * NR floats. Full panels of fp8 weights take the AVX-512 packer.
MXJIT_PACK_TARGET inline void packBPanelBf16(const abi::KernelArgs* args, int64_t g, int64_t tile, uint16_t* dst, int64_t K, int64_t width,
                           bool swapPairs, int64_t N, int32_t enk, int32_t load, int32_t elem, int32_t mode, int32_t block,
                           int32_t NR, float* tmp) {
  if (NR == 32 && (vec::packDequantizedPanel(args, g, tile, dst, K, width, swapPairs, N, enk, load, ElemFormat(elem), block) ||
                   vec::packQuantizedPanels(args, g, tile, 1, dst, K, width, swapPairs, N, enk, load, ElemFormat(elem),
                                            ScaleMode(mode), block)))
    return;
  mxjit_cold_pack_b_panel_bf16(args, g, tile, dst, K, 0, K, width, swapPairs, N, enk, load, elem, mode, block, NR, tmp);
}

/// Up to `panels` adjacent panels from `tile` on (those within N), panel p at dst + p * width * NR. Weights
/// strided along K (bf16 [E,K,N]) are quantized a whole row of the panels per visit: each row sits on its
/// own page, so wider visits read more per page (38% faster at four panels from memory).
MXJIT_PACK_TARGET inline void packBPanelsBf16(const abi::KernelArgs* args, int64_t g, int64_t tile, int64_t panels, uint16_t* dst,
                                              int64_t K, int64_t width, bool swapPairs, int64_t N, int32_t enk, int32_t load,
                                              int32_t elem, int32_t mode, int32_t block, int32_t NR, float* tmp) {
  const int64_t total = (N + NR - 1) / NR, count = total - tile < panels ? total - tile : panels;
  if (NR == 32 && !enk && load == abi::kQuantizeBf16) {
    // The whole panels in one visit per row; a partial last one (N % 32) through the cold path. (Not
    // packBPanelBf16: it would inline a second copy of the vector packer.)
    const int64_t whole = (N - tile * NR) / NR < count ? (N - tile * NR) / NR : count;
    int64_t p = 0;
    if (whole > 0 && vec::packQuantizedPanels(args, g, tile, whole, dst, K, width, swapPairs, N, enk, load, ElemFormat(elem),
                                              ScaleMode(mode), block))
      p = whole;
    for (; p < count; ++p)
      mxjit_cold_pack_b_panel_bf16(args, g, tile + p, dst + p * width * NR, K, 0, K, width, swapPairs, N, enk, load, elem, mode,
                                   block, NR, tmp);
    return;
  }
  for (int64_t p = 0; p < count; ++p)
    packBPanelBf16(args, g, tile + p, dst + p * width * NR, K, width, swapPairs, N, enk, load, elem, mode, block, NR, tmp);
}

template <int MR, int NR>
MXJIT_BF16_TARGET inline void rowsTimesPanelBf16(const abi::KernelArgs* args, const uint16_t* rowsPanel, int64_t rows, int64_t row0,
                                                  const uint16_t* bPanel, int64_t col0, int64_t K, int64_t N, int32_t outBf16) {
  const int64_t k2 = evenUp(K);
  for (int64_t r0 = 0; r0 < rows; r0 += MR)
    microTileBf16<MR, NR>(rowsPanel + r0 * k2, k2, 2, bPanel, 2 * NR, k2 / 2, rows - r0, N - col0, args->out,
                          (row0 + r0) * N + col0, N, outBf16);
}

}  // namespace

// 2d2d with bf16 pairs along the tokens (TokenPairLayout.h): the call's pair p holds tokens (t, t+1) of
// one group; group g's pairs start after every earlier group's padded pairs.
inline int64_t firstPair(const abi::KernelArgs* args, int64_t g, const TokenPairLayout& layout) {
  int64_t pairs = 0;
  for (int64_t j = 0, begin = 0; j < g; begin = args->offs[j++]) pairs += layout.paddedPairs(args->offs[j] - begin);
  return pairs;
}

/// 2d2d bf16 packing, as packTokensF32 but into `layout`: the group's token t in pair t / 2.
MXJIT_PACK_TARGET inline void packTokens(const abi::KernelArgs* args, const abi::WorkItem* item, int32_t which, int64_t cols,
                                         int32_t transposed, int32_t load, int32_t elem, int32_t mode, int32_t block,
                                         int32_t CB, const TokenPairLayout& layout) {
  const void* src = which ? args->b : args->a;
  uint16_t* dst = reinterpret_cast<uint16_t*>(which ? args->packedB : args->packedA);
  const int64_t begin = item->begin, end = item->end, p0 = firstPair(args, item->group, layout);
  const int64_t last = (item->tile + 1) * CB < cols ? (item->tile + 1) * CB : cols;
  int64_t c = item->tile * CB;
  // Row-major operands: in vectors up to the last whole 16 columns; the rest (and [cols, M] operands) element-wise.
  const int64_t vectorEnd = c + (last - c) / 16 * 16;
  if (!transposed && c % 16 == 0 && vectorEnd > c &&
      vec::packTokenColumns(static_cast<const uint16_t*>(src), begin, end, cols, c, vectorEnd, load, ElemFormat(elem),
                            ScaleMode(mode), block, p0, layout, dst))
    c = vectorEnd;
  if (c < last) {
    const TokenPairLayout escapes = layout;  // a copy: an address that escapes keeps `layout` from being folded above
    mxjit_cold_pack_token_columns_bf16(src, begin, end, args->m, cols, c, last, transposed, load, elem, mode, block, p0,
                                       &escapes, dst);
  }
}

/// The two 2d2d operands (0: A, `K` columns; 1: grad_out, `N` columns) in one packing stage: its items are
/// column tiles of A, then of B. One module and one barrier for both.
struct TokenOperand {
  int64_t cols;
  int32_t transposed, load, elem, mode, block;
};

/// Which operand the item's tile belongs to (0: A's tiles come first, 1: then B's), and the item with its tile
/// renumbered within that operand.
inline int32_t splitTokenTile(const abi::WorkItem* item, int64_t K, int32_t CB, abi::WorkItem* within) {
  const int64_t tilesA = (K + CB - 1) / CB;
  *within = *item;
  if (item->tile < tilesA) return 0;
  within->tile -= tilesA;
  return 1;
}

MXJIT_PACK_TARGET inline void packTokenOperands(const abi::KernelArgs* args, const abi::WorkItem* item, TokenOperand a,
                                                TokenOperand b, int32_t CB, bool amx) {
  abi::WorkItem it;
  const int32_t which = splitTokenTile(item, a.cols, CB, &it);
  const TokenOperand& o = which ? b : a;
  packTokens(args, &it, which, o.cols, o.transposed, o.load, o.elem, o.mode, o.block, CB,
             amx ? amxTokenLayout(which, args->m, args->groups) : vdpbf16TokenLayout(which, args->m, args->groups));
}

MXJIT_HELPER MXJIT_PACK_TARGET void mxjit_pack_token_operands_bf16(
    const abi::KernelArgs* args, const abi::WorkItem* item, int64_t K, int32_t aT, int32_t aLoad, int32_t aElem, int32_t aMode,
    int32_t aBlock, int64_t N, int32_t bT, int32_t bLoad, int32_t bElem, int32_t bMode, int32_t bBlock, int32_t CB) {
  packTokenOperands(args, item, {K, aT, aLoad, aElem, aMode, aBlock}, {N, bT, bLoad, bElem, bMode, bBlock}, CB, false);
}

/// 2d2d bf16: a KT-row slice of K for one group over every NR-column panel of N (as gemm2d2d); each
/// microtile streams one A panel (16 rows of K, it uses 8) and one B panel (32 columns) from pair p0 on.
MXJIT_HELPER MXJIT_BF16_TARGET void mxjit_gemm_2d2d_bf16_8x32(const abi::KernelArgs* args, const abi::WorkItem* item, float*,
                                                              int64_t K, int64_t N, int32_t outBf16, int64_t KT) {
  constexpr int MR = 8, NR = 32;
  const TokenPairLayout la = vdpbf16TokenLayout(0, args->m, args->groups), lb = vdpbf16TokenLayout(1, args->m, args->groups);
  const int64_t g = item->group, tokens = args->offs[g] - groupBegin(args, g), p0 = firstPair(args, g, la);
  const int64_t k0 = item->tile * KT, k1 = K - k0 < KT ? K : k0 + KT;
  const uint16_t* a = reinterpret_cast<const uint16_t*>(args->packedA);
  const uint16_t* b = reinterpret_cast<const uint16_t*>(args->packedB);
  // KT is a multiple of 16, so each microtile reads inside one A panel (16 columns) and one B panel (NR).
  for (int64_t col0 = 0; col0 < N; col0 += NR)
    for (int64_t r0 = k0; r0 < k1; r0 += MR)
      microTileBf16<MR, NR>(a + la.word(p0, r0) * 2, 2, 2 * la.panel, b + lb.word(p0, col0) * 2, 2 * NR, (tokens + 1) / 2,
                            k1 - r0, N - col0, args->out, (g * K + r0) * N + col0, N, outBf16);
}

/// AVX512-BF16 B packing: the item's P panels as bf16 pairs in packedB (as uint16), scratch holds K * NR floats.
MXJIT_HELPER void mxjit_pack_b_2d3d_bf16(const abi::KernelArgs* args, const abi::WorkItem* item, float* scratch, int64_t K,
                                         int64_t N, int32_t enk, int32_t load, int32_t elem, int32_t mode, int32_t block,
                                         int32_t NR, int32_t P) {
  const int64_t panels = (N + NR - 1) / NR, first = item->tile * P;
  uint16_t* dst = reinterpret_cast<uint16_t*>(args->packedB) + (item->group * panels + first) * evenUp(K) * NR;
  packBPanelsBf16(args, item->group, first, P, dst, K, evenUp(K), true, N, enk, load, elem, mode, block, NR, scratch);
}

MXJIT_HELPER void mxjit_gemm_2d3d_bf16_8x32(const abi::KernelArgs* args, const abi::WorkItem* item, float* scratch,
                                            int64_t K, int64_t N, int32_t loadA, int32_t elemA, int32_t modeA,
                                            int32_t block, int32_t outBf16) {
  constexpr int MR = 8, NR = 32;
  const int64_t rows = item->end - item->begin, panels = (N + NR - 1) / NR, k2 = evenUp(K);
  uint16_t* panel = reinterpret_cast<uint16_t*>(scratch + k2);  // after the K2-float row buffer
  packRowsBf16(args, item->begin, rows, (rows + MR - 1) / MR * MR, panel, K, k2, true, loadA, elemA, modeA, block, scratch);
  const uint16_t* packedB = reinterpret_cast<const uint16_t*>(args->packedB) + item->group * panels * k2 * NR;
  for (int64_t p = 0; p < panels; ++p)
    rowsTimesPanelBf16<MR, NR>(args, panel, rows, item->begin, packedB + p * k2 * NR, p * NR, K, N, outBf16);
}

/// Rows [begin, end) of A as bf16 (pairs swapped) `stride` apart, zeros past K (stride: evenUp(K), or
/// for the forward on panel-packed weights plan::panelTokenRowStride).
MXJIT_HELPER void mxjit_pack_rows_strided_bf16(const abi::KernelArgs* args, const abi::WorkItem* item, float* scratch, int64_t K,
                                               int64_t stride, int32_t loadA, int32_t elemA, int32_t modeA, int32_t block) {
  const int64_t rows = item->end - item->begin;
  packRowsBf16(args, item->begin, rows, rows, reinterpret_cast<uint16_t*>(args->packedA) + item->begin * stride, K, stride, true,
               loadA, elemA, modeA, block, scratch);
}

MXJIT_HELPER void mxjit_pack_rows_bf16(const abi::KernelArgs* args, const abi::WorkItem* item, float* scratch, int64_t K,
                                       int32_t loadA, int32_t elemA, int32_t modeA, int32_t block) {
  mxjit_pack_rows_strided_bf16(args, item, scratch, K, evenUp(K), loadA, elemA, modeA, block);
}

// C rows [0, rows) x columns [0, cols) of a 32-wide fp32 block to out at (row0, col0); full rows of 32
// convert 16 lanes at a time (vec::toBf16 is formats::floatToBf16).
MXJIT_PACK_TARGET inline void storeBlock(void* out, const float* c, int64_t rows, int64_t cols, int64_t row0, int64_t col0,
                                         int64_t N, int32_t outBf16) {
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < 32; j += 16)
      vec::storeLanes(out, (row0 + i) * N + col0 + j, _mm512_loadu_ps(c + i * 32 + j), cols - j, outBf16);
}

/// Rows [begin, end) of A for the AMX streaming stages: bf16 in natural pairs (A tiles), amxDepth(K) wide,
/// zeros past K.
MXJIT_HELPER void mxjit_pack_rows_amx(const abi::KernelArgs* args, const abi::WorkItem* item, float* scratch, int64_t K,
                                      int32_t loadA, int32_t elemA, int32_t modeA, int32_t block) {
  const int64_t rows = item->end - item->begin, depth = amxDepth(K);
  packRowsBf16(args, item->begin, rows, rows, reinterpret_cast<uint16_t*>(args->packedA) + item->begin * depth, K, depth, false,
               loadA, elemA, modeA, block, scratch);
}

/// The AMX streaming stage's part: P panels as mxjit_pack_panels_bf16 packs them, in natural pairs and
/// amxDepth(K) deep (zero pair rows past K), as B tiles take them.
MXJIT_HELPER void mxjit_pack_panels_amx(const abi::KernelArgs* args, int64_t g, int64_t tile, uint16_t* dst, float* tmp,
                                        int64_t K, int64_t N, int32_t enk, int32_t load, int32_t elem, int32_t mode,
                                        int32_t block, int32_t P) {
  packBPanelsBf16(args, g, tile * P, P, dst, K, amxDepth(K), false, N, enk, load, elem, mode, block, 32, tmp);
}

/// The weight-streaming stage on AMX hosts: the item's P panels packed by the stage's part
/// (mxjit_pack_panels_amx), then each multiplied by the group's rows, 16 at a time, by tdpbf16ps: per
/// 32 k an A tile of tokens against the panel's two B tiles. Scratch: the part's staging (K x 32
/// floats), a 16 x 32 C, then the panels.
MXJIT_HELPER __attribute__((target("amx-tile,amx-bf16,avx512f,avx512bf16,avx512bw,avx512vl"))) void mxjit_decode_2d3d_amx_16x32(
    const abi::KernelArgs* args, const abi::WorkItem* item, float* scratch, int64_t K, int64_t N, int32_t outBf16, int32_t P) {
  constexpr int64_t NR = 32;
  const int64_t depth = amxDepth(K);
  float* c = scratch + K * NR;
  uint16_t* panels = reinterpret_cast<uint16_t*>(c + 16 * NR);
  mxjit_stage_part(args, item->group, item->tile, panels, scratch);
  const uint16_t* a = reinterpret_cast<const uint16_t*>(args->packedA);
  amxConfigure();
  for (int64_t p = 0; p < P && (item->tile * P + p) * NR < N; ++p) {
    const uint16_t* b = panels + p * depth * NR;
    const int64_t col0 = (item->tile * P + p) * NR, cols = N - col0 < NR ? N - col0 : NR;
    for (int64_t r0 = item->begin; r0 < item->end; r0 += 16) {
      _tile_zero(0);
      _tile_zero(1);
      for (int64_t k = 0; k < depth; k += kAmxK) {
        _tile_loadd(2, a + r0 * depth + k, depth * 2);
        _tile_loadd(4, b + k * NR, 4 * NR);
        _tile_loadd(5, b + k * NR + 32, 4 * NR);
        _tile_dpbf16ps(0, 2, 4);
        _tile_dpbf16ps(1, 2, 5);
      }
      _tile_stored(0, c, 4 * NR);
      _tile_stored(1, c + 16, 4 * NR);
      storeBlock(args->out, c, item->end - r0 < 16 ? item->end - r0 : 16, cols, r0, col0, N, outBf16);
    }
  }
  amxRelease();
}

/// Item `tile`'s P weight panels (32 columns each, from panel tile * P) as vdpbf16ps pairs at dst (tmp:
/// the cold path's K x 32 fp32 staging): the decode stage's part (KernelPlan.h, StagePart).
MXJIT_HELPER void mxjit_pack_panels_bf16(const abi::KernelArgs* args, int64_t g, int64_t tile, uint16_t* dst, float* tmp,
                                         int64_t K, int64_t N, int32_t enk, int32_t load, int32_t elem, int32_t mode,
                                         int32_t block, int32_t P) {
  packBPanelsBf16(args, g, tile * P, P, dst, K, evenUp(K), true, N, enk, load, elem, mode, block, 32, tmp);
}

/// The weight-streaming stage: the item's P weight panels packed by the stage's part
/// (mxjit_pack_panels_bf16), then each multiplied by every row of its group.
MXJIT_HELPER void mxjit_decode_2d3d_bf16_8x32(const abi::KernelArgs* args, const abi::WorkItem* item, float* scratch,
                                              int64_t K, int64_t N, int32_t outBf16, int32_t P) {
  constexpr int MR = 8, NR = 32;
  uint16_t* panels = reinterpret_cast<uint16_t*>(scratch + K * NR);  // after the fp32 staging panel
  mxjit_stage_part(args, item->group, item->tile, panels, scratch);
  const uint16_t* rows = reinterpret_cast<const uint16_t*>(args->packedA) + item->begin * evenUp(K);
  for (int64_t p = 0; p < P && (item->tile * P + p) * NR < N; ++p)
    rowsTimesPanelBf16<MR, NR>(args, rows, item->end - item->begin, item->begin, panels + p * evenUp(K) * NR,
                               (item->tile * P + p) * NR, K, N, outBf16);
}

/// The weight-streaming stage on [E,N,K] weights in column tiles (ColumnTileGemm.h; KernelPlan.h,
/// streamsColumnTiles): the item's 32-column panel, 16 columns at a time, times the group's rows. Groups
/// of up to 8 rows (maxRows, a plan constant, 8): each step of K decoded (fp8) or quantized (bf16) in
/// registers and multiplied at once; of up to kColumnTileMaxRows (maxRows 32): each step's pair rows
/// kept for every 8 rows (larger groups would read the weights again per that many rows).
MXJIT_HELPER MXJIT_BF16_TARGET void mxjit_gemm_enk_columns_bf16_8x16(const abi::KernelArgs* args, const abi::WorkItem* item,
                                                                     float* scratch, int64_t K, int64_t N, int32_t outBf16,
                                                                     int32_t load, int32_t elem, int32_t mode, int32_t block,
                                                                     int32_t maxRows) {
  const vec::PairRowShuffles shuffles = vec::pairRowShuffles(true);
  float* tmp = scratch;                                                      // the cold packer's 64 x 32 fp32 staging
  uint16_t* slab = reinterpret_cast<uint16_t*>(tmp + kColumnStepFp8 * 32);  // and its 32 pair rows x 32 columns,
  uint16_t* columns = slab + 32 * 32 * 2;                                    // and the 16-column tile (32 x 16),
  float* sums = reinterpret_cast<float*>(columns + 32 * 16 * 2);             // and the many-row sums (32 x 16)
  for (int64_t half = 0; half < 2 && item->tile * 32 + half * 16 < N; ++half) {
    const ColumnTile tile = columnTileOf(args, item->group, item->tile, half, K, N, load, ElemFormat(elem), ScaleMode(mode), block,
                                         columns, slab, tmp);
    for (int64_t r0 = item->begin; r0 < item->end; r0 += maxRows) {
      const int64_t rows = item->end - r0 < maxRows ? item->end - r0 : maxRows;
      if (maxRows <= kColumnTileRows) columnTileTimesRows(tile, r0, rows, outBf16, shuffles);
      else columnTileTimesManyRows(tile, r0, rows, outBf16, shuffles, sums);
    }
  }
}

/// The weight-streaming stage on bf16 [E,K,N] weights in row blocks (RowBlockGemm.h; KernelPlan.h,
/// streamsRowBlocks): the item's P panels (those within N) times the group's rows (the plan sends only
/// groups of at most maxRows <= kRowBlockMaxRows rows here; larger ones read the weights once per that many).
MXJIT_HELPER MXJIT_BF16_TARGET void mxjit_gemm_ekn_rows_bf16_8x32(const abi::KernelArgs* args, const abi::WorkItem* item,
                                                                 float* scratch, int64_t K, int64_t N, int32_t outBf16,
                                                                 int32_t elem, int32_t mode, int32_t P, int32_t maxRows) {
  const int64_t c0 = item->tile * P * 32, panels = (N - c0) / 32 < P ? (N - c0) / 32 : P;
  for (int64_t r0 = item->begin; r0 < item->end; r0 += maxRows)
    rowBlocksTimesRows(args, item->group, c0, panels, r0, item->end - r0 < maxRows ? item->end - r0 : maxRows, maxRows, K, N,
                       ElemFormat(elem), ScaleMode(mode), outBf16, scratch);
}

/// The same on AMX hosts (ColumnTileGemm.h, columnTileTimesRowsAmx): the rows 16 at a time, the steps'
/// pair rows as B tiles for tdpbf16ps. Scratch as above, then a 16 x 16 C.
MXJIT_HELPER __attribute__((target("amx-tile,amx-bf16,avx512f,avx512bf16,avx512bw,avx512vl"))) void
mxjit_gemm_enk_columns_amx_16x16(const abi::KernelArgs* args, const abi::WorkItem* item, float* scratch, int64_t K, int64_t N,
                                 int32_t outBf16, int32_t load, int32_t elem, int32_t mode, int32_t block) {
  const vec::PairRowShuffles shuffles = vec::pairRowShuffles(false);
  float* tmp = scratch;
  uint16_t* slab = reinterpret_cast<uint16_t*>(tmp + kColumnStepFp8 * 32);
  uint16_t* columns = slab + 32 * 32 * 2;
  float* c = reinterpret_cast<float*>(columns + 32 * 16 * 2);
  amxConfigure();
  for (int64_t half = 0; half < 2 && item->tile * 32 + half * 16 < N; ++half) {
    const ColumnTile tile = columnTileOf(args, item->group, item->tile, half, K, N, load, ElemFormat(elem), ScaleMode(mode), block,
                                         columns, slab, tmp);
    for (int64_t r0 = item->begin; r0 < item->end; r0 += 16) columnTileTimesRowsAmx(tile, r0, item->end - r0, outBf16, shuffles, c);
  }
  amxRelease();
}

/// The forward on panel-packed fp8 weights, weight-streaming plan (PanelPackedGemm.h): the item's two
/// 16-column panels of its expert times the group's rows (packed `stride` apart), by the runtime's
/// mxjit_panel_pair_times_rows (ColdPaths.h). K is a multiple of 32.
MXJIT_HELPER MXJIT_BF16_TARGET void mxjit_gemm_panel_packed_bf16_8x32(const abi::KernelArgs* args, const abi::WorkItem* item,
                                                                      int64_t K, int64_t N, int64_t stride, int32_t outBf16,
                                                                      int32_t elem) {
  const PanelPair pp = panelPairOf(args, item->group, item->tile, K, N);
  mxjit_panel_pair_times_rows(reinterpret_cast<const uint16_t*>(args->packedA) + item->begin * stride, item->end - item->begin,
                              stride, &pp, K, elem, args->out, item->begin * N + pp.col0, N, outBf16);
}

/// The same on AMX hosts (PanelPackedGemm.h, panelPairTimesRowsAmx): the group's rows 16 at a time, each
/// an A tile against the pair's B tiles decoded per 32 k. Scratch: the two B tiles, then a 16 x 32 C.
MXJIT_HELPER __attribute__((target("amx-tile,amx-bf16,avx512f,avx512bf16,avx512bw,avx512vl"))) void
mxjit_gemm_panel_packed_amx_16x32(const abi::KernelArgs* args, const abi::WorkItem* item, float* scratch, int64_t K, int64_t N,
                                  int32_t outBf16, int32_t elem) {
  const PanelPair pp = panelPairOf(args, item->group, item->tile, K, N);
  uint16_t* tiles = reinterpret_cast<uint16_t*>(scratch);
  float* c = scratch + 512;
  amxConfigure();
  for (int64_t r0 = item->begin; r0 < item->end; r0 += 16)
    panelPairTimesRowsAmx(reinterpret_cast<const uint16_t*>(args->packedA) + r0 * K, item->end - r0, pp, K, ElemFormat(elem),
                          tiles, c, args->out, r0 * N + pp.col0, N, N - pp.col0, outBf16);
  amxRelease();
}

/// The row-tile plan's weights from panel-packed ones: the item's 32 columns of group g decoded into
/// packedB as mxjit_gemm_2d3d_bf16_8x32 or (naturalPairs) mxjit_gemm_2d3d_amx_32x32 reads it (K is a
/// multiple of 32: the AMX depth).
MXJIT_HELPER MXJIT_BF16_TARGET void mxjit_pack_b_panel_packed_bf16(const abi::KernelArgs* args, const abi::WorkItem* item,
                                                              int64_t K, int64_t N, int32_t elem, int32_t naturalPairs) {
  const int64_t tiles = (N + 31) / 32;
  decodePanelPair(panelPairOf(args, item->group, item->tile, K, N), K, ElemFormat(elem), naturalPairs != 0,
                  reinterpret_cast<uint16_t*>(args->packedB) + (item->group * tiles + item->tile) * K * 32);
}

// --- The AMX-BF16 variant (MicrokernelAmx.h): operands as bf16 in natural pair order, K padded to 32. ---

/// The item's P B column panels (NR = 32) of group item->group, each amxDepth(K) / 2 pair rows of 64 bf16.
MXJIT_HELPER void mxjit_pack_b_2d3d_amx(const abi::KernelArgs* args, const abi::WorkItem* item, float* scratch, int64_t K,
                                        int64_t N, int32_t enk, int32_t load, int32_t elem, int32_t mode, int32_t block,
                                        int32_t NR, int32_t P) {
  const int64_t panels = (N + NR - 1) / NR, depth = amxDepth(K), first = item->tile * P;
  uint16_t* dst = reinterpret_cast<uint16_t*>(args->packedB) + (item->group * panels + first) * depth * NR;
  packBPanelsBf16(args, item->group, first, P, dst, K, depth, false, N, enk, load, elem, mode, block, NR, scratch);
}


/// One row tile of the grouped operand (up to rowsPerItem rows), packed once as bf16 rows, times every
/// 32-column B panel: per panel, K in chunks of kAmxChunk, each chunk against every 32-row slab (its C
/// kept in scratch between chunks). Scratch: the slabs' fp32 C, a K-float row, then the packed rows.
MXJIT_HELPER __attribute__((target("amx-tile,amx-bf16,avx512f,avx512bf16,avx512bw,avx512vl"))) void mxjit_gemm_2d3d_amx_32x32(
    const abi::KernelArgs* args, const abi::WorkItem* item, float* scratch, int64_t K, int64_t N, int32_t loadA,
    int32_t elemA, int32_t modeA, int32_t block, int32_t outBf16) {
  constexpr int64_t MR = 32, NR = 32;
  const int64_t rows = item->end - item->begin, slabs = (rows + MR - 1) / MR, depth = amxDepth(K);
  const int64_t panels = (N + NR - 1) / NR;
  float* c = scratch;
  float* rowTmp = c + slabs * MR * NR;
  uint16_t* panel = reinterpret_cast<uint16_t*>(rowTmp + (K + 15) / 16 * 16);
  packRowsBf16(args, item->begin, rows, slabs * MR, panel, K, depth, false, loadA, elemA, modeA, block, rowTmp);
  const uint16_t* packedB = reinterpret_cast<const uint16_t*>(args->packedB) + item->group * panels * depth * NR;
  amxConfigure();
  for (int64_t p = 0; p < panels; ++p) {
    for (int64_t k0 = 0; k0 < depth; k0 += kAmxChunk) {
      const int64_t k1 = depth - k0 < kAmxChunk ? depth : k0 + kAmxChunk;
      for (int64_t s = 0; s < slabs; ++s)
        amxBlock32x32(panel + s * MR * depth, depth, packedB + p * depth * NR, k0, k1, c + s * MR * NR, k0 == 0);
    }
    const int64_t cols = N - p * NR < NR ? N - p * NR : NR;
    for (int64_t s = 0; s < slabs; ++s) {
      const int64_t slabRows = rows - s * MR < MR ? rows - s * MR : MR;
      storeBlock(args->out, c + s * MR * NR, slabRows, cols, item->begin + s * MR, p * NR, N, outBf16);
    }
  }
  amxRelease();
}

/// 2d2d AMX packing: as mxjit_pack_token_operands_bf16, into the AMX layouts (TokenPairLayout.h: natural
/// pairs, groups padded to 16 pairs; the activations column-major for A tiles, the gradient in B-tile panels).
MXJIT_HELPER MXJIT_PACK_TARGET void mxjit_pack_token_operands_amx(
    const abi::KernelArgs* args, const abi::WorkItem* item, int64_t K, int32_t aT, int32_t aLoad, int32_t aElem, int32_t aMode,
    int32_t aBlock, int64_t N, int32_t bT, int32_t bLoad, int32_t bElem, int32_t bMode, int32_t bBlock, int32_t CB) {
  packTokenOperands(args, item, {K, aT, aLoad, aElem, aMode, aBlock}, {N, bT, bLoad, bElem, bMode, bBlock}, CB, true);
}

/// 2d2d AMX: a KT-row slice of K (32-row slabs) for one group over every 32-column panel of N. The
/// contraction is the group's padded pairs, in chunks of kAmxChunk whose B tiles stay in L1 across the
/// slabs; an empty group's zero-length contraction still writes its zero gradient. Scratch: the slabs' C.
MXJIT_HELPER __attribute__((target("amx-tile,amx-bf16,avx512f,avx512bf16,avx512bw,avx512vl"))) void mxjit_gemm_2d2d_amx_32x32(
    const abi::KernelArgs* args, const abi::WorkItem* item, float* scratch, int64_t K, int64_t N, int32_t outBf16, int64_t KT) {
  constexpr int64_t MR = 32, NR = 32;
  const TokenPairLayout la = amxTokenLayout(0, args->m, args->groups), lb = amxTokenLayout(1, args->m, args->groups);
  const int64_t g = item->group, tokens = args->offs[g] - groupBegin(args, g), p0 = firstPair(args, g, la);
  const int64_t depth = 2 * la.paddedPairs(tokens);  // bf16 elements along the contraction
  const int64_t k0 = item->tile * KT, k1 = K - k0 < KT ? K : k0 + KT, slabs = (k1 - k0 + MR - 1) / MR;
  const uint16_t* a = reinterpret_cast<const uint16_t*>(args->packedA);
  const uint16_t* b = reinterpret_cast<const uint16_t*>(args->packedB);
  amxConfigure();
  for (int64_t col0 = 0; col0 < N; col0 += NR) {
    const uint16_t* panel = b + lb.word(p0, col0) * 2;
    for (int64_t c0 = 0; c0 == 0 || c0 < depth; c0 += kAmxChunk) {
      const int64_t c1 = depth - c0 < kAmxChunk ? depth : c0 + kAmxChunk;
      for (int64_t s = 0; s < slabs; ++s)
        amxBlock32x32(a + la.word(p0, k0 + s * MR) * 2, 2 * la.pairRows, panel, c0, c1, scratch + s * MR * NR, c0 == 0);
    }
    const int64_t cols = N - col0 < NR ? N - col0 : NR;
    for (int64_t s = 0; s < slabs; ++s) {
      const int64_t rows = k1 - k0 - s * MR < MR ? k1 - k0 - s * MR : MR;
      storeBlock(args->out, scratch + s * MR * NR, rows, cols, g * K + k0 + s * MR, col0, N, outBf16);
    }
  }
  amxRelease();
}

/// 2d3d B packing: for group item->group and column panel item->tile, writes the panel of NR columns as
/// packedB[((g * panels + tile) * K + k) * NR + jj], the contraction (K) quantized in blocks.
MXJIT_HELPER void mxjit_pack_b_2d3d(const abi::KernelArgs* args, const abi::WorkItem* item, int64_t K, int64_t N,
                                    int32_t enk, int32_t load, int32_t elem, int32_t mode, int32_t block, int32_t NR) {
  const int64_t panels = (N + NR - 1) / NR;
  packBPanel(args, item->group, item->tile, args->packedB + (item->group * panels + item->tile) * K * NR, K, 0, K, N, enk,
             load, elem, mode, block, NR);
}

/// Rows [begin, end) of A into packedA (row-major K), quantized or decoded along K.
MXJIT_HELPER void mxjit_pack_rows(const abi::KernelArgs* args, const abi::WorkItem* item, int64_t K, int32_t loadA,
                                  int32_t elemA, int32_t modeA, int32_t block) {
  const int64_t rows = item->end - item->begin;
  packRows(args, item->begin, rows, rows, args->packedA + item->begin * K, K, loadA, elemA, modeA, block);
}

MXJIT_HELPER void mxjit_decode_2d3d_8x32(const abi::KernelArgs* args, const abi::WorkItem* item, float* scratch, int64_t K,
                                         int64_t N, int32_t enk, int32_t loadB, int32_t elemB, int32_t modeB, int32_t blockB,
                                         int32_t outBf16) {
  decode2d3d<8, 32, 16>(args, item, scratch, K, N, enk, loadB, elemB, modeB, blockB, outBf16);
}

MXJIT_HELPER void mxjit_decode_2d3d_4x16(const abi::KernelArgs* args, const abi::WorkItem* item, float* scratch, int64_t K,
                                         int64_t N, int32_t enk, int32_t loadB, int32_t elemB, int32_t modeB, int32_t blockB,
                                         int32_t outBf16) {
  decode2d3d<4, 16, 8>(args, item, scratch, K, N, enk, loadB, elemB, modeB, blockB, outBf16);
}

MXJIT_HELPER void mxjit_gemm_2d3d_8x32(const abi::KernelArgs* args, const abi::WorkItem* item, float* scratch, int64_t K,
                                       int64_t N, int32_t loadA, int32_t elemA, int32_t modeA, int32_t block, int32_t outBf16) {
  gemm2d3d<8, 32, 16>(args, item, scratch, K, N, loadA, elemA, modeA, block, outBf16);
}

MXJIT_HELPER void mxjit_gemm_2d3d_4x16(const abi::KernelArgs* args, const abi::WorkItem* item, float* scratch, int64_t K,
                                       int64_t N, int32_t loadA, int32_t elemA, int32_t modeA, int32_t block, int32_t outBf16) {
  gemm2d3d<4, 16, 8>(args, item, scratch, K, N, loadA, elemA, modeA, block, outBf16);
}

/// 2d2d operand packing: columns [tile*CB, tile*CB + CB) of operand `which` (0: a with `cols` = K,
/// 1: b with `cols` = N) for group item->group, quantized along the tokens in blocks restarting at the
/// group start, written token-major to packedA / packedB[m * cols + c]. `transposed`: stored [cols, M].
inline void packTokensF32(const abi::KernelArgs* args, const abi::WorkItem* item, int32_t which, int64_t cols,
                          int32_t transposed, int32_t load, int32_t elem, int32_t mode, int32_t block, int32_t CB) {
  const void* src = which ? args->b : args->a;
  float* dst = which ? args->packedB : args->packedA;
  const int64_t begin = item->begin, end = item->end, m = args->m;
  float v[1024];
  for (int64_t c = item->tile * CB; c < cols && c < (item->tile + 1) * CB; ++c)
    for (int64_t first = begin; first < end; first += block) {
      const int64_t n = end - first < block ? end - first : block;
      loadBlock(src, transposed ? c * m + first : first * cols + c, transposed ? 1 : cols, n, load, ElemFormat(elem),
                ScaleMode(mode), 0, v);
      for (int64_t i = 0; i < n; ++i) dst[(first + i) * cols + c] = v[i];
    }
}

MXJIT_HELPER void mxjit_pack_token_operands(const abi::KernelArgs* args, const abi::WorkItem* item, int64_t K, int32_t aT,
                                            int32_t aLoad, int32_t aElem, int32_t aMode, int32_t aBlock, int64_t N, int32_t bT,
                                            int32_t bLoad, int32_t bElem, int32_t bMode, int32_t bBlock, int32_t CB) {
  abi::WorkItem it;
  if (splitTokenTile(item, K, CB, &it)) packTokensF32(args, &it, 1, N, bT, bLoad, bElem, bMode, bBlock, CB);
  else packTokensF32(args, &it, 0, K, aT, aLoad, aElem, aMode, aBlock, CB);
}

MXJIT_HELPER void mxjit_gemm_2d2d_8x32(const abi::KernelArgs* args, const abi::WorkItem* item, float*, int64_t K,
                                       int64_t N, int32_t outBf16, int64_t KT) {
  gemm2d2d<8, 32, 16>(args, item, K, N, outBf16, KT);
}

MXJIT_HELPER void mxjit_gemm_2d2d_4x16(const abi::KernelArgs* args, const abi::WorkItem* item, float*, int64_t K,
                                       int64_t N, int32_t outBf16, int64_t KT) {
  gemm2d2d<4, 16, 8>(args, item, K, N, outBf16, KT);
}

/// Quantize along the last axis: rows [begin, end) of a (rows, K) tensor into codes (out) and plain
/// scales (outScales, (rows, K/block)).
MXJIT_HELPER void mxjit_quantize_rows(const abi::KernelArgs* args, const abi::WorkItem* item, int64_t K, int32_t inF32,
                                      int32_t elem, int32_t mode, int32_t block) {
  for (int64_t r = item->begin; r < item->end; ++r)
    for (int64_t kb = 0; kb < K / block; ++kb) quantizeRowBlock(args, r, kb, K, inF32, elem, mode, block);
}

/// Quantize along M (axis 0) of an (M, C) tensor: rows [begin, end) of one group (or all rows), columns
/// of tile item->tile (CB wide), blocks restarting at `begin`; scale rows start at item->aux.
MXJIT_HELPER void mxjit_quantize_cols(const abi::KernelArgs* args, const abi::WorkItem* item, int64_t C, int32_t inF32,
                                      int32_t elem, int32_t mode, int32_t block, int32_t CB) {
  for (int64_t c = item->tile * CB; c < C && c < (item->tile + 1) * CB; ++c)
    for (int64_t first = item->begin, sr = item->aux; first < item->end; first += block, ++sr)
      quantizeColumnBlock(args, c, first, item->end - first < block ? item->end - first : block, sr, C, inF32, elem, mode);
}

/// mxjit_quantize_rows for bf16 input on AVX-512 hosts: each block in 16-bit lanes where it can be.
MXJIT_HELPER MXJIT_PACK_TARGET void mxjit_quantize_rows_bf16(const abi::KernelArgs* args, const abi::WorkItem* item, int64_t K,
                                                             int32_t elem, int32_t mode, int32_t block) {
  const uint16_t* x = static_cast<const uint16_t*>(args->a);
  uint8_t* codes = static_cast<uint8_t*>(args->out);
  const int64_t span = 64 * int64_t(block);  // blocks per call: one bit each in `failed`
  for (int64_t r = item->begin; r < item->end; ++r)
    for (int64_t k0 = 0; k0 < K; k0 += span) {
      const int64_t n = K - k0 < span ? K - k0 : span;
      uint64_t failed;
      if (!vec::quantizeContiguousRow(x + r * K + k0, n, block, ElemFormat(elem), ScaleMode(mode), codes + r * K + k0,
                                      args->outScales + (r * K + k0) / block, &failed))
        failed = ~uint64_t(0);
      for (int64_t kb = 0; kb < n / block; ++kb)
        if (failed >> kb & 1) mxjit_cold_quantize_row_block(args, r, (k0 / block) + kb, K, elem, mode, block);
    }
}

/// mxjit_quantize_cols for bf16 input on AVX-512 hosts: 32 columns a register where the tile has them.
MXJIT_HELPER MXJIT_PACK_TARGET void mxjit_quantize_cols_bf16(const abi::KernelArgs* args, const abi::WorkItem* item, int64_t C,
                                                             int32_t elem, int32_t mode, int32_t block, int32_t CB) {
  const uint16_t* x = static_cast<const uint16_t*>(args->a);
  uint8_t* codes = static_cast<uint8_t*>(args->out);
  const int64_t c1 = C < (item->tile + 1) * CB ? C : (item->tile + 1) * CB;
  for (int64_t c0 = item->tile * CB; c0 < c1; c0 += 32)
    for (int64_t first = item->begin, sr = item->aux; first < item->end; first += block, ++sr) {
      const int64_t n = item->end - first < block ? item->end - first : block;
      if (c0 + 32 <= c1 && vec::quantizeColumnBlock(x + first * C + c0, n, C, ElemFormat(elem), ScaleMode(mode), codes + first * C + c0,
                                                    args->outScales + sr * C + c0))
        continue;
      for (int64_t c = c0; c < c1 && c < c0 + 32; ++c) mxjit_cold_quantize_column_block(args, c, first, n, sr, C, elem, mode);
    }
}
