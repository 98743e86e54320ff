// The reference grouped GEMM against torchao's emulated MXFP8 grouped mm: out, grad_A, grad_B for
// {1, 4 (with an empty group), 8} groups x {rceil, floor}. Reports max ulp and bit-identical fraction.
#include "common/Bf16Compare.h"
#include "common/Golden.h"
#include "npy/Npy.h"
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
  const std::string dir = test::goldenCase(groups + "_" + mode + "_bfloat16");
  const HostTensor a = npy::readNpy(dir + "/A.npy"), w = npy::readNpy(dir + "/W_enk.npy");
  const HostTensor offs = npy::readNpy(dir + "/offs.npy"), gradOut = npy::readNpy(dir + "/grad_out.npy");
  const QuantRecipe recipe{ElemFormat::E4M3, ElemFormat::E4M3, 32, parseScaleMode(mode)};
  const int64_t m = a.shape()[0], k = a.shape()[1], experts = w.shape()[0], n = w.shape()[1];

  HostTensor out(DType::BF16, {m, n}), gradA(DType::BF16, {m, k}), gradB(DType::BF16, {experts, k, n});
  reference::groupedMMForward(a.view(), w.view(), WeightLayout::ENK, offs.view(), recipe, out.view());
  reference::groupedMMDgrad(gradOut.view(), w.view(), WeightLayout::ENK, offs.view(), recipe, gradA.view());
  reference::groupedMMWgrad(a.view(), gradOut.view(), offs.view(), recipe, gradB.view());

  test::expectCloseToGolden(out, npy::readNpy(dir + "/out.npy"), "out");
  test::expectCloseToGolden(gradA, npy::readNpy(dir + "/grad_A.npy"), "grad_A");
  test::expectCloseToGolden(gradB, npy::readNpy(dir + "/grad_B_ekn.npy"), "grad_B");
}

INSTANTIATE_TEST_SUITE_P(Torchao, GoldenGroupedMM,
                         ::testing::Combine(::testing::Values("g1", "g4", "g8"), ::testing::Values("rceil", "floor")),
                         [](const auto& info) { return std::get<0>(info.param) + "_" + std::get<1>(info.param); });

}  // namespace
