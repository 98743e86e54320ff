// The reference grouped GEMM against torchao's emulated MXFP8 grouped mm: out, grad_A, grad_B for
// {1, 4 (with an empty group), 8} groups x {rceil, floor}. Reports max ulp and bit-identical fraction.
#include "common/Bf16Compare.h"
#include "common/Golden.h"
#include "common/GoldenGroupedMM.h"
#include "reference/GroupedMM.h"

#include <gtest/gtest.h>

#include <string>
#include <tuple>

using namespace mxjit;

namespace {

using Case = std::tuple<std::string, std::string>;  // group count prefix, mode

class GoldenGroupedMM : public ::testing::TestWithParam<Case> {};

TEST_P(GoldenGroupedMM, ForwardDgradWgradMatchTorchao) {
  MXJIT_REQUIRE_GOLDEN();
  const auto& [groups, mode] = GetParam();
  test::GoldenGroupedMMCase c = test::readGoldenGroupedMM(groups, mode);
  reference::groupedMMForward(c.a.view(), c.w.view(), WeightLayout::ENK, c.offs.view(), c.recipe, c.out.view());
  reference::groupedMMDgrad(c.gradOut.view(), c.w.view(), WeightLayout::ENK, c.offs.view(), c.recipe, c.gradA.view());
  reference::groupedMMWgrad(c.a.view(), c.gradOut.view(), c.offs.view(), c.recipe, c.gradB.view());

  test::expectCloseToGolden(c.out, c.expected("out"), "out");
  test::expectCloseToGolden(c.gradA, c.expected("grad_A"), "grad_A");
  test::expectCloseToGolden(c.gradB, c.expected("grad_B_ekn"), "grad_B");
}

INSTANTIATE_TEST_SUITE_P(Torchao, GoldenGroupedMM,
                         ::testing::Combine(::testing::Values("g1", "g4", "g8"), ::testing::Values("rceil", "floor")),
                         [](const auto& info) { return std::get<0>(info.param) + "_" + std::get<1>(info.param); });

}  // namespace
