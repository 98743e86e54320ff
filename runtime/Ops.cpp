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
                    const QuantRecipe& r, GemmPass pass, int64_t k, int64_t n, int64_t groups) {
  KernelSpec s = KernelSpec::zeroed();
  s.kind = kind;
  s.aDType = uint8_t(a), s.bDType = uint8_t(b), s.outDType = uint8_t(out);
  s.aLayout = uint8_t(aLayout), s.bLayout = uint8_t(bLayout);
  const auto aElem = operandFormat(r, pass, 0), bElem = operandFormat(r, pass, 1);
  s.aElem = aElem ? uint8_t(*aElem) : 0, s.bElem = bElem ? uint8_t(*bElem) : 0;
  s.highPrecision = uint8_t((aElem ? 0 : 1) | (bElem ? 0 : 2));
  if (aElem || bElem) s.mode = uint8_t(r.mode), s.block = r.block, s.bBlock = r.block;
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


}  // namespace

void grouped_mm(const TensorView& a, const TensorView& w, WeightLayout layout, const TensorView& offs,
                const QuantRecipe& recipe, const TensorView& out, Runtime& runtime) {
  const GroupedMMShape s = checkForward(a, w, layout, offs, recipe, out);
  for (auto [t, name] : {std::pair{&a, "A"}, {&w, "W"}, {&out, "out"}}) expectData(*t, name);
  const KernelSpec spec = gemmSpec(SpecKind::Gemm2d3d, a.dtype, w.dtype, out.dtype, ir::OperandLayout::MK, weightOperand(layout),
                                   recipe, GemmPass::Forward, s.k, s.n, s.experts);
  runtime.impl().runGemm2d3d(
      spec, s.groups, [&] { return runtime::forwardModule(a.dtype, w.dtype, layout, recipe, out.dtype); },
      {{"K", s.k}, {"N", s.n}, {"E", s.experts}}, kernelArgs(a.data, w.data, offs, out.data, s.m), offsSpan(offs));
  runtime::zeroRowsPastLastGroup(out, s.groups);
}

void grouped_mm_backward(const TensorView& a, const TensorView& w, WeightLayout layout, const TensorView& offs,
                         const TensorView& gradOut, const QuantRecipe& recipe, const TensorView& gradA,
                         const TensorView& gradB, Runtime& runtime) {
  const GroupedMMShape d = checkDgrad(gradOut, w, layout, offs, recipe, gradA);
  const GroupedMMShape g = checkWgrad(a, gradOut, offs, recipe, gradB);
  if (a.dim(1) != d.k)
    throw Error(ErrorKind::ShapeMismatch, fmt::format("A has shape {} but W has K={}", shapeString(a.shape), d.k));
  for (auto [t, name] : {std::pair{&a, "A"}, {&w, "W"}, {&gradOut, "grad_out"}, {&gradA, "grad_A"}, {&gradB, "grad_B"}})
    expectData(*t, name);
  // dgrad is a 2d3d over B^T: contraction N, columns K, the weight layout flipped by fold-relayouts.
  const KernelSpec dgradSpec = gemmSpec(SpecKind::Gemm2d3d, gradOut.dtype, w.dtype, gradA.dtype, ir::OperandLayout::MK,
                                        ir::flipped(weightOperand(layout)), recipe, GemmPass::Dgrad, d.n, d.k, d.experts);
  KernelSpec wgradSpec = gemmSpec(SpecKind::Gemm2d2d, a.dtype, gradOut.dtype, gradB.dtype, ir::OperandLayout::MK,
                                  ir::OperandLayout::MN, recipe, GemmPass::Wgrad, g.k, g.n, g.experts);
  runtime.impl().bucketTokenGroups(wgradSpec, g.groups);
  auto wgrad = runtime.impl().kernelFor(
      wgradSpec,
      [&] { return runtime::wgradModule(a.dtype, gradOut.dtype, recipe, gradB.dtype); },
      {{"K", g.k}, {"N", g.n}, {"E", g.experts}});
  runtime.impl().runGemm2d3d(
      dgradSpec, d.groups, [&] { return runtime::dgradModule(gradOut.dtype, w.dtype, layout, recipe, gradA.dtype); },
      {{"K", d.k}, {"N", d.n}, {"E", d.experts}}, kernelArgs(gradOut.data, w.data, offs, gradA.data, d.m), offsSpan(offs));
  runtime::zeroRowsPastLastGroup(gradA, d.groups);
  runtime::runKernel(*wgrad, kernelArgs(a.data, gradOut.data, offs, gradB.data, g.m), offsSpan(offs), runtime.options());
}

}  // namespace mxjit
