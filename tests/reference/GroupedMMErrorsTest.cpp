// Bad input to the reference grouped GEMM gets one clear error naming the problem.
#include "common/ErrorOf.h"
#include "reference/GroupedMM.h"
#include "support/HostTensor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace mxjit;
using mxjit::test::errorOf;
using ::testing::HasSubstr;

namespace {

HostTensor offsOf(std::vector<int32_t> v) {
  HostTensor t(DType::I32, {static_cast<int64_t>(v.size())});
  std::copy(v.begin(), v.end(), t.data<int32_t>());
  return t;
}

struct Fixture {
  HostTensor a{DType::BF16, {64, 64}}, w{DType::BF16, {2, 32, 64}}, out{DType::BF16, {64, 32}};
  HostTensor gradOut{DType::BF16, {64, 32}}, gradA{DType::BF16, {64, 64}}, gradB{DType::BF16, {2, 64, 32}};
  QuantRecipe recipe{};
  std::string forward(const HostTensor& offs) {
    return errorOf([&] { reference::groupedMMForward(a.view(), w.view(), WeightLayout::ENK, offs.view(), recipe, out.view()); });
  }
};

TEST(ReferenceErrors, Offsets) {
  Fixture f;
  EXPECT_THAT(f.forward(offsOf({40, 20})), HasSubstr("offs[1]=20 < offs[0]=40: offs must be non-decreasing"));
  EXPECT_THAT(f.forward(offsOf({40, 65})), HasSubstr("offs[1]=65 is past the 64 rows"));
  EXPECT_THAT(f.forward(offsOf({64})), HasSubstr("offs has 1 entries but W has 2 experts"));
  HostTensor f32Offs(DType::F32, {2});
  EXPECT_THAT(f.forward(f32Offs), HasSubstr("offs has dtype f32; expected i32"));
  EXPECT_EQ(f.forward(offsOf({40, 64})), "(no error)");
}

TEST(ReferenceErrors, ShapesAndBlocks) {
  Fixture f;
  const HostTensor offs = offsOf({10, 64});
  HostTensor badOut(DType::BF16, {64, 31});
  EXPECT_THAT(errorOf([&] { reference::groupedMMForward(f.a.view(), f.w.view(), WeightLayout::ENK, offs.view(), f.recipe, badOut.view()); }),
              HasSubstr("out has shape [64, 31]; expected [64, 32]"));
  EXPECT_THAT(errorOf([&] { reference::groupedMMForward(f.a.view(), f.w.view(), WeightLayout::EKN, offs.view(), f.recipe, f.out.view()); }),
              HasSubstr("has K=32"));
  HostTensor a48(DType::BF16, {64, 48}), w48(DType::BF16, {2, 32, 48});
  EXPECT_THAT(errorOf([&] { reference::groupedMMForward(a48.view(), w48.view(), WeightLayout::ENK, offs.view(), f.recipe, f.out.view()); }),
              HasSubstr("K=48 is not a multiple of the block size 32"));
  HostTensor g40(DType::BF16, {64, 40}), w40(DType::BF16, {2, 40, 64});
  EXPECT_THAT(errorOf([&] { reference::groupedMMDgrad(g40.view(), w40.view(), WeightLayout::ENK, offs.view(), f.recipe, f.gradA.view()); }),
              HasSubstr("N=40 is not a multiple of the block size 32"));
  HostTensor shortGrad(DType::BF16, {63, 32});
  EXPECT_THAT(errorOf([&] { reference::groupedMMWgrad(f.a.view(), shortGrad.view(), offs.view(), f.recipe, f.gradB.view()); }),
              HasSubstr("A has 64 rows but grad_out has 63"));
  HostTensor a3d(DType::BF16, {2, 64, 64});
  EXPECT_THAT(errorOf([&] { reference::groupedMMForward(a3d.view(), f.w.view(), WeightLayout::ENK, offs.view(), f.recipe, f.out.view()); }),
              HasSubstr("A has shape [2, 64, 64] (3 dims); expected 2 dims"));
  f.recipe.block = 48;
  EXPECT_THAT(errorOf([&] { reference::groupedMMWgrad(f.a.view(), f.gradOut.view(), offs.view(), f.recipe, f.gradB.view()); }),
              HasSubstr("block size 48 is not supported"));
}

}  // namespace
