// Dequantize-on-load: a grouped_mm whose weights arrive as fp8 codes + e8m0 scales (an MX function
// argument) compiles to a kernel that decodes them while packing, and equals the reference, which
// quantizes the same bf16 weights itself.
#include "JitTestUtil.h"
#include "Parallel.h"
#include "RuntimeImpl.h"
#include "common/ErrorOf.h"
#include "formats/BlockedScales.h"
#include "formats/PackedScales.h"
#include "formats/Quantize.h"
#include "mxjit/Ops.h"
#include "plan/KernelPlan.h"

#include <gmock/gmock.h>
#include "ir/Parser.h"
#include "reference/GroupedMM.h"

#include <gtest/gtest.h>
#include <fmt/format.h>


using namespace mxjit;
using namespace mxjit::test;

namespace {

// The forward of bf16 A (quantized per `mode`, E4M3, block 32) and prequantized E4M3 [E,N,K] weights,
// compiled for `spec` straight from its IR (no API call makes this key) and run on p's groups.
std::shared_ptr<const runtime::Kernel> runPrequantizedForward(Runtime& rt, runtime::KernelSpec spec, const GemmProblem& p,
                                                              const formats::MXTensor& qw, ScaleMode mode, HostTensor& out) {
  spec.kind = runtime::SpecKind::Gemm2d3d;
  spec.bDType = uint8_t(DType::E4M3);
  spec.mode = uint8_t(mode);
  spec.k = p.k, spec.n = p.n, spec.groups = p.experts;
  auto kernel = rt.impl().kernelFor(
      spec,
      [mode] {
        return ir::parse(fmt::format(R"(func @f(%a: bf16[M,K], %w: mx<e4m3,block=32,axis=2,scales=plain>[E,N,K], %offs: i32[E]) -> bf16[M,N] {{
  %qa = mx.quantize %a axis=1 elem=e4m3 block=32 mode={}
  %y = mx.grouped_mm %qa, %w, %offs kind=2d3d out=bf16 a=mk b=enk
  return %y
}}
)", scaleModeName(mode)));
      },
      {{"K", p.k}, {"N", p.n}, {"E", p.experts}});
  mxjit::abi::KernelArgs args;
  std::memset(&args, 0, sizeof args);
  args.a = p.a.bytes(), args.b = qw.qdata.bytes(), args.bScales = qw.scales.bytes();
  args.offs = p.offs.data<int32_t>(), args.groups = p.experts, args.out = out.bytes(), args.m = p.m;
  runtime::runKernel(*kernel, args, {p.offs.data<int32_t>(), size_t(p.experts)}, RuntimeOptions{});
  return kernel;
}

TEST(Prequantized, WeightsDequantizeOnLoadMatchReference) {
  const std::vector<int32_t> sizes = {30, 0, 45};
  GemmProblem p = makeProblem(sizes, 0, 64, 96, /*enk=*/true, 21);
  const QuantRecipe recipe{ElemFormat::E4M3, ElemFormat::E4M3, 32, ScaleMode::Floor};
  const formats::MXTensor qw = formats::quantize(p.w.view(), 2, ElemFormat::E4M3, 32, ScaleMode::Floor);
  Runtime rt;
  HostTensor out(DType::BF16, {p.m, p.n}), want(DType::BF16, {p.m, p.n});
  auto kernel = runPrequantizedForward(rt, runtime::KernelSpec::zeroed(), p, qw, ScaleMode::Floor, out);
  EXPECT_NE(kernel->plan.toString().find("b: dequantize-on-load(fp8)"), std::string::npos);
  reference::groupedMMForward(p.a.view(), p.w.view(), WeightLayout::ENK, p.offs.view(), recipe, want.view());
  EXPECT_EQ(gemmMismatches(out, want, p.a, p.w, true, p.offs, rt), 0);
}

// The API with prequantized operands, every scale layout: plain, 128x4 blocked, flashinfer packed.
class PrequantizedApi : public ::testing::TestWithParam<ScaleLayout> {};

TEST_P(PrequantizedApi, WeightsAndActivationsInEveryScaleLayout) {
  const ScaleLayout layout = GetParam();
  const std::vector<int32_t> sizes = {3, 0, 140, 1, 8};
  GemmProblem p = makeProblem(sizes, 0, 128, 40, /*enk=*/true, 31);
  const QuantRecipe recipe{ElemFormat::E4M3, ElemFormat::E4M3, 32, ScaleMode::Ceil};
  const formats::MXTensor qw = formats::quantize(p.w.view(), 2, ElemFormat::E4M3, 32, ScaleMode::Ceil);
  const formats::MXTensor qa = formats::quantize(p.a.view(), 1, ElemFormat::E4M3, 32, ScaleMode::Ceil);
  const int64_t kGroups = p.k / 32;
  const std::span<const int32_t> ends(p.offs.data<int32_t>(), sizes.size());
  // Scales in the layout under test, built with lib/formats (tested against torchao's definitions).
  std::vector<uint8_t> wBytes, aBytes;
  std::vector<int32_t> wWords, aWords;
  TensorView wScales = qw.scales.view(), aScales = qa.scales.view();
  if (layout == ScaleLayout::Blocked128x4) {
    wBytes = formats::toBlockedPerExpert({qw.scales.bytes(), size_t(qw.scales.nbytes())}, p.experts, p.n, kGroups);
    aBytes = formats::toBlockedGroupedRows({qa.scales.bytes(), size_t(qa.scales.nbytes())}, p.m, kGroups, ends);
    wScales = TensorView{wBytes.data(), DType::E8M0, {int64_t(wBytes.size())}};
    aScales = TensorView{aBytes.data(), DType::E8M0, {int64_t(aBytes.size())}};
  } else if (layout == ScaleLayout::PackedI32) {
    wWords = formats::packBScale({qw.scales.bytes(), size_t(qw.scales.nbytes())}, p.experts, p.n, kGroups).words;
    aWords = formats::packAScale({qa.scales.bytes(), size_t(qa.scales.nbytes())}, p.m, kGroups, formats::mIndptrFromOffs(ends)).words;
    wScales = TensorView{wWords.data(), DType::I32, {int64_t(wWords.size())}};
    aScales = TensorView{aWords.data(), DType::I32, {int64_t(aWords.size())}};
  }
  const MXTensorView w{qw.qdata.view(), wScales, ElemFormat::E4M3, 32, layout};
  const MXTensorView a{qa.qdata.view(), aScales, ElemFormat::E4M3, 32, layout};

  HostTensor want(DType::BF16, {p.m, p.n}), gotW(DType::BF16, {p.m, p.n}), gotAW(DType::BF16, {p.m, p.n});
  reference::groupedMMForward(p.a.view(), p.w.view(), WeightLayout::ENK, p.offs.view(), recipe, want.view());
  grouped_mm(p.a.view(), w, WeightLayout::ENK, p.offs.view(), recipe, gotW.view());
  grouped_mm(a, w, WeightLayout::ENK, p.offs.view(), gotAW.view());
  EXPECT_EQ(gemmMismatches(gotW, want, p.a, p.w, true, p.offs), 0) << "prequantized W";
  EXPECT_EQ(gemmMismatches(gotAW, want, p.a, p.w, true, p.offs), 0) << "prequantized A and W";
}

INSTANTIATE_TEST_SUITE_P(ScaleLayouts, PrequantizedApi,
                         ::testing::Values(ScaleLayout::Plain, ScaleLayout::Blocked128x4, ScaleLayout::PackedI32));

TEST(PrequantizedApi, EknWeightsWithPlainScales) {
  GemmProblem p = makeProblem({17, 30}, 1, 64, 32, /*enk=*/false, 32);
  const formats::MXTensor qw = formats::quantize(p.w.view(), 1, ElemFormat::E5M2, 32, ScaleMode::RCeil);
  const QuantRecipe recipe{ElemFormat::E4M3, ElemFormat::E4M3, 32, ScaleMode::RCeil};
  HostTensor got(DType::F32, {p.m, p.n}), want(DType::F32, {p.m, p.n});
  grouped_mm(p.a.view(), MXTensorView{qw.qdata.view(), qw.scales.view(), ElemFormat::E5M2, 32}, WeightLayout::EKN,
             p.offs.view(), recipe, got.view());
  // E5M2 weights beside E4M3 activations is no recipe of the reference: its oracle is the high-precision
  // (bf16 recipe) product of the two dequantized operands, which is the same sum in the same order.
  const HostTensor wHat = formats::dequantize(qw, DType::BF16);
  const formats::MXTensor qa = formats::quantize(p.a.view(), 1, ElemFormat::E4M3, 32, ScaleMode::RCeil);
  const HostTensor aHat = formats::dequantize(qa, DType::BF16);
  reference::groupedMMForward(aHat.view(), wHat.view(), WeightLayout::EKN, p.offs.view(), recipePreset("bf16"), want.view());
  EXPECT_EQ(gemmMismatches(got, want, p.a, p.w, false, p.offs), 0);
}

// Every weight layout, element format and block the vector packers take, through the decode plan (at
// most 16 rows per expert) and the general one; full 32-column panels and a partial last one (N = 96 + 8).
TEST(PrequantizedApi, WeightPanelsInEveryLayoutFormatAndBlock) {
  for (bool enk : {true, false})
    for (ElemFormat elem : {ElemFormat::E4M3, ElemFormat::E5M2})
      for (int32_t block : {32, 128})
        for (const std::vector<int32_t>& sizes : {std::vector<int32_t>{3, 0, 16, 1}, std::vector<int32_t>{40, 0, 70}}) {
          GemmProblem p = makeProblem(sizes, 2, 256, 104, enk, 33);
          const formats::MXTensor qw = formats::quantize(p.w.view(), enk ? 2 : 1, elem, block, ScaleMode::RCeil);
          const QuantRecipe recipe{ElemFormat::E4M3, ElemFormat::E4M3, 32, ScaleMode::RCeil};
          const WeightLayout layout = enk ? WeightLayout::ENK : WeightLayout::EKN;
          HostTensor got(DType::F32, {p.m, p.n}), want(DType::F32, {p.m, p.n});
          grouped_mm(p.a.view(), MXTensorView{qw.qdata.view(), qw.scales.view(), elem, block}, layout, p.offs.view(), recipe,
                     got.view());
          const HostTensor wHat = formats::dequantize(qw, DType::BF16);
          const HostTensor aHat = formats::dequantize(formats::quantize(p.a.view(), 1, ElemFormat::E4M3, 32, ScaleMode::RCeil), DType::BF16);
          reference::groupedMMForward(aHat.view(), wHat.view(), layout, p.offs.view(), recipePreset("bf16"), want.view());
          EXPECT_EQ(gemmMismatches(got, want, p.a, p.w, enk, p.offs), 0)
              << (enk ? "enk " : "ekn ") << elemFormatName(elem) << " block " << block << " rows " << sizes[0];
        }
}

// A column-tile kernel given groups larger than its plan assumed (a kernel is chosen per call, but it
// must not depend on that): rows past kColumnTileRows go in further batches of 8, each over every tile
// again. K = 4096 + 32 ends in a half step (the cold path).
TEST(Prequantized, ColumnTileKernelTakesGroupsPastItsRows) {
  const std::vector<int32_t> sizes = {40, 0, 2 * int32_t(plan::kColumnTileRows) + 5, 7};
  GemmProblem p = makeProblem(sizes, 0, 4096 + 32, 64, /*enk=*/true, 36);
  const QuantRecipe recipe{ElemFormat::E4M3, ElemFormat::E4M3, 32, ScaleMode::RCeil};
  const formats::MXTensor qw = formats::quantize(p.w.view(), 2, ElemFormat::E4M3, 32, ScaleMode::RCeil);
  Runtime rt;
  if (rt.targetName() != "avx512bf16" && rt.targetName() != "amx") GTEST_SKIP() << "column tiles are the AVX512-BF16 plan's";
  runtime::KernelSpec spec = runtime::KernelSpec::zeroed();
  spec.streamPanels = 2;  // as if every group had at most kColumnTileRows rows
  HostTensor out(DType::BF16, {p.m, p.n}), want(DType::BF16, {p.m, p.n});
  auto kernel = runPrequantizedForward(rt, spec, p, qw, ScaleMode::RCeil, out);
  ASSERT_TRUE(kernel->plan.columnTiles) << kernel->plan.toString();
  reference::groupedMMForward(p.a.view(), p.w.view(), WeightLayout::ENK, p.offs.view(), recipe, want.view());
  EXPECT_EQ(gemmMismatches(out, want, p.a, p.w, true, p.offs, rt), 0);
}

TEST(PrequantizedApi, BadScalesAreNamed) {
  GemmProblem p = makeProblem({8}, 0, 64, 32, true, 33);
  const formats::MXTensor qw = formats::quantize(p.w.view(), 2, ElemFormat::E4M3, 32, ScaleMode::RCeil);
  HostTensor out(DType::BF16, {p.m, p.n}), shortScales(DType::E8M0, {3});
  EXPECT_THAT(test::errorOf([&] {
                grouped_mm(p.a.view(), MXTensorView{qw.qdata.view(), shortScales.view()}, WeightLayout::ENK, p.offs.view(),
                           QuantRecipe{}, out.view());
              }),
              ::testing::HasSubstr("W scales has 3 codes ([3]); expected 64"));
  EXPECT_THAT(test::errorOf([&] {
                grouped_mm(p.a.view(), MXTensorView{qw.qdata.view(), qw.scales.view(), ElemFormat::E5M2}, WeightLayout::ENK,
                           p.offs.view(), QuantRecipe{}, out.view());
              }),
              ::testing::HasSubstr("W has dtype e4m3; expected e5m2 or u8"));
}

}  // namespace
