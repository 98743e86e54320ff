// KernelPlan: what one specialised op becomes before LLVM sees it: the stages (each a kernel entry
// calling one helper with constants), how each stage's parallel work items are laid out, the
// microkernel and its tile. Codegen emits it; the runtime runs its stages in order.
#pragma once
#include "ir/GemmAttrs.h"
#include "mxjit/DType.h"
#include "mxjit/Recipe.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mxjit::plan {

enum class PlanKind : uint8_t { Gemm2d3d, Gemm2d2d, QuantizeRows, QuantizeCols };

/// Groups up to this many rows (tokens per expert when decoding) always stream their weights.
constexpr int64_t kSmallGroupRows = 16;
/// Larger groups stream them too while a mean group's rows, packed as bf16, fit this budget: the rows
/// then stay in a core's L2 while every weight panel of the group passes by.
constexpr int64_t kStreamRowsBytes = int64_t(1) << 20;

/// Whether a 2d3d GEMM takes the weight-streaming plan: items are (group, 32-column weight panel), each
/// panel decoded once into this thread's cache and used at once by every row of its group, instead of
/// decoding all the weights to memory up front and walking row tiles. Small groups (decode) always do,
/// and so do decode-size calls with a few larger groups (jagged routing: a mean group within
/// kSmallGroupRows; on the AMX host the row-tile plan made such a call 1.6-6x slower than a uniform
/// one, packing every group's weights first); medium groups do where their rows fit kStreamRowsBytes
/// (measured 25% faster at 256 rows, K = 1024, equal at 2048 rows); AMX targets keep their tile plan for
/// anything larger than decode. Panel-packed weights (`panelPacked`) are decoded in registers for every
/// pass of 16 rows, not once into L2, so they stream only while a mean group is within
/// kPackedStreamRows (K = 1024: streamed 1.8x as fast as row tiles at 32 rows, 1.09x at 96, equal at
/// 128, 0.87x at 256; K = 2048, 256 rows: 0.86x).
constexpr int64_t kPackedStreamRows = 128;
bool streamWeightPanels(int64_t largestGroupRows, int64_t meanGroupRows, int64_t k, bool amx, bool panelPacked = false);

/// 32-column weight panels per item of the AVX512-BF16 weight-streaming stage (and of the row-tile
/// plan's AVX512-BF16 / AMX weight packing, into its packed weights). Weights strided along K
/// ([E,K,N]) are read a row several panels wide per visit (runtime/helpers/VectorPack.h,
/// packQuantizedPanels): each row sits on its own page, so wider visits read more per page and TLB miss
/// (dgrad at 64,4096,1536,8, weights requantized each call: 4 panels 3.6, 8 panels 5.0 G values/s a
/// core; 16 no better). Capped so the item's packed panels stay within kStreamPanelBytes. Contiguous
/// weights take one panel per item (more would only crowd the cache).
constexpr int64_t kMaxStreamPanels = 8, kStreamPanelBytes = int64_t(2) << 20;
int64_t streamPanelsPerItem(int64_t k, bool stridedAlongK);

/// The bf16 token rows' stride (elements) in the forward on panel-packed weights: K rounded up to an odd
/// number of 64-byte lines, so that the 16 rows a pass reads at once fall in 16 different L1 sets; at K =
/// 4096 (rows 8 KiB apart, all in one set) a 16-row pass ran half as fast as two 8-row ones.
int64_t panelTokenRowStride(int64_t k);


/// Choices the IR cannot carry because they depend on run-time values the cache key buckets.
struct PlanOptions {
  bool streamPanels = false;  // the weight-streaming plan (streamWeightPanels)
  int64_t fusedGroupRows = 0;  // no group has more rows (fusedGroupRows): the streaming stage may take column tiles
                               // (up to columnTileMaxRows) or row blocks; 0: unknown
  bool smallGroups = false;       // 2d2d: every group within kSmallGroupRows tokens: AMX hosts take AVX512-BF16 (AMX
                                  // pads each group's tokens to 32; 2.2-2.5x slower at 8 tokens per group)
};

/// AMX-BF16 (tdpbf16ps, 32x32 blocks: the row-tile 2d3d plan and the 2d2d plan; the weight-streaming
/// and quantize plans of an AMX target lower as AVX512-BF16), AVX512-BF16 (vdpbf16ps on bf16 pairs, 8x32 tile), AVX-512 (fp32 FMA
/// in zmm, 8x32) or portable (the fp32 source on narrower vectors, 4x16).
enum class Microkernel : uint8_t { Avx512, Portable, Avx512Bf16, AmxBf16 };

std::string_view microkernelName(Microkernel m);  // "avx512", "portable", "avx512bf16", "amx"

/// AMX tiles contract 32 bf16 values (one MX block) per step: K is zero-padded to a multiple of it.
inline int64_t amxDepth(int64_t k) { return (k + 31) / 32 * 32; }

/// How an operand is loaded (abi::OperandLoad codes) and, when quantized, in which format.
struct OperandPlan {
  int32_t load = 0;
  ElemFormat elem = ElemFormat::E4M3;
  ScaleMode mode = ScaleMode::RCeil;
  int32_t block = 32;
  ir::OperandLayout layout = ir::OperandLayout::MK;
};

/// Whether the AVX512-BF16 weight-streaming stage takes [E,N,K] weights in column tiles
/// (runtime/helpers/ColumnTileGemm.h): fp8 with plain scales in blocks of 32 or a multiple, or bf16
/// quantized in blocks of 32; K a positive multiple of 32. Sixteen columns' next 64 bytes each are transposed into
/// vdpbf16ps pair rows in registers, decoded or quantized there and multiplied at once by 8 token rows;
/// nothing decoded is stored. Only where every group has at most columnTileMaxRows rows
/// (PlanOptions::fusedGroupRows): groups past 8 rows keep each step's pair rows for every 8 (re-decoding
/// each step per 8 rows, the whole-panel plan won from 16 rows up); against whole panels, on this
/// machine, 2 threads: 8 rows 1.25x (fp8) and 1.9x (bf16) faster at K = 4096, 1.15x and 2.4x at K = 2880.
bool streamsColumnTiles(const OperandPlan& b, int64_t k);
constexpr int64_t kColumnTileRows = 8;
/// The most rows a group may have for column tiles: 8 on AMX hosts; elsewhere larger groups keep each
/// step's pair rows for every 8 rows, up to 32 (bf16 weights quantized in column tiles ran 1.04-1.4x
/// faster at 16-32 rows than whole panels; fp8 ones, once a last partial pass multiplied only its rows,
/// 1.3x at 17 rows, 1.1x at 23-24 and equal at 32, where before the whole panels had won at 32 and fp8
/// stopped at 16). The tile's sums have room for kColumnTileMaxRows.
constexpr int64_t kColumnTileMaxRows = 32;  // helpers::kColumnTileMaxRows
int64_t columnTileMaxRows(bool amxHost);

/// Whether the AVX512-BF16 weight-streaming stage takes [E,K,N] weights (each k a row of N values; dgrad's
/// on [E,N,K] weights) in row blocks (runtime/helpers/RowBlockGemm.h): bf16 quantized in blocks of 32, K
/// and N positive multiples of 32, groups within helpers::kRowBlockMaxRows rows (PlanOptions::fusedGroupRows). An
/// item reads a block of 32 rows a 4 KB run of each row at a time, quantizes the block in registers and
/// multiplies it at once; decode dgrad (2 threads) ran 1.8x as fast at 64,4096,1536,8 and 1.3x at
/// 256,2880,2880,32 as packing 8 whole panels into L2 first. AMX hosts too, though their vdpbf16ps is
/// 14x slower than tdpbf16ps: decode groups leave the tiles mostly empty and the quantizing bounds the
/// kernel, and row blocks ran decode dgrad 1.18x (64,4096,1536,8) and 1.25x (256,2880,2880,32) as fast
/// as packing whole panels for tdpbf16ps (the device's Xeon, 2 threads).
bool streamsRowBlocks(const OperandPlan& b, int64_t k, int64_t n);
/// The row-block stage's 32-column panels per item: up to helpers::kRowBlockPanels (a 4 KB run of a row
/// per visit), fewer where that would leave fewer than 16 items (small calls keep both threads busy).
int64_t rowBlockPanelsPerItem(int64_t n, int64_t groups);

/// The most rows a group may have for the streaming stage to take its weights in column tiles or row
/// blocks (columnTileMaxRows, helpers::kRowBlockMaxRows), 0 where neither applies: the runtime sends groups
/// within it to such a kernel (PlanOptions::fusedGroupRows) and the others to one of their own.
int64_t fusedGroupRows(const OperandPlan& b, int64_t k, int64_t n, bool amxHost);

/// How a stage's work items are enumerated at run time.
enum class ItemGrid : uint8_t {
  GroupPanels,       // (g, tile) for every group and tile < tiles; static
  GroupRowTiles,     // each group's rows cut into tiles of rowsPerItem rows (from offs)
  GroupColumnTiles,  // (g, tile < tiles) with the group's row range (from offs)
  RowTiles,          // all M rows in tiles of rowsPerItem (ungrouped)
};

/// A piece of a stage compiled as its own module (on its own thread): the stage's helper calls
/// mxjit_stage_part, which codegen binds to `<stem>.<stage>.part`, a call of `helper` with the part's
/// runtime arguments and these constants. Large stages split so no one module bounds the compile time.
struct StagePart {
  std::string helper;
  std::vector<int64_t> constants;
};

struct Stage {
  std::string name;    // "pack_b", "gemm", ... (entry symbol: <stem>.<name>)
  std::string helper;  // the bitcode helper it calls
  ItemGrid grid = ItemGrid::GroupPanels;
  int64_t tiles = 1;   // tiles per group for GroupPanels / GroupColumnTiles
  bool skipEmptyGroups = false;  // no items for groups without rows (e.g. packing an idle expert's weights)
  std::vector<int64_t> constants;  // the helper's trailing arguments, in order
  std::optional<StagePart> part = std::nullopt;
};

struct KernelPlan {
  PlanKind kind = PlanKind::Gemm2d3d;
  std::string stem;         // readable, unique per spec: symbol prefix, dump stem, log tag
  std::string specialized;  // the specialised op's IR text this plan was lowered from
  int64_t k = 0, n = 0, groups = 0;
  DType out = DType::BF16;
  OperandPlan a, b;
  Microkernel micro = Microkernel::Portable;
  int32_t mr = 4, nr = 16;
  int32_t rowsPerItem = 64;  // rows of M per gemm work item (also the thread scratch panel height)
  int32_t colsPerItem = 64;  // columns per packing / quantize work item
  bool grouped = false;      // QuantizeCols: blocks restart at each group start
  bool streamPanels = false;  // Gemm2d3d weight-streaming plan (streamWeightPanels)
  int32_t panelsPerItem = 1;  // weight-streaming items' 32-column panels (streamPanelsPerItem)
  bool columnTiles = false;   // the weight-streaming stage multiplies column tiles in registers (streamsColumnTiles)
  bool rowBlocks = false;     // the weight-streaming stage multiplies row blocks in registers (streamsRowBlocks)
  std::vector<Stage> stages;

  /// Scratch the runtime provides: packed operand panels and each thread's private panel (floats).
  int64_t packedAFloats(int64_t m) const;
  int64_t packedBFloats(int64_t m) const;
  int64_t threadScratchFloats() const;

  std::string toString() const;  // the plan dump (mxjit-dump -emit=plan)
};

}  // namespace mxjit::plan
