// Every named recipe end to end on the JIT (forward, dgrad, wgrad, both weight layouts, jagged groups
// with an empty one and single tokens), bit for bit against the reference, which quantizes (or not)
// exactly as the recipe says.
#include "JitTestUtil.h"
#include "common/ErrorOf.h"
#include "mxjit/Ops.h"
#include "reference/GroupedMM.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace mxjit;
using namespace mxjit::test;

namespace {

class JitRecipe : public ::testing::TestWithParam<std::tuple<std::string_view, bool>> {};

TEST_P(JitRecipe, MatchesReference) {
  const auto [name, enk] = GetParam();
  const QuantRecipe recipe = recipePreset(name);
  const WeightLayout layout = enk ? WeightLayout::ENK : WeightLayout::EKN;
  GemmProblem p = makeProblem({1, 0, 70, 1, 57}, 2, 128, 128, enk, 11);
  HostTensor out(DType::BF16, {p.m, p.n}), gradA(DType::F32, {p.m, p.k}), gradB(DType::F32, {p.experts, p.k, p.n});
  HostTensor wantOut = out, wantA = gradA, wantB = gradB;
  grouped_mm(p.a.view(), p.w.view(), layout, p.offs.view(), recipe, out.view());
  grouped_mm_backward(p.a.view(), p.w.view(), layout, p.offs.view(), p.gradOut.view(), recipe, gradA.view(), gradB.view());
  reference::groupedMMForward(p.a.view(), p.w.view(), layout, p.offs.view(), recipe, wantOut.view());
  reference::groupedMMDgrad(p.gradOut.view(), p.w.view(), layout, p.offs.view(), recipe, wantA.view());
  reference::groupedMMWgrad(p.a.view(), p.gradOut.view(), p.offs.view(), recipe, wantB.view());
  EXPECT_EQ(gemmMismatches(out, wantOut, p.a, p.w, enk, p.offs), 0) << "out";
  EXPECT_EQ(gemmMismatches(gradA, wantA, p.gradOut, p.w, !enk, p.offs), 0) << "grad_A";
  EXPECT_EQ(wgradMismatches(gradB, wantB, p.a, p.gradOut, p.offs), 0) << "grad_B";
}

INSTANTIATE_TEST_SUITE_P(Presets, JitRecipe,
                         ::testing::Combine(::testing::ValuesIn(recipePresetNames()), ::testing::Bool()),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param)) + (std::get<1>(info.param) ? "_enk" : "_ekn");
                         });

TEST(Recipes, QuantizationActuallyDiffersBetweenRecipes) {
  // Guards the sweep above against recipes silently collapsing into one: results must differ.
  GemmProblem p = makeProblem({40, 24}, 0, 128, 64, true, 12);
  std::vector<HostTensor> outs;
  for (std::string_view name : {"mxfp8_e4m3", "mxfp8_e4m3_floor", "mxfp8_e4m3_b128", "bf16"}) {
    outs.emplace_back(DType::F32, std::vector<int64_t>{p.m, p.n});
    grouped_mm(p.a.view(), p.w.view(), WeightLayout::ENK, p.offs.view(), recipePreset(name), outs.back().view());
  }
  for (size_t i = 0; i < outs.size(); ++i)
    for (size_t j = i + 1; j < outs.size(); ++j) EXPECT_GT(differingElements(outs[i], outs[j]), 0) << i << " vs " << j;
}

TEST(Recipes, PresetsByNameAndErrors) {
  EXPECT_EQ(recipePreset("mxfp8_e4m3"), QuantRecipe{});
  EXPECT_EQ(recipePreset("mxfp8_e4m3_e5m2grad").gradElem, ElemFormat::E5M2);
  EXPECT_EQ(recipePresetName(recipePreset("mxfp8_e4m3_wgrad_hp")), "mxfp8_e4m3_wgrad_hp");
  EXPECT_THAT(test::errorOf([] { recipePreset("fp4"); }), ::testing::HasSubstr("unknown recipe 'fp4'"));
}

}  // namespace
