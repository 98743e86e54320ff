// All 16 torchao `to_mx` golden cases, bit-exact: {f32, bf16} x {e4m3, e5m2} x {floor, rceil, ceil, even}.
#include "common/Golden.h"
#include "formats/Quantize.h"
#include "npy/Npy.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <tuple>

using namespace mxjit;

namespace {

using Case = std::tuple<std::string, std::string, std::string>;  // input dtype, elem, mode

class GoldenQuantize : public ::testing::TestWithParam<Case> {};

TEST_P(GoldenQuantize, BitExactAgainstTorchao) {
  MXJIT_REQUIRE_GOLDEN();
  const auto& [dtype, elem, mode] = GetParam();
  const std::string dir = test::goldenCase("q1234_" + dtype + "_" + elem + "_" + mode + "_b32");
  HostTensor x = npy::readNpy(dir + "/x.npy");
  const HostTensor wantQ = npy::readNpy(dir + "/qdata.npy"), wantS = npy::readNpy(dir + "/scale.npy");
  ASSERT_EQ(x.dtype(), dtype == "bfloat16" ? DType::BF16 : DType::F32);  // '<u2' holds bf16 bits

  const formats::MXTensor got = formats::quantize(x.view(), -1, parseElemFormat(elem), 32, parseScaleMode(mode));
  ASSERT_EQ(got.qdata.shape(), wantQ.shape());
  ASSERT_EQ(got.scales.shape(), wantS.shape());
  int badQ = 0, badS = 0;
  for (int64_t i = 0; i < wantQ.nbytes(); ++i) badQ += got.qdata.bytes()[i] != wantQ.bytes()[i];
  for (int64_t i = 0; i < wantS.nbytes(); ++i) badS += got.scales.bytes()[i] != wantS.bytes()[i];
  EXPECT_EQ(badQ, 0) << "qdata bytes differing of " << wantQ.nbytes();
  EXPECT_EQ(badS, 0) << "scale bytes differing of " << wantS.nbytes();
}

INSTANTIATE_TEST_SUITE_P(Torchao, GoldenQuantize,
                         ::testing::Combine(::testing::Values("float32", "bfloat16"), ::testing::Values("e4m3", "e5m2"),
                                            ::testing::Values("floor", "rceil", "ceil", "even")),
                         [](const auto& info) {
                           return std::get<0>(info.param) + "_" + std::get<1>(info.param) + "_" + std::get<2>(info.param);
                         });

}  // namespace
