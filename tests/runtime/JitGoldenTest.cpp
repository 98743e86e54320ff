// The torchao golden grouped_mm cases through the JIT (forward, dgrad, wgrad) and the golden quantize
// cases through the JIT quantize kernel.
#include "common/Bf16Compare.h"
#include "common/Golden.h"
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
  const std::string dir = test::goldenCase(groups + "_" + mode + "_bfloat16");
  const HostTensor a = npy::readNpy(dir + "/A.npy"), w = npy::readNpy(dir + "/W_enk.npy");
  const HostTensor offs = npy::readNpy(dir + "/offs.npy"), gradOut = npy::readNpy(dir + "/grad_out.npy");
  const QuantRecipe recipe{ElemFormat::E4M3, ElemFormat::E4M3, 32, parseScaleMode(mode)};
  const int64_t m = a.shape()[0], k = a.shape()[1], e = w.shape()[0], n = w.shape()[1];
  HostTensor out(DType::BF16, {m, n}), gradA(DType::BF16, {m, k}), gradB(DType::BF16, {e, k, n});
  grouped_mm(a.view(), w.view(), WeightLayout::ENK, offs.view(), recipe, out.view());
  grouped_mm_backward(a.view(), w.view(), WeightLayout::ENK, offs.view(), gradOut.view(), recipe, gradA.view(), gradB.view());
  for (auto [got, file] : {std::pair{&out, "out"}, {&gradA, "grad_A"}, {&gradB, "grad_B_ekn"}})
    test::expectCloseToGolden(*got, npy::readNpy(dir + "/" + file + ".npy"), file);
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
