// The API entry points: validate (the same checks as the reference), form the cache key, get the kernel
// (compiling on a miss), run it.
#include "OpModules.h"
#include "Parallel.h"
#include "RuntimeImpl.h"
#include "ir/GemmAttrs.h"
#include "mxjit/Error.h"
#include "mxjit/Ops.h"
#include "support/GroupedMMShape.h"

#include <fmt/format.h>

#include <cstring>

namespace mxjit {
namespace {

using runtime::KernelSpec;
using runtime::SpecKind;

KernelSpec gemmSpec(SpecKind kind, DType a, DType b, DType out, ir::OperandLayout aLayout, ir::OperandLayout bLayout,
                    ElemFormat aElem, ElemFormat bElem, const QuantRecipe& r, int64_t k, int64_t n, int64_t groups) {
  KernelSpec s = KernelSpec::zeroed();
  s.kind = kind;
  s.aDType = uint8_t(a), s.bDType = uint8_t(b), s.outDType = uint8_t(out);
  s.aLayout = uint8_t(aLayout), s.bLayout = uint8_t(bLayout);
  s.aElem = uint8_t(aElem), s.bElem = uint8_t(bElem), s.mode = uint8_t(r.mode);
  s.block = r.block;
  s.k = k, s.n = n, s.groups = groups;
  return s;
}

ir::OperandLayout weightOperand(WeightLayout l) { return l == WeightLayout::ENK ? ir::OperandLayout::ENK : ir::OperandLayout::EKN; }

abi::KernelArgs kernelArgs(const void* a, const void* b, const TensorView& offs, void* out, int64_t m) {
  abi::KernelArgs args;
  std::memset(&args, 0, sizeof args);
  args.a = a, args.b = b, args.out = out;
  args.offs = offs.as<const int32_t>();
  args.m = m;
  args.groups = offs.numel();
  return args;
}

std::span<const int32_t> offsSpan(const TensorView& offs) {
  return {offs.as<const int32_t>(), static_cast<size_t>(offs.numel())};
}

void requireData(const TensorView& t, std::string_view what) {
  if (t.numel() > 0 && t.data == nullptr) throw Error(ErrorKind::InvalidArgument, fmt::format("{} has a null data pointer", what));
}

// 2d3d outputs are written only for rows inside a group; the rest are zero by contract.
void zeroRowsPastLastGroup(const TensorView& out, const GroupedMMShape& s) {
  const int64_t last = s.groups.empty() ? 0 : s.groups.back().end, rowBytes = out.nbytes() / std::max<int64_t>(s.m, 1);
  if (last < s.m) std::memset(static_cast<char*>(out.data) + last * rowBytes, 0, (s.m - last) * rowBytes);
}

}  // namespace

void grouped_mm(const TensorView& a, const TensorView& w, WeightLayout layout, const TensorView& offs,
                const QuantRecipe& recipe, const TensorView& out, Runtime& runtime) {
  const GroupedMMShape s = checkForward(a, w, layout, offs, recipe, out);
  for (auto [t, name] : {std::pair{&a, "A"}, {&w, "W"}, {&out, "out"}}) requireData(*t, name);
  auto kernel = runtime.impl().kernelFor(
      gemmSpec(SpecKind::Gemm2d3d, a.dtype, w.dtype, out.dtype, ir::OperandLayout::MK, weightOperand(layout), recipe.fwdElem,
               recipe.fwdElem, recipe, s.k, s.n, s.experts),
      [&] { return runtime::forwardModule(a.dtype, w.dtype, layout, recipe, out.dtype); },
      {{"K", s.k}, {"N", s.n}, {"E", s.experts}});
  runtime::runKernel(*kernel, kernelArgs(a.data, w.data, offs, out.data, s.m), offsSpan(offs), runtime.options().threads);
  zeroRowsPastLastGroup(out, s);
}

void grouped_mm_backward(const TensorView& a, const TensorView& w, WeightLayout layout, const TensorView& offs,
                         const TensorView& gradOut, const QuantRecipe& recipe, const TensorView& gradA,
                         const TensorView& gradB, Runtime& runtime) {
  const GroupedMMShape d = checkDgrad(gradOut, w, layout, offs, recipe, gradA);
  const GroupedMMShape g = checkWgrad(a, gradOut, offs, recipe, gradB);
  if (a.dim(1) != d.k)
    throw Error(ErrorKind::ShapeMismatch, fmt::format("A has shape {} but W has K={}", shapeString(a.shape), d.k));
  for (auto [t, name] : {std::pair{&a, "A"}, {&w, "W"}, {&gradOut, "grad_out"}, {&gradA, "grad_A"}, {&gradB, "grad_B"}})
    requireData(*t, name);
  auto dgrad = runtime.impl().kernelFor(
      // dgrad is a 2d3d over B^T: contraction N, columns K, the weight layout flipped by fold-relayouts.
      gemmSpec(SpecKind::Gemm2d3d, gradOut.dtype, w.dtype, gradA.dtype, ir::OperandLayout::MK,
               ir::flipped(weightOperand(layout)), recipe.gradElem, recipe.fwdElem, recipe, d.n, d.k, d.experts),
      [&] { return runtime::dgradModule(gradOut.dtype, w.dtype, layout, recipe, gradA.dtype); },
      {{"K", d.k}, {"N", d.n}, {"E", d.experts}});
  auto wgrad = runtime.impl().kernelFor(
      gemmSpec(SpecKind::Gemm2d2d, a.dtype, gradOut.dtype, gradB.dtype, ir::OperandLayout::MK, ir::OperandLayout::MN,
               recipe.fwdElem, recipe.gradElem, recipe, g.k, g.n, g.experts),
      [&] { return runtime::wgradModule(a.dtype, gradOut.dtype, recipe, gradB.dtype); },
      {{"K", g.k}, {"N", g.n}, {"E", g.experts}});
  runtime::runKernel(*dgrad, kernelArgs(gradOut.data, w.data, offs, gradA.data, d.m), offsSpan(offs), runtime.options().threads);
  zeroRowsPastLastGroup(gradA, d);
  runtime::runKernel(*wgrad, kernelArgs(a.data, gradOut.data, offs, gradB.data, g.m), offsSpan(offs), runtime.options().threads);
}

void quantize(const TensorView& x, int axis, ElemFormat elem, int block, ScaleMode mode, const TensorView& qdata,
              const TensorView& scales, const TensorView* groupOffs, Runtime& runtime) {
  validateRecipe(QuantRecipe{elem, elem, block, mode});
  expectDType(x, "x", {DType::F32, DType::BF16});
  if (x.rank() < 1) throw Error(ErrorKind::ShapeMismatch, "x must have at least one dim");
  const int64_t rank = x.rank(), resolved = axis < 0 ? axis + rank : axis;
  if (resolved < 0 || resolved >= rank) throw Error(ErrorKind::InvalidArgument, fmt::format("axis {} is out of range for x with {} dims", axis, rank));
  const bool lastAxis = resolved == rank - 1;
  if (!lastAxis && !(resolved == 0 && rank == 2))
    throw Error(ErrorKind::Unsupported, fmt::format("quantize along axis {} of a rank-{} tensor: the JIT quantizes along the last axis or along axis 0 of a 2-D tensor", axis, rank));
  if (groupOffs && lastAxis) throw Error(ErrorKind::InvalidArgument, "group offsets apply only to a quantize along axis 0");
  // Along the last axis any rank is a 2-D (rows, K) problem.
  const int64_t cols = x.shape.back(), rows = cols ? x.numel() / cols : 0;
  const int64_t along = lastAxis ? cols : rows;
  std::vector<GroupRange> groups;
  if (groupOffs) {
    expectDType(*groupOffs, "group offsets", {DType::I32});
    expectRank(*groupOffs, "group offsets", 1);
    groups = groupRanges(offsSpan(*groupOffs), rows, "group offsets");
  } else if (along % block != 0) {
    throw Error(ErrorKind::InvalidArgument, fmt::format("x has shape {}: dim {} (size {}) is not a multiple of the block size {}",
                                                        shapeString(x.shape), resolved, along, block));
  }
  int64_t scaleRows = lastAxis ? rows : along / block;
  if (groupOffs) {
    scaleRows = 0;
    for (const GroupRange& g : groups) scaleRows += (g.size() + block - 1) / block;
  }
  expectDType(qdata, "qdata", {elem == ElemFormat::E4M3 ? DType::E4M3 : DType::E5M2, DType::U8});
  if (qdata.shape != x.shape)
    throw Error(ErrorKind::ShapeMismatch, fmt::format("qdata has shape {}; expected {} (the shape of x)", shapeString(qdata.shape), shapeString(x.shape)));
  expectDType(scales, "scales", {DType::E8M0, DType::U8});
  std::vector<int64_t> scaleShape = x.shape;
  if (lastAxis) scaleShape.back() = cols / block;
  else scaleShape[0] = scaleRows;
  if (scales.shape != scaleShape)
    throw Error(ErrorKind::ShapeMismatch, fmt::format("scales has shape {}; expected {}", shapeString(scales.shape), shapeString(scaleShape)));
  for (auto [t, name] : {std::pair{&x, "x"}, {&qdata, "qdata"}, {&scales, "scales"}}) requireData(*t, name);

  KernelSpec spec = KernelSpec::zeroed();
  spec.kind = lastAxis ? SpecKind::QuantizeLastAxis : SpecKind::QuantizeAxis0;
  spec.aDType = uint8_t(x.dtype), spec.aElem = uint8_t(elem), spec.mode = uint8_t(mode), spec.block = block;
  spec.grouped = groupOffs != nullptr;
  spec.k = lastAxis ? cols : 0, spec.n = lastAxis ? 0 : cols;
  spec.groups = groupOffs ? groupOffs->numel() : 0;
  std::map<std::string, int64_t> bindings = {{lastAxis ? "K" : "N", cols}};
  if (groupOffs) bindings["E"] = groupOffs->numel();
  auto kernel = runtime.impl().kernelFor(
      spec, [&] { return runtime::quantizeModule(x.dtype, lastAxis ? 1 : 0, elem, block, mode, groupOffs != nullptr); }, bindings);
  abi::KernelArgs args;
  std::memset(&args, 0, sizeof args);
  args.a = x.data, args.out = qdata.data, args.outScales = static_cast<uint8_t*>(scales.data);
  args.m = rows;
  if (groupOffs) args.offs = groupOffs->as<const int32_t>(), args.groups = groupOffs->numel();
  runtime::runKernel(*kernel, args, groupOffs ? offsSpan(*groupOffs) : std::span<const int32_t>{}, runtime.options().threads);
}

}  // namespace mxjit
