// The torchao golden grouped_mm cases through the JIT (forward, dgrad, wgrad) and the golden quantize
// cases through the JIT quantize kernel.
#include "common/Bf16Compare.h"
#include "common/Golden.h"
#include "common/GoldenGroupedMM.h"
#include "formats/Quantize.h"
#include "mxjit/Ops.h"
#include "npy/Npy.h"

#include <gtest/gtest.h>

using namespace mxjit;

namespace {

class JitGolden : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {};

TEST_P(JitGolden, GroupedMMMatchesTorchao) {
  MXJIT_REQUIRE_GOLDEN();
  const auto& [groups, mode] = GetParam();
  test::GoldenGroupedMMCase c = test::readGoldenGroupedMM(groups, mode);
  grouped_mm(c.a.view(), c.w.view(), WeightLayout::ENK, c.offs.view(), c.recipe, c.out.view());
  grouped_mm_backward(c.a.view(), c.w.view(), WeightLayout::ENK, c.offs.view(), c.gradOut.view(), c.recipe,
                      c.gradA.view(), c.gradB.view());
  for (auto [got, file] : {std::pair{&c.out, "out"}, {&c.gradA, "grad_A"}, {&c.gradB, "grad_B_ekn"}})
    test::expectCloseToGolden(*got, c.expected(file), file);
}

INSTANTIATE_TEST_SUITE_P(Torchao, JitGolden,
                         ::testing::Combine(::testing::Values("g1", "g4", "g8"), ::testing::Values("rceil", "floor")));

TEST(JitGoldenQuantize, AllSixteenBitExact) {
  MXJIT_REQUIRE_GOLDEN();
  for (const char* dtype : {"float32", "bfloat16"})
    for (const char* elem : {"e4m3", "e5m2"})
      for (const char* mode : {"floor", "rceil", "ceil", "even"}) {
        const std::string dir = test::goldenCase(std::string("q1234_") + dtype + "_" + elem + "_" + mode + "_b32");
        const HostTensor x = npy::readNpy(dir + "/x.npy"), wantQ = npy::readNpy(dir + "/qdata.npy"),
                         wantS = npy::readNpy(dir + "/scale.npy");
        HostTensor q(DType::U8, x.shape()), s(DType::U8, wantS.shape());
        quantize(x.view(), -1, parseElemFormat(elem), 32, parseScaleMode(mode), q.view(), s.view());
        EXPECT_TRUE(std::equal(q.bytes(), q.bytes() + q.nbytes(), wantQ.bytes())) << dir;
        EXPECT_TRUE(std::equal(s.bytes(), s.bytes() + s.nbytes(), wantS.bytes())) << dir;
      }
}

}  // namespace
