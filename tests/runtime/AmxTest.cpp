// The AMX-BF16 path on hosts that have it (skipped elsewhere, visibly): which plans take it, results
// (forward, dgrad and wgrad) within gemmMismatches' / wgradMismatches' bound of the reference over shapes
// that exercise its padding (rows, tokens per group, N and K not multiples of 32), and a bound tight
// enough to catch a wrong element.
#include "JitTestUtil.h"
#include "mxjit/Error.h"
#include "mxjit/Ops.h"
#include "reference/GroupedMM.h"

#include <gtest/gtest.h>

#include <memory>

using namespace mxjit;
using namespace mxjit::test;

namespace {

struct AmxCase {
  const char* name;
  std::vector<int32_t> groups;
  int64_t k, n;
  const char* recipe;
  DType out;
};

const AmxCase kCases[] = {
    {"one_block", {32}, 32, 32, "mxfp8_e4m3", DType::BF16},
    {"ragged_rows_and_columns", {1, 0, 33, 70, 5}, 128, 96 + 7, "mxfp8_e4m3", DType::BF16},
    {"f32_out_e5m2grad", {64, 31}, 256, 64, "mxfp8_e4m3_e5m2grad", DType::F32},
    {"floor", {40, 90}, 256, 32, "mxfp8_e4m3_floor", DType::BF16},
    {"block128", {40, 90}, 256, 128, "mxfp8_e4m3_b128", DType::BF16},
    {"bf16_k_not_multiple_of_32", {17, 50}, 72, 48, "bf16", DType::F32},
    {"many_tiles", {150, 3, 90}, 512, 160, "mxfp8_e4m3", DType::BF16},
};

class Amx : public ::testing::TestWithParam<AmxCase> {
 protected:
  void SetUp() override {
    if (Runtime::global().targetName() != "amx") GTEST_SKIP() << "no AMX on this host (target " << Runtime::global().targetName() << ")";
  }
};

TEST_P(Amx, ForwardAndBackwardWithinTheBound) {
  const AmxCase& c = GetParam();
  const QuantRecipe recipe = recipePreset(c.recipe);
  for (bool enk : {true, false}) {
    GemmProblem p = makeProblem(c.groups, 3, c.k, c.n, enk, 61);
    const WeightLayout layout = enk ? WeightLayout::ENK : WeightLayout::EKN;
    HostTensor out(c.out, {p.m, p.n}), want(c.out, {p.m, p.n});
    grouped_mm(p.a.view(), p.w.view(), layout, p.offs.view(), recipe, out.view());
    reference::groupedMMForward(p.a.view(), p.w.view(), layout, p.offs.view(), recipe, want.view());
    EXPECT_EQ(gemmMismatches(out, want, p.a, p.w, enk, p.offs), 0) << "forward " << (enk ? "enk" : "ekn");
    if (c.n % recipe.block) continue;  // dgrad quantizes along N
    HostTensor gradA(c.out, {p.m, p.k}), wantA(c.out, {p.m, p.k}), gradB(c.out, {p.experts, p.k, p.n}), wantB = gradB;
    grouped_mm_backward(p.a.view(), p.w.view(), layout, p.offs.view(), p.gradOut.view(), recipe, gradA.view(), gradB.view());
    reference::groupedMMDgrad(p.gradOut.view(), p.w.view(), layout, p.offs.view(), recipe, wantA.view());
    reference::groupedMMWgrad(p.a.view(), p.gradOut.view(), p.offs.view(), recipe, wantB.view());
    EXPECT_EQ(gemmMismatches(gradA, wantA, p.gradOut, p.w, !enk, p.offs), 0) << "dgrad " << (enk ? "enk" : "ekn");
    EXPECT_EQ(wgradMismatches(gradB, wantB, p.a, p.gradOut, p.offs), 0) << "wgrad " << (enk ? "enk" : "ekn");
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, Amx, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<AmxCase>& info) { return std::string(info.param.name); });

TEST(AmxBound, CatchesOneWrongElement) {
  if (Runtime::global().targetName() != "amx") GTEST_SKIP() << "no AMX on this host";
  GemmProblem p = makeProblem({40, 24}, 0, 256, 64, true, 62);
  HostTensor out(DType::F32, {p.m, p.n}), want(DType::F32, {p.m, p.n});
  grouped_mm(p.a.view(), p.w.view(), WeightLayout::ENK, p.offs.view(), QuantRecipe{}, out.view());
  reference::groupedMMForward(p.a.view(), p.w.view(), WeightLayout::ENK, p.offs.view(), QuantRecipe{}, want.view());
  ASSERT_EQ(gemmMismatches(out, want, p.a, p.w, true, p.offs), 0);
  out.data<float>()[5 * p.n + 7] *= 1.01f;  // a 1% error in one output
  EXPECT_EQ(gemmMismatches(out, want, p.a, p.w, true, p.offs), 1);
}

TEST(AmxBound, ExactTargetsStayExactOnAmxHosts) {
  const std::unique_ptr<Runtime> rt = runtimeForTarget("avx512");
  if (!rt) GTEST_SKIP() << "no AVX-512 on this host";
  GemmProblem p = makeProblem({40, 24}, 0, 128, 64, false, 63);
  HostTensor out(DType::F32, {p.m, p.n}), want(DType::F32, {p.m, p.n});
  grouped_mm(p.a.view(), p.w.view(), WeightLayout::EKN, p.offs.view(), QuantRecipe{}, out.view(), *rt);
  reference::groupedMMForward(p.a.view(), p.w.view(), WeightLayout::EKN, p.offs.view(), QuantRecipe{}, want.view());
  EXPECT_EQ(differingElements(out, want), 0);
}

}  // namespace
