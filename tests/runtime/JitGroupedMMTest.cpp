// The JIT grouped GEMM (forward, dgrad, wgrad) against the scalar reference, bit for bit (the kernels
// sum each output in the reference's order), over a sweep of shapes named for the edge they hit.
#include "JitTestUtil.h"
#include "mxjit/Ops.h"
#include "reference/GroupedMM.h"

#include <gtest/gtest.h>

using namespace mxjit;
using namespace mxjit::test;

namespace {

struct Case {
  const char* name;
  std::vector<int32_t> groups;
  int64_t extraRows, k, n;
};

const Case kCases[] = {
    {"one_group", {64}, 0, 64, 64},
    {"empty_groups", {0, 40, 0, 0, 25}, 0, 64, 32},
    {"m_total_zero", {0, 0}, 0, 32, 32},
    {"k32", {17, 9}, 0, 32, 64},
    {"odd_n", {33, 12}, 0, 64, 96 + 7},
    {"tiny_groups_1_to_7", {1, 2, 3, 4, 5, 6, 7}, 0, 96, 64},
    {"rows_past_last_group", {10, 20}, 5, 64, 64},
    {"many_tiles", {150, 3, 90}, 0, 128, 160},
    {"wide_panel_items", {5, 9}, 0, 320, 544},  // streaming items of 8 panels and a partial one, both ways
    {"wide_pack_items", {40, 3}, 0, 1056, 1056},  // wgrad's token packing: items of 1024 and 32 columns, both operands
};

// Plan 0: the runtime's choice (these shapes stream weight panels); 1: the row-tile plan forced, the one
// large groups take.
Runtime& runtimeWithPlan(int planIndex) {
  static Runtime tiles([] {
    RuntimeOptions o;
    o.gemmPlan = "tiles";
    return o;
  }());
  return planIndex ? tiles : Runtime::global();
}

class JitVsReference : public ::testing::TestWithParam<std::tuple<Case, int, int, int>> {};

TEST_P(JitVsReference, ForwardAndBackwardBitExact) {
  const auto& [c, layoutIndex, recipeIndex, planIndex] = GetParam();
  Runtime& rt = runtimeWithPlan(planIndex);
  const bool enk = layoutIndex == 0;
  const WeightLayout layout = enk ? WeightLayout::ENK : WeightLayout::EKN;
  const ScaleMode modes[] = {ScaleMode::RCeil, ScaleMode::Floor, ScaleMode::Ceil, ScaleMode::Even};
  QuantRecipe recipe{ElemFormat::E4M3, recipeIndex % 2 ? ElemFormat::E5M2 : ElemFormat::E4M3, 32, modes[recipeIndex]};
  const DType outType = recipeIndex == 3 ? DType::F32 : DType::BF16;
  // grouped_mm needs N % 32 for dgrad; odd N runs the forward only
  const bool backward = c.n % recipe.block == 0;
  GemmProblem p = makeProblem(c.groups, c.extraRows, c.k, c.n, enk, 7 + recipeIndex);

  HostTensor out(outType, {p.m, p.n}), want(outType, {p.m, p.n});
  std::fill_n(out.bytes(), out.nbytes(), 0xAB);  // must be overwritten, rows past the last group included
  grouped_mm(p.a.view(), p.w.view(), layout, p.offs.view(), recipe, out.view(), rt);
  reference::groupedMMForward(p.a.view(), p.w.view(), layout, p.offs.view(), recipe, want.view());
  EXPECT_EQ(gemmMismatches(out, want, p.a, p.w, enk, p.offs, rt), 0) << "out";
  if (!backward) return;

  HostTensor gradA(outType, {p.m, p.k}), gradB(outType, {p.experts, p.k, p.n});
  HostTensor wantA(outType, {p.m, p.k}), wantB(outType, {p.experts, p.k, p.n});
  std::fill_n(gradA.bytes(), gradA.nbytes(), 0xAB);
  std::fill_n(gradB.bytes(), gradB.nbytes(), 0xAB);
  grouped_mm_backward(p.a.view(), p.w.view(), layout, p.offs.view(), p.gradOut.view(), recipe, gradA.view(), gradB.view(), rt);
  reference::groupedMMDgrad(p.gradOut.view(), p.w.view(), layout, p.offs.view(), recipe, wantA.view());
  reference::groupedMMWgrad(p.a.view(), p.gradOut.view(), p.offs.view(), recipe, wantB.view());
  EXPECT_EQ(gemmMismatches(gradA, wantA, p.gradOut, p.w, !enk, p.offs, rt), 0) << "grad_A";
  EXPECT_EQ(wgradMismatches(gradB, wantB, p.a, p.gradOut, p.offs, rt), 0) << "grad_B";
}

std::string caseName(const ::testing::TestParamInfo<std::tuple<Case, int, int, int>>& info) {
  static const char* const recipes[] = {"rceil_e4m3grad", "floor_e5m2grad", "ceil_e4m3grad", "even_e5m2grad_f32"};
  return std::string(std::get<0>(info.param).name) + (std::get<1>(info.param) == 0 ? "_enk_" : "_ekn_") +
         recipes[std::get<2>(info.param)] + (std::get<3>(info.param) ? "_tiles" : "");
}

INSTANTIATE_TEST_SUITE_P(Sweep, JitVsReference,
                         ::testing::Combine(::testing::ValuesIn(kCases), ::testing::Values(0, 1), ::testing::Values(0, 1, 2, 3),
                                            ::testing::Values(0, 1)),
                         caseName);

}  // namespace
