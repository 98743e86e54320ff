#include "plan/KernelPlan.h"

#include "KernelABI.h"
#include "RowBlockLayout.h"
#include "TokenPairLayout.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

namespace mxjit::plan {
namespace {

std::string_view kindName(PlanKind k) {
  switch (k) {
  case PlanKind::Gemm2d3d: return "grouped_mm_2d3d";
  case PlanKind::Gemm2d2d: return "grouped_mm_2d2d";
  case PlanKind::QuantizeRows: return "quantize_rows";
  case PlanKind::QuantizeCols: return "quantize_cols";
  }
  return "?";
}

std::string_view gridName(ItemGrid g) {
  switch (g) {
  case ItemGrid::GroupPanels: return "groups x tiles";
  case ItemGrid::GroupRowTiles: return "row tiles of each group (from offs)";
  case ItemGrid::GroupColumnTiles: return "groups x column tiles (rows from offs)";
  case ItemGrid::RowTiles: return "row tiles of M";
  }
  return "?";
}

std::string operandText(const OperandPlan& o) {
  static constexpr const char* loads[] = {"quantize-on-load(bf16)", "quantize-on-load(f32)", "dequantize-on-load(fp8)",
                                          "high-precision(bf16)", "high-precision(f32)"};
  std::string text = fmt::format("{} layout={}", loads[o.load], ir::operandLayoutName(o.layout));
  if (o.load <= 2) text += fmt::format(" elem={} block={}", elemFormatName(o.elem), o.block);
  if (o.load <= 1) text += fmt::format(" mode={}", scaleModeName(o.mode));
  return text;
}

}  // namespace

bool streamWeightPanels(int64_t largestGroupRows, int64_t meanGroupRows, int64_t k, bool amx, bool panelPacked) {
  if (largestGroupRows <= kSmallGroupRows || meanGroupRows <= kSmallGroupRows) return true;
  if (panelPacked) return !amx && meanGroupRows <= kPackedStreamRows;
  return !amx && meanGroupRows * k * 2 <= kStreamRowsBytes;
}

bool streamsColumnTiles(const OperandPlan& b, int64_t k) {
  if (b.layout != ir::OperandLayout::ENK || k <= 0 || k % 32) return false;
  if (b.load == abi::kQuantizeBf16) return b.block == 32;
  return b.load == abi::kDequantize && b.block % 32 == 0 && k % b.block == 0;
}

bool streamsRowBlocks(const OperandPlan& b, int64_t k, int64_t n) {
  // K = 0 too would read a block before finding there is none (empty weights hold no bytes).
  return b.layout == ir::OperandLayout::EKN && b.load == abi::kQuantizeBf16 && b.block == 32 && k > 0 && k % 32 == 0 &&
         n > 0 && n % 32 == 0;
}

int64_t rowBlockPanelsPerItem(int64_t n, int64_t groups) {
  const int64_t panels = n / 32, itemsPerGroup = (16 + groups - 1) / std::max<int64_t>(groups, 1);
  return std::clamp<int64_t>((panels + itemsPerGroup - 1) / itemsPerGroup, 1, helpers::kRowBlockPanels);
}

int64_t columnTileMaxRows(bool amxHost) { return amxHost ? kColumnTileRows : kColumnTileMaxRows; }

int64_t fusedGroupRows(const OperandPlan& b, int64_t k, int64_t n, bool amxHost) {
  if (streamsRowBlocks(b, k, n)) return helpers::kRowBlockMaxRows;
  return streamsColumnTiles(b, k) ? columnTileMaxRows(amxHost) : 0;
}

std::string_view microkernelName(Microkernel m) {
  switch (m) {
  case Microkernel::Avx512: return "avx512";
  case Microkernel::Portable: return "portable";
  case Microkernel::Avx512Bf16: return "avx512bf16";
  case Microkernel::AmxBf16: return "amx";
  }
  return "?";
}

int64_t streamPanelsPerItem(int64_t k, bool stridedAlongK) {
  if (!stridedAlongK) return 1;
  const int64_t fit = kStreamPanelBytes / (std::max<int64_t>(k, 1) * 32 * 2);
  return std::clamp<int64_t>(fit, 4, kMaxStreamPanels);
}

int64_t panelTokenRowStride(int64_t k) {
  const int64_t lines = (k + 31) / 32;
  return (lines | 1) * 32;
}

int64_t KernelPlan::packedAFloats(int64_t m) const {
  // bf16: token pairs (one dword each, the size of a float) in their layout; fp32: rows of tokens,
  // where a slab may read past the end.
  if (kind == PlanKind::Gemm2d2d && micro == Microkernel::Avx512Bf16) return helpers::vdpbf16TokenLayout(0, m, groups).words(k);
  if (kind == PlanKind::Gemm2d2d && micro == Microkernel::AmxBf16) return helpers::amxTokenLayout(0, m, groups).words(k);
  if (kind == PlanKind::Gemm2d2d) return (m + 2 * groups + 2) * k + mr;
  // AMX: rows amxDepth(k) wide, A tiles reading up to 15 rows past a group's last.
  if (kind == PlanKind::Gemm2d3d && streamPanels && micro == Microkernel::AmxBf16) return (m + mr) * amxDepth(k);
  // Panel-packed weights: bf16 rows (two a float) at panelTokenRowStride.
  if (kind == PlanKind::Gemm2d3d && streamPanels && b.layout == ir::OperandLayout::PNK) return (m + mr) * panelTokenRowStride(k) / 2;
  return kind == PlanKind::Gemm2d3d && streamPanels ? (m + mr) * k : 0;  // + mr: a slab may read past the end
}

int64_t KernelPlan::packedBFloats(int64_t m) const {
  if (kind == PlanKind::Gemm2d3d && micro == Microkernel::AmxBf16 && !streamPanels)
    return groups * ((n + nr - 1) / nr) * nr * amxDepth(k) / 2;
  if (kind == PlanKind::Gemm2d3d) return streamPanels ? 0 : groups * ((n + nr - 1) / nr) * nr * k;
  if (kind == PlanKind::Gemm2d2d && micro == Microkernel::Avx512Bf16) return helpers::vdpbf16TokenLayout(1, m, groups).words(n);
  if (kind == PlanKind::Gemm2d2d && micro == Microkernel::AmxBf16) return helpers::amxTokenLayout(1, m, groups).words(n);
  if (kind == PlanKind::Gemm2d2d) return (m + 2 * groups + 2) * n + nr;
  return 0;
}

int64_t KernelPlan::threadScratchFloats() const {
  if (kind == PlanKind::Gemm2d2d && micro == Microkernel::AmxBf16) return (rowsPerItem + mr - 1) / mr * mr * nr + 16;  // C slabs
  if (kind != PlanKind::Gemm2d3d) return 0;
  // The streaming plans' pack_a stage: a row of K floats for the cold row packer (f32 activations).
  const int64_t packRow = k + 16;
  // Panel-packed weights streamed: vdpbf16ps decodes in registers; AMX stages two B tiles (1 KiB each)
  // and a 16 x 32 C.
  if (streamPanels && b.layout == ir::OperandLayout::PNK) return std::max<int64_t>(packRow, micro == Microkernel::AmxBf16 ? 1024 + 16 : 0);
  // Column tiles: the cold packer's 64 x NR fp32 staging and its 32 pair rows (NR bf16 pairs each), the
  // 16-column tile's 32 pair rows, and on AMX a 16 x 16 C; or the sums of up to kColumnTileMaxRows rows.
  if (streamPanels && columnTiles) return std::max<int64_t>(packRow, (64 + 32 + 16) * nr + 256 + 16 + kColumnTileMaxRows * 16);
  if (streamPanels && rowBlocks) return std::max<int64_t>(packRow, helpers::kRowBlockScratchFloats);
  // AMX streaming: the cold staging (K x NR floats), a 16 x NR C, the panels (amxDepth(k) deep).
  if (streamPanels && micro == Microkernel::AmxBf16) return int64_t(nr) * k + 16 * nr + panelsPerItem * nr * amxDepth(k) / 2 + 16;
  const int64_t rowsPadded = (rowsPerItem + mr - 1) / mr * mr;
  // AMX: pack_b stages a K x NR fp32 panel; gemm holds the item's fp32 C (rows x 32), a K-float row and
  // the item's rows as bf16 (amxDepth(k) wide).
  if (micro == Microkernel::AmxBf16)
    return std::max<int64_t>(int64_t(nr) * k, rowsPadded * nr + (k + 15) / 16 * 16 + rowsPadded * amxDepth(k) / 2) + 16;
  // bf16 stages stage one fp32 panel (a row or K x NR) beside their packed bf16 operand; the streaming
  // stage's operand is panelsPerItem bf16 panels (K x NR each, half a float per value).
  if (micro == Microkernel::Avx512Bf16 && streamPanels) return int64_t(nr) * k + panelsPerItem * nr * (k + 1) / 2 + 16;
  if (micro == Microkernel::Avx512Bf16) return (nr + rowsPadded + 2) * (k + 1);
  return streamPanels ? int64_t(nr) * k : rowsPadded * k;
}

std::string KernelPlan::toString() const {
  std::string s = fmt::format("plan {} {{\n  kind={}{} microkernel={} tile={}x{} rows_per_item={} cols_per_item={}\n", stem,
                              kindName(kind),
                              streamPanels ? fmt::format(" stream_panels={}{}", panelsPerItem,
                                                          columnTiles ? " column_tiles" : rowBlocks ? " row_blocks" : "") : "",
                              microkernelName(micro),
                              mr, nr, rowsPerItem, colsPerItem);
  s += fmt::format("  K={} N={} G={} M=runtime out={}\n", k, n, groups, dtypeName(out));
  if (kind == PlanKind::Gemm2d3d || kind == PlanKind::Gemm2d2d)
    s += fmt::format("  a: {}\n  b: {}\n", operandText(a), operandText(b));
  else
    s += fmt::format("  input: {}{}\n", operandText(a), grouped ? " groups=offs" : "");
  for (const Stage& st : stages) {
    s += fmt::format("  stage {}: {}({}) over {}{}{}\n", st.name, st.helper, fmt::join(st.constants, ", "), gridName(st.grid),
                     st.grid == ItemGrid::GroupPanels || st.grid == ItemGrid::GroupColumnTiles ? fmt::format(", {} tiles", st.tiles) : "",
                     st.skipEmptyGroups ? ", empty groups skipped" : "");
    if (st.part) s += fmt::format("    part: {}({})\n", st.part->helper, fmt::join(st.part->constants, ", "));
  }
  s += fmt::format("  from: {}\n}}\n", specialized);
  return s;
}

}  // namespace mxjit::plan
