// Dequantize-on-load: a grouped_mm whose weights arrive as fp8 codes + e8m0 scales (an MX function
// argument) compiles to a kernel that decodes them while packing, and equals the reference, which
// quantizes the same bf16 weights itself.
#include "JitTestUtil.h"
#include "Parallel.h"
#include "RuntimeImpl.h"
#include "formats/Quantize.h"
#include "ir/Parser.h"
#include "reference/GroupedMM.h"

#include <gtest/gtest.h>

using namespace mxjit;
using namespace mxjit::test;

namespace {

TEST(Prequantized, WeightsDequantizeOnLoadMatchReference) {
  const std::vector<int32_t> sizes = {30, 0, 45};
  GemmProblem p = makeProblem(sizes, 0, 64, 96, /*enk=*/true, 21);
  const QuantRecipe recipe{ElemFormat::E4M3, ElemFormat::E4M3, 32, ScaleMode::Floor};
  const formats::MXTensor qw = formats::quantize(p.w.view(), 2, ElemFormat::E4M3, 32, ScaleMode::Floor);

  Runtime rt;
  runtime::KernelSpec spec = runtime::KernelSpec::zeroed();
  spec.kind = runtime::SpecKind::Gemm2d3d;
  spec.bDType = uint8_t(DType::E4M3);  // the prequantized operand makes this key unlike any API call's
  spec.k = p.k, spec.n = p.n, spec.groups = p.experts;
  auto kernel = rt.impl().kernelFor(
      spec,
      [] {
        return ir::parse(R"(func @f(%a: bf16[M,K], %w: mx<e4m3,block=32,axis=2,scales=plain>[E,N,K], %offs: i32[E]) -> bf16[M,N] {
  %qa = mx.quantize %a axis=1 elem=e4m3 block=32 mode=floor
  %y = mx.grouped_mm %qa, %w, %offs kind=2d3d out=bf16 a=mk b=enk
  return %y
}
)");
      },
      {{"K", p.k}, {"N", p.n}, {"E", p.experts}});
  EXPECT_NE(kernel->plan.toString().find("b: dequantize-on-load(fp8)"), std::string::npos);

  HostTensor out(DType::BF16, {p.m, p.n}), want(DType::BF16, {p.m, p.n});
  mxjit::abi::KernelArgs args;
  std::memset(&args, 0, sizeof args);
  args.a = p.a.bytes(), args.b = qw.qdata.bytes(), args.bScales = qw.scales.bytes();
  args.offs = p.offs.data<int32_t>(), args.groups = p.experts, args.out = out.bytes(), args.m = p.m;
  runtime::runKernel(*kernel, args, {p.offs.data<int32_t>(), sizes.size()}, 0);
  reference::groupedMMForward(p.a.view(), p.w.view(), WeightLayout::ENK, p.offs.view(), recipe, want.view());
  EXPECT_EQ(differingElements(out, want), 0);
}

}  // namespace
