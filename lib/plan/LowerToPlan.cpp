#include "plan/LowerToPlan.h"

#include "KernelABI.h"
#include "RowBlockLayout.h"
#include "formats/PanelPackedWeights.h"
#include "ir/Printer.h"
#include "mxjit/Error.h"

#include <fmt/format.h>

namespace mxjit::plan {
namespace {

[[noreturn]] void unsupported(const std::string& what) {
  throw Error(ErrorKind::Unsupported, "lower-to-plan: " + what);
}

int64_t staticDim(const ir::Value* v, int i) {
  const ir::Dim& d = v->type.dims.at(i);
  if (!d.isStatic()) unsupported(fmt::format("dim {} of %{} is still symbolic ({}); run specialize first", i, v->name, d.symbol));
  return d.size;
}

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

// How operand `v` of a grouped_mm is loaded, given its optional fused quantization.
OperandPlan operandPlan(const ir::Value* v, const ir::AttrValue* fused, ir::OperandLayout layout, bool allowPrequantized) {
  OperandPlan p;
  p.layout = layout;
  const bool f32 = v->type.dtype == DType::F32;
  if (v->type.mx) {
    if (!allowPrequantized) unsupported(fmt::format("prequantized operand %{} of a 2d2d grouped_mm", v->name));
    if (v->type.mx->scales != ir::ScaleLayout::Plain)
      unsupported(fmt::format("operand %{} has {} scales; the kernels read plain scales", v->name,
                              ir::scaleLayoutName(v->type.mx->scales)));
    p.load = abi::kDequantize;
    p.elem = v->type.mx->elem;
    p.block = v->type.mx->block;
  } else if (fused) {
    const auto q = ir::parseFusedQuant(std::get<std::string>(*fused));
    MXJIT_CHECK(q.has_value());
    p.load = f32 ? abi::kQuantizeF32 : abi::kQuantizeBf16;
    p.elem = q->elem, p.mode = q->mode, p.block = q->block;
  } else {
    p.load = f32 ? abi::kHighPrecisionF32 : abi::kHighPrecisionBf16;
    p.block = 1;  // no scales: pack element by element
  }
  return p;
}

std::string quantTag(const OperandPlan& o) {
  if (o.load == abi::kHighPrecisionBf16 || o.load == abi::kHighPrecisionF32) return "hp";
  return fmt::format("{}{}b{}{}", o.load == abi::kDequantize ? "pre" : "q", elemFormatName(o.elem), o.block,
                     o.load == abi::kDequantize ? "" : std::string(scaleModeName(o.mode)));
}

std::string microName(Microkernel m) { return std::string(microkernelName(m)); }

// amxHost: the target has AMX, though this plan's microkernel may be AVX512-BF16 (lowerToPlan).
void lowerGemm(const ir::Op& op, const PlanOptions& options, bool amxHost, KernelPlan& p) {
  const ir::Value *a = op.operands[0], *b = op.operands[1], *offs = op.operands[2];
  const auto kind = ir::parseGemmKind(op.wordAttr("kind"));
  const auto aLayout = ir::parseOperandLayout(op.wordAttr("a")), bLayout = ir::parseOperandLayout(op.wordAttr("b"));
  MXJIT_CHECK(kind && aLayout && bLayout);
  for (const ir::Value* v : {a, b, offs})
    if (v->def) unsupported(fmt::format("operand %{} is computed by another op; only function arguments reach a kernel", v->name));
  p.out = op.wordAttr("out") == "f32" ? DType::F32 : DType::BF16;
  p.groups = staticDim(offs, 0);
  const int32_t outBf16 = p.out == DType::BF16;
  if (*kind == ir::GemmKind::G2d3d) {
    p.kind = PlanKind::Gemm2d3d;
    p.a = operandPlan(a, op.find("qa"), *aLayout, true);
    p.b = operandPlan(b, op.find("qb"), *bLayout, true);
    const bool enk = *bLayout == ir::OperandLayout::ENK;
    p.k = staticDim(a, 1);
    p.n = staticDim(b, *bLayout == ir::OperandLayout::EKN ? 2 : 1);
    // The bf16 microkernel's helpers carry a "_bf16" infix, the AMX ones "_amx"; the fp32 ones none.
    const std::string bf16 = p.micro == Microkernel::Avx512Bf16 ? "_bf16" : p.micro == Microkernel::AmxBf16 ? "_amx" : "";
    if (*bLayout == ir::OperandLayout::PNK && p.streamPanels) {
      // Panel-packed weights, streamed: tokens packed once, then one item per (expert, two 16-column
      // panels), each 64-byte chunk decoded in registers and multiplied at once by vdpbf16ps, or on AMX
      // hosts each 32 k of chunks decoded into two B tiles for tdpbf16ps (PanelPackedGemm.h).
      const bool amx = p.micro == Microkernel::AmxBf16;
      // vdpbf16ps passes read their tokens panelTokenRowStride apart; AMX A tiles amxDepth(K) apart.
      std::vector<int64_t> pack = {p.k, p.a.load, int64_t(p.a.elem), int64_t(p.a.mode), p.a.block};
      std::vector<int64_t> gemm = {p.k, p.n, outBf16, int64_t(p.b.elem)};
      if (!amx) {
        pack.insert(pack.begin() + 1, panelTokenRowStride(p.k));
        gemm.insert(gemm.begin() + 2, panelTokenRowStride(p.k));
      }
      p.stages.push_back({"pack_a", amx ? "mxjit_pack_rows_amx" : "mxjit_pack_rows_strided_bf16", ItemGrid::GroupRowTiles, 0, true, pack});
      p.stages.push_back({"gemm", amx ? "mxjit_gemm_panel_packed_amx_16x32" : "mxjit_gemm_panel_packed_bf16_8x32", ItemGrid::GroupPanels,
                          ceilDiv(p.n, 2 * formats::kPanelColumns), true, gemm});
    } else if (*bLayout == ir::OperandLayout::PNK) {
      // Large groups: each panel pair decoded once into the row-tile plan's packed weights (bf16 or AMX;
      // the helper is hand-vectorised, named _bf16 so codegen skips the vectorisers).
      p.stages.push_back({"pack_b", "mxjit_pack_b_panel_packed_bf16", ItemGrid::GroupPanels, ceilDiv(p.n, p.nr), true,
                          {p.k, p.n, int64_t(p.b.elem), p.micro == Microkernel::AmxBf16}});
      p.stages.push_back({"gemm", fmt::format("mxjit_gemm_2d3d{}_{}x{}", bf16, p.mr, p.nr), ItemGrid::GroupRowTiles, 0, true,
                          {p.k, p.n, p.a.load, int64_t(p.a.elem), int64_t(p.a.mode), p.a.block, outBf16}});
    } else if (p.streamPanels) {
      // Decode: tokens packed once, then one item per (expert, column panel) streams that panel of weights.
      p.stages.push_back({"pack_a", "mxjit_pack_rows" + bf16, ItemGrid::GroupRowTiles, 0, true,
                          {p.k, p.a.load, int64_t(p.a.elem), int64_t(p.a.mode), p.a.block}});
      std::vector<int64_t> panel = {p.k, p.n, enk, p.b.load, int64_t(p.b.elem), int64_t(p.b.mode), p.b.block};
      // AMX hosts multiply the streamed weights by tdpbf16ps: their tokens in natural pairs.
      const auto onAmxTiles = [&] { p.micro = Microkernel::AmxBf16, p.mr = 32, p.stages.back().helper = "mxjit_pack_rows_amx"; };
      const bool fused = p.micro == Microkernel::Avx512Bf16 && options.fusedGroupRows > 0;
      if (fused && options.fusedGroupRows <= columnTileMaxRows(amxHost) && streamsColumnTiles(p.b, p.k)) {
        p.columnTiles = true;
        std::vector<int64_t> constants = {p.k, p.n, outBf16, p.b.load, int64_t(p.b.elem), int64_t(p.b.mode), p.b.block};
        if (amxHost) onAmxTiles();
        // Groups of up to 8 rows multiply each step as it is decoded; larger ones keep it for every 8 rows.
        else constants.push_back(options.fusedGroupRows <= kColumnTileRows ? kColumnTileRows : columnTileMaxRows(amxHost));
        p.stages.push_back({"decode", amxHost ? "mxjit_gemm_enk_columns_amx_16x16" : "mxjit_gemm_enk_columns_bf16_8x16",
                            ItemGrid::GroupPanels, ceilDiv(p.n, p.nr), true, constants});
      } else if (fused && streamsRowBlocks(p.b, p.k, p.n)) {
        p.rowBlocks = true;
        const int64_t panels = rowBlockPanelsPerItem(p.n, p.groups);
        p.panelsPerItem = static_cast<int32_t>(panels);
        // Groups of up to 8 rows multiply each pair row as it is quantized; larger ones keep it for every 8 rows.
        const int64_t maxRows = options.fusedGroupRows <= kColumnTileRows ? kColumnTileRows : helpers::kRowBlockMaxRows;
        p.stages.push_back({"decode", "mxjit_gemm_ekn_rows_bf16_8x32", ItemGrid::GroupPanels, ceilDiv(p.n, 32 * panels), true,
                            {p.k, p.n, outBf16, int64_t(p.b.elem), int64_t(p.b.mode), panels, maxRows}});
      } else if (p.micro == Microkernel::Avx512Bf16) {
        // Weights strided along K take several panels per item (streamPanelsPerItem); the packer is a
        // part of its own. AMX hosts pack the panels in natural pairs and multiply them by tdpbf16ps.
        const int64_t panels = streamPanelsPerItem(p.k, !enk);
        p.panelsPerItem = static_cast<int32_t>(panels);
        panel.push_back(panels);
        if (amxHost) onAmxTiles();
        p.stages.push_back({"decode", amxHost ? "mxjit_decode_2d3d_amx_16x32" : "mxjit_decode_2d3d_bf16_8x32", ItemGrid::GroupPanels,
                            ceilDiv(p.n, p.nr * panels), true, {p.k, p.n, outBf16, panels},
                            StagePart{amxHost ? "mxjit_pack_panels_amx" : "mxjit_pack_panels_bf16", panel}});
      } else {
        std::vector<int64_t> constants = panel;
        constants.push_back(outBf16);
        p.stages.push_back({"decode", fmt::format("mxjit_decode_2d3d_{}x{}", p.mr, p.nr), ItemGrid::GroupPanels,
                            ceilDiv(p.n, p.nr), true, constants});
      }
    } else {
      std::vector<int64_t> packB = {p.k, p.n, enk, p.b.load, int64_t(p.b.elem), int64_t(p.b.mode), p.b.block, p.nr};
      int64_t packItems = ceilDiv(p.n, p.nr);
      if (!bf16.empty()) {
        // Weights strided along K are packed several panels per item, a row read that many panels wide
        // per visit, as the streaming plan does (streamPanelsPerItem).
        const int64_t panels = streamPanelsPerItem(p.k, !enk);
        packB.push_back(panels);
        packItems = ceilDiv(p.n, p.nr * panels);
      }
      p.stages.push_back({"pack_b", "mxjit_pack_b_2d3d" + bf16, ItemGrid::GroupPanels, packItems, true, packB});
      p.stages.push_back({"gemm", fmt::format("mxjit_gemm_2d3d{}_{}x{}", bf16, p.mr, p.nr), ItemGrid::GroupRowTiles, 0, true,
                          {p.k, p.n, p.a.load, int64_t(p.a.elem), int64_t(p.a.mode), p.a.block, outBf16}});
    }
  } else {
    p.kind = PlanKind::Gemm2d2d;
    const std::string bf16 = p.micro == Microkernel::Avx512Bf16 ? "_bf16" : p.micro == Microkernel::AmxBf16 ? "_amx" : "";
    p.a = operandPlan(a, op.find("qa"), *aLayout, false);
    p.b = operandPlan(b, op.find("qb"), *bLayout, false);
    const bool aT = *aLayout == ir::OperandLayout::KM, bT = *bLayout == ir::OperandLayout::NM;
    p.k = staticDim(a, aT ? 0 : 1);
    p.n = staticDim(b, bT ? 0 : 1);
    // Both operands in one stage: column tiles of A, then of B, each quantized along the group's tokens.
    // bf16 pairs: 1024 columns an item, so each visit to a token's row (rows far apart, each on its own
    // pages) reads 2 KB: 128 -> 256 columns ran the packing stage 2x as fast (16384 x 3072: 13 ms -> 6.6),
    // 256 -> 1024 another 1.2-1.5x (9.1 -> 7.3-7.6 ms there, 4096 x 2048 in 16 groups 1.72 -> 1.19 ms;
    // wgrad 3-10% faster, on the AMX host too).
    if (!bf16.empty()) p.colsPerItem = 1024;
    p.stages.push_back({"pack", "mxjit_pack_token_operands" + bf16, ItemGrid::GroupColumnTiles,
                        ceilDiv(p.k, p.colsPerItem) + ceilDiv(p.n, p.colsPerItem), true,
                        {p.k, aT, p.a.load, int64_t(p.a.elem), int64_t(p.a.mode), p.a.block, p.n, bT, p.b.load,
                         int64_t(p.b.elem), int64_t(p.b.mode), p.b.block, p.colsPerItem}});
    // Empty groups still get items: their gradient is written as zeros.
    // Each item: rowsPerItem rows of K (several microtiles sharing each B panel), every column of N.
    p.stages.push_back({"gemm", fmt::format("mxjit_gemm_2d2d{}_{}x{}", bf16, p.mr, p.nr), ItemGrid::GroupPanels,
                        ceilDiv(p.k, p.rowsPerItem), false, {p.k, p.n, outBf16, p.rowsPerItem}});
  }
  p.stem = fmt::format("mxjit_{}_{}_{}_K{}_N{}_G{}_a{}_b{}_o{}_{}",
                       *kind == ir::GemmKind::G2d2d ? "mm2d2d" : p.streamPanels ? "mm2d3d_stream" : "mm2d3d",
                       quantTag(p.a), quantTag(p.b), p.k, p.n, p.groups, ir::operandLayoutName(*aLayout),
                       ir::operandLayoutName(*bLayout), dtypeName(p.out), microName(p.micro));
}

void lowerQuantize(const ir::Op& op, KernelPlan& p) {
  const ir::Value* x = op.operands[0];
  if (x->def) unsupported(fmt::format("operand %{} is computed by another op", x->name));
  const int64_t axis = op.intAttr("axis"), rank = x->type.rank();
  p.a.load = x->type.dtype == DType::F32 ? abi::kQuantizeF32 : abi::kQuantizeBf16;
  p.a.elem = parseElemFormat(op.wordAttr("elem"));
  p.a.mode = parseScaleMode(op.wordAttr("mode"));
  p.a.block = static_cast<int32_t>(op.intAttr("block"));
  p.out = p.a.elem == ElemFormat::E4M3 ? DType::E4M3 : DType::E5M2;
  const int32_t inF32 = p.a.load == abi::kQuantizeF32;
  // bf16 input on AVX-512 hosts is quantized in its own 16-bit lanes (helpers' Bf16LaneQuantize.h).
  const bool lanes = !inF32 && p.micro == Microkernel::Avx512Bf16;
  std::string axisTag;
  if (axis == rank - 1) {
    p.kind = PlanKind::QuantizeRows;
    p.k = staticDim(x, static_cast<int>(rank - 1));
    if (op.operands.size() > 1) unsupported("group offsets on a quantize along the last axis");
    if (lanes)
      p.stages.push_back({"quantize", "mxjit_quantize_rows_bf16", ItemGrid::RowTiles, 0, true,
                          {p.k, int64_t(p.a.elem), int64_t(p.a.mode), p.a.block}});
    else
      p.stages.push_back({"quantize", "mxjit_quantize_rows", ItemGrid::RowTiles, 0, true,
                          {p.k, inF32, int64_t(p.a.elem), int64_t(p.a.mode), p.a.block}});
    axisTag = "last";
  } else if (axis == 0 && rank == 2) {
    p.kind = PlanKind::QuantizeCols;
    p.n = staticDim(x, 1);
    p.grouped = op.operands.size() > 1;
    p.groups = p.grouped ? staticDim(op.operands[1], 0) : 1;
    if (lanes)
      p.stages.push_back({"quantize", "mxjit_quantize_cols_bf16", ItemGrid::GroupColumnTiles, ceilDiv(p.n, p.colsPerItem), true,
                          {p.n, int64_t(p.a.elem), int64_t(p.a.mode), p.a.block, p.colsPerItem}});
    else
      p.stages.push_back({"quantize", "mxjit_quantize_cols", ItemGrid::GroupColumnTiles, ceilDiv(p.n, p.colsPerItem), true,
                          {p.n, inF32, int64_t(p.a.elem), int64_t(p.a.mode), p.a.block, p.colsPerItem}});
    axisTag = p.grouped ? fmt::format("m_grouped{}", p.groups) : "m";
  } else {
    unsupported(fmt::format("quantize along axis {} of a rank-{} tensor (kernels quantize along the last axis or "
                            "along axis 0 of a 2-D tensor)", axis, rank));
  }
  p.stem = fmt::format("mxjit_quantize_{}_{}_{}_K{}_N{}_{}", axisTag, dtypeName(x->type.dtype), quantTag(p.a), p.k, p.n,
                       microName(p.micro));
}

}  // namespace

Microkernel selectMicrokernel(bool avx512, bool avx512bf16, bool amx) {
  if (amx && avx512bf16) return Microkernel::AmxBf16;
  return avx512bf16 ? Microkernel::Avx512Bf16 : avx512 ? Microkernel::Avx512 : Microkernel::Portable;
}

KernelPlan lowerToPlan(const ir::Module& m, Microkernel micro, const PlanOptions& options) {
  if (m.functions.size() != 1) unsupported(fmt::format("expected one function, found {}", m.functions.size()));
  const ir::Function& f = *m.functions[0];
  std::vector<const ir::Op*> work;
  for (const auto& op : f.ops)
    if (op->kind != ir::OpKind::Return) work.push_back(op.get());
  if (work.size() != 1)
    unsupported(fmt::format("@{} has {} ops after fusion; a kernel plan covers one grouped_mm or one quantize", f.name,
                            work.size()));
  KernelPlan p;
  p.specialized = ir::print(*work[0]);
  const bool gemm = work[0]->kind == ir::OpKind::GroupedMM;
  const bool is2d3d = gemm && work[0]->wordAttr("kind") == "2d3d";
  // Panel-packed weights decode with AVX512-BF16 code (AMX hosts have it).
  const bool panelPacked = is2d3d && work[0]->wordAttr("b") == ir::operandLayoutName(ir::OperandLayout::PNK);
  if (panelPacked && micro != Microkernel::Avx512Bf16 && micro != Microkernel::AmxBf16)
    unsupported(fmt::format("b=pnk (panel-packed weights) runs on AVX512-BF16 hosts; this target's microkernel is {}",
                            microkernelName(micro)));
  p.streamPanels = options.streamPanels && is2d3d;
  // AMX runs the row-tile 2d3d plan, the 2d2d plan but for decode-size groups, and the weight-streaming
  // plans (on panel-packed weights, in column tiles, or on panels: lowerGemm); quantize keeps the
  // AVX512-BF16 kernels, which every AMX host has.
  const bool amxPlan = gemm && (is2d3d ? !p.streamPanels || panelPacked : !options.smallGroups);
  const bool amxHost = micro == Microkernel::AmxBf16;
  if (amxHost && !amxPlan) micro = Microkernel::Avx512Bf16;
  p.micro = micro;
  p.mr = micro == Microkernel::Portable ? 4 : micro == Microkernel::AmxBf16 ? 32 : 8;
  p.nr = micro == Microkernel::Portable ? 16 : 32;
  // AMX: 4 slabs of 32 rows share each 16 KiB chunk of a B panel in L1.
  if (micro == Microkernel::AmxBf16) p.rowsPerItem = 128;
  switch (work[0]->kind) {
  case ir::OpKind::GroupedMM: lowerGemm(*work[0], options, amxHost, p); break;
  case ir::OpKind::Quantize: lowerQuantize(*work[0], p); break;
  default: unsupported(fmt::format("no kernel for {}", ir::opName(work[0]->kind)));
  }
  return p;
}

}  // namespace mxjit::plan
