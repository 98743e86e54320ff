// The forward on prequantized operands: check the codes and scales, bring scales in the blocked or
// flashinfer layouts to the plain layout the kernels read (these are 1/block of the data), then run the
// kernel that decodes fp8 + e8m0 while packing. Also pack_weights, and the forward on packed weights.
#include "OpModules.h"
#include "Parallel.h"
#include "RuntimeImpl.h"
#include "formats/BlockedScales.h"
#include "formats/PackedScales.h"
#include "formats/PanelPackedWeights.h"
#include "ir/GemmAttrs.h"
#include "mxjit/Error.h"
#include "mxjit/Ops.h"
#include "support/GroupedMMShape.h"

#include <fmt/format.h>

#include <cstring>

namespace mxjit {
namespace {

DType codeType(ElemFormat f) { return f == ElemFormat::E4M3 ? DType::E4M3 : DType::E5M2; }

void checkCodes(const MXTensorView& t, std::string_view what) {
  expectDType(t.qdata, what, {codeType(t.elem), DType::U8});
  validateRecipe(QuantRecipe{t.elem, t.elem, t.block, ScaleMode::RCeil});
  expectData(t.qdata, what);
  expectData(t.scales, fmt::format("{} scales", what));
}

// The shape-only view of an MX operand, so the argument checks shared with the reference apply.
TensorView shapeOf(const MXTensorView& t) {
  TensorView v = t.qdata;
  v.dtype = DType::BF16;
  return v;
}

std::span<const uint8_t> scaleBytes(const TensorView& s, std::string_view what, int64_t expected) {
  expectDType(s, what, {DType::E8M0, DType::U8});
  if (s.numel() != expected)
    throw Error(ErrorKind::ShapeMismatch, fmt::format("{} has {} codes ({}); expected {}", what, s.numel(), shapeString(s.shape), expected));
  return {s.as<const uint8_t>(), static_cast<size_t>(expected)};
}

std::span<const int32_t> scaleWords(const TensorView& s, std::string_view what, int64_t expected) {
  expectDType(s, what, {DType::I32});
  if (s.numel() != expected)
    throw Error(ErrorKind::ShapeMismatch, fmt::format("{} has {} int32 words ({}); expected {}", what, s.numel(), shapeString(s.shape), expected));
  return {s.as<const int32_t>(), static_cast<size_t>(expected)};
}

// Plain scales for the kernels: the caller's bytes when they are plain already (no copy on the hot
// path), else converted into `owned`.
struct PlainScales {
  std::vector<uint8_t> owned;
  const uint8_t* data = nullptr;
};

PlainScales plainScales(std::span<const uint8_t> callers) { return {{}, callers.data()}; }
PlainScales plainScales(std::vector<uint8_t> converted) {
  PlainScales p{std::move(converted)};
  p.data = p.owned.data();
  return p;
}

// W's scales as plain (E, N, K/block) for ENK or (E, K/block, N) for EKN.
PlainScales plainWeightScales(const MXTensorView& w, WeightLayout layout, const GroupedMMShape& s) {
  const int64_t kGroups = s.k / w.block;
  if (layout == WeightLayout::EKN && w.scaleLayout != ScaleLayout::Plain)
    throw Error(ErrorKind::Unsupported, "W scales: blocked and packed layouts describe [E,N,K] weights; give plain scales for [E,K,N]");
  switch (w.scaleLayout) {
  case ScaleLayout::Plain: return plainScales(scaleBytes(w.scales, "W scales", s.experts * s.n * kGroups));
  case ScaleLayout::Blocked128x4:
    return plainScales(formats::fromBlockedPerExpert(scaleBytes(w.scales, "W scales (blocked128x4)", s.experts * formats::blockedSizeBytes(s.n, kGroups)),
                                         s.experts, s.n, kGroups));
  case ScaleLayout::PackedI32:
    return plainScales(formats::unpackBScale(
        scaleWords(w.scales, "W scales (packed_i32)", s.experts * formats::packedKAlign(kGroups) * ((s.n + 3) / 4 * 4)),
        s.experts, s.n, kGroups));
  }
  return {};
}

// A's scales as plain (M, K/block).
PlainScales plainActivationScales(const MXTensorView& a, const TensorView& offs, const GroupedMMShape& s) {
  const int64_t kGroups = s.k / a.block;
  const std::span<const int32_t> ends(offs.as<const int32_t>(), static_cast<size_t>(s.experts));
  switch (a.scaleLayout) {
  case ScaleLayout::Plain: return plainScales(scaleBytes(a.scales, "A scales", s.m * kGroups));
  case ScaleLayout::Blocked128x4:
    return plainScales(formats::fromBlockedGroupedRows(
        scaleBytes(a.scales, "A scales (blocked128x4)", (s.m + 128 * s.experts) * ((kGroups + 3) / 4 * 4)), s.m, kGroups, ends));
  case ScaleLayout::PackedI32: {
    const std::vector<int32_t> indptr = formats::mIndptrFromOffs(ends);
    return plainScales(formats::unpackAScale(
        scaleWords(a.scales, "A scales (packed_i32)", formats::packedKAlign(kGroups) * formats::packedMPadded(s.m, s.experts)),
        s.m, kGroups, indptr));
  }
  }
  return {};
}

// The weights as the kernel takes them: MX codes [E,N,K] / [E,K,N] with scales in any layout, or packed.
struct Weights {
  const MXTensorView* mx = nullptr;
  WeightLayout layout = WeightLayout::ENK;
  const PackedWeights* packed = nullptr;

  ElemFormat elem() const { return packed ? packed->elem() : mx->elem; }
  int32_t block() const { return packed ? packed->block() : mx->block; }
  ir::OperandLayout operandLayout() const {
    return packed ? ir::OperandLayout::PNK : layout == WeightLayout::ENK ? ir::OperandLayout::ENK : ir::OperandLayout::EKN;
  }
};

void checkPacked(const PackedWeights& w) {
  if (w.codes().empty() && w.experts() * w.n() * w.k() != 0)
    throw Error(ErrorKind::InvalidArgument, "packed W holds no weights (default-constructed or moved from; make it with pack_weights)");
}

// The logical (E, N, K) shape of packed weights, for the argument checks shared with the reference.
TensorView shapeOf(const PackedWeights& w) {
  return TensorView{const_cast<uint8_t*>(w.codes().data()), DType::BF16, {w.experts(), w.n(), w.k()}};
}

void prequantizedForward(const TensorView& aValues, const MXTensorView* aMx, const Weights& w, const TensorView& offs,
                         const QuantRecipe& recipe, const TensorView& out, Runtime& runtime) {
  if (w.packed) checkPacked(*w.packed);
  else checkCodes(*w.mx, "W");
  if (aMx) checkCodes(*aMx, "A");
  QuantRecipe shapeRecipe = recipe;
  shapeRecipe.quantized = true;
  shapeRecipe.block = w.block();
  const GroupedMMShape s = checkForward(aMx ? shapeOf(*aMx) : aValues, w.packed ? shapeOf(*w.packed) : shapeOf(*w.mx),
                                        w.packed ? WeightLayout::ENK : w.layout, offs, shapeRecipe, out);
  if (!aMx) expectData(aValues, "A");
  expectData(out, "out");
  if (aMx && s.k % aMx->block != 0)
    throw Error(ErrorKind::InvalidArgument, fmt::format("A: K={} is not a multiple of its block size {}", s.k, aMx->block));
  if (!aMx && s.k % recipe.block != 0)
    throw Error(ErrorKind::InvalidArgument, fmt::format("A: K={} is not a multiple of the recipe's block size {}", s.k, recipe.block));
  const PlainScales wScales = w.packed ? PlainScales{{}, w.packed->scales().data()} : plainWeightScales(*w.mx, w.layout, s);
  const PlainScales aScales = aMx ? plainActivationScales(*aMx, offs, s) : PlainScales{};

  runtime::KernelSpec spec = runtime::KernelSpec::zeroed();
  spec.kind = runtime::SpecKind::Gemm2d3d;
  spec.aDType = uint8_t(aMx ? codeType(aMx->elem) : aValues.dtype), spec.bDType = uint8_t(codeType(w.elem()));
  spec.outDType = uint8_t(out.dtype);
  spec.aLayout = uint8_t(ir::OperandLayout::MK);
  spec.bLayout = uint8_t(w.operandLayout());
  spec.aElem = uint8_t(aMx ? aMx->elem : recipe.fwdElem), spec.bElem = uint8_t(w.elem());
  spec.mode = aMx ? 0 : uint8_t(recipe.mode);
  spec.block = aMx ? aMx->block : recipe.block;
  spec.bBlock = w.block();  // the weights' own block (may differ from the activations')
  spec.k = s.k, spec.n = s.n, spec.groups = s.experts;
  const std::optional<runtime::PrequantizedOperand> aOperand =
      aMx ? std::optional(runtime::PrequantizedOperand{aMx->elem, aMx->block}) : std::nullopt;
  abi::KernelArgs args;
  std::memset(&args, 0, sizeof args);
  args.a = aMx ? aMx->qdata.data : aValues.data;
  args.aScales = aScales.data;
  args.b = w.packed ? static_cast<const void*>(w.packed->codes().data()) : w.mx->qdata.data, args.bScales = wScales.data;
  args.offs = offs.as<const int32_t>(), args.groups = s.experts, args.out = out.data, args.m = s.m;
  runtime.impl().runGemm2d3d(
      spec, s.groups,
      [&] {
        return runtime::prequantizedForwardModule(aValues.dtype, aOperand, {w.elem(), w.block()}, w.operandLayout(), recipe,
                                                  out.dtype);
      },
      {{"K", s.k}, {"N", s.n}, {"E", s.experts}}, args, {offs.as<const int32_t>(), static_cast<size_t>(s.experts)});
  runtime::zeroRowsPastLastGroup(out, s.groups);
}

}  // namespace

void grouped_mm(const TensorView& a, const MXTensorView& w, WeightLayout layout, const TensorView& offs,
                const QuantRecipe& recipe, const TensorView& out, Runtime& runtime) {
  prequantizedForward(a, nullptr, {&w, layout}, offs, recipe, out, runtime);
}

void grouped_mm(const MXTensorView& a, const MXTensorView& w, WeightLayout layout, const TensorView& offs,
                const TensorView& out, Runtime& runtime) {
  prequantizedForward(a.qdata, &a, {&w, layout}, offs, QuantRecipe{}, out, runtime);
}

PackedWeights pack_weights(const MXTensorView& w, WeightLayout layout) {
  checkCodes(w, "W");
  expectRank(w.qdata, "W", 3);
  const bool enk = layout == WeightLayout::ENK;
  const int64_t e = w.qdata.dim(0), k = w.qdata.dim(enk ? 2 : 1), n = w.qdata.dim(enk ? 1 : 2);
  if (k % formats::kPanelScaleDepth != 0 || k % w.block != 0 || w.block % 32 != 0)
    throw Error(ErrorKind::Unsupported, fmt::format("pack_weights: K={} and block {} (packed weights need K a multiple of "
                                                    "32 and of the block, the block a multiple of 32)", k, w.block));
  GroupedMMShape s;
  s.experts = e, s.k = k, s.n = n;
  const PlainScales scales = plainWeightScales(w, layout, s);
  formats::PanelPacked packed =
      formats::packWeightPanels(static_cast<const uint8_t*>(w.qdata.data), scales.data, enk, e, k, n, w.block, w.elem);
  PackedWeights out;
  out.experts_ = e, out.n_ = n, out.k_ = k, out.elem_ = w.elem, out.block_ = w.block;
  out.codes_ = std::move(packed.codes), out.scales_ = std::move(packed.scales);
  return out;
}

void grouped_mm(const TensorView& a, const PackedWeights& w, const TensorView& offs, const QuantRecipe& recipe,
                const TensorView& out, Runtime& runtime) {
  prequantizedForward(a, nullptr, {nullptr, WeightLayout::ENK, &w}, offs, recipe, out, runtime);
}

void grouped_mm(const MXTensorView& a, const PackedWeights& w, const TensorView& offs, const TensorView& out,
                Runtime& runtime) {
  prequantizedForward(a.qdata, &a, {nullptr, WeightLayout::ENK, &w}, offs, QuantRecipe{}, out, runtime);
}

namespace {

// m_indptr (E+1, starting at 0, ending at the token count) as the group ends the other entry points take.
TensorView offsFromIndptr(const TensorView& mIndptr, int64_t tokens) {
  expectDType(mIndptr, "m_indptr", {DType::I32});
  expectRank(mIndptr, "m_indptr", 1);
  if (mIndptr.numel() < 2) throw Error(ErrorKind::InvalidArgument, "m_indptr needs E+1 >= 2 entries");
  expectData(mIndptr, "m_indptr");
  formats::validateMIndptr({mIndptr.as<const int32_t>(), static_cast<size_t>(mIndptr.numel())}, tokens);
  return TensorView{mIndptr.as<int32_t>() + 1, DType::I32, {mIndptr.numel() - 1}};
}

}  // namespace

void grouped_mm_decode(const TensorView& a, const TensorView& mIndptr, const MXTensorView& w, WeightLayout layout,
                       const QuantRecipe& recipe, const TensorView& out, Runtime& runtime) {
  prequantizedForward(a, nullptr, {&w, layout}, offsFromIndptr(mIndptr, a.rank() ? a.dim(0) : 0), recipe, out, runtime);
}

void grouped_mm_decode(const TensorView& a, const TensorView& mIndptr, const PackedWeights& w, const QuantRecipe& recipe,
                       const TensorView& out, Runtime& runtime) {
  prequantizedForward(a, nullptr, {nullptr, WeightLayout::ENK, &w}, offsFromIndptr(mIndptr, a.rank() ? a.dim(0) : 0), recipe,
                      out, runtime);
}

void grouped_mm_decode(const MXTensorView& a, const TensorView& mIndptr, const MXTensorView& w, WeightLayout layout,
                       const TensorView& out, Runtime& runtime) {
  const TensorView offs = offsFromIndptr(mIndptr, a.qdata.rank() ? a.qdata.dim(0) : 0);
  prequantizedForward(a.qdata, &a, {&w, layout}, offs, QuantRecipe{}, out, runtime);
}

}  // namespace mxjit
