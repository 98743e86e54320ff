// Every class of bad input to the op API gets an mxjit::Error of the right kind whose message names the
// argument, the value and the rule (the rows of the README's "Bad input" table for the API).
#include "common/ErrorOf.h"
#include "mxjit/Ops.h"
#include "support/HostTensor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace mxjit;
using mxjit::test::errorOf;
using ::testing::HasSubstr;

namespace {

struct Call {
  HostTensor a{DType::BF16, {64, 64}}, w{DType::BF16, {2, 32, 64}}, offs{DType::I32, {2}}, out{DType::BF16, {64, 32}};
  HostTensor gradOut{DType::BF16, {64, 32}}, gradA{DType::BF16, {64, 64}}, gradB{DType::BF16, {2, 64, 32}};
  QuantRecipe recipe;
  Call() { setOffs({20, 64}); }
  void setOffs(std::vector<int32_t> v) {
    offs = HostTensor(DType::I32, {int64_t(v.size())});
    std::copy(v.begin(), v.end(), offs.data<int32_t>());
  }
  std::string forward(ErrorKind kind) {
    return errorOf([&] { grouped_mm(a.view(), w.view(), WeightLayout::ENK, offs.view(), recipe, out.view()); }, kind);
  }
};

TEST(BadInput, Offsets) {
  Call c;
  c.setOffs({40, 20});
  EXPECT_THAT(c.forward(ErrorKind::InvalidArgument), HasSubstr("offs[1]=20 < offs[0]=40: offs must be non-decreasing"));
  c.setOffs({-3, 64});
  EXPECT_THAT(c.forward(ErrorKind::InvalidArgument), HasSubstr("offs[0]=-3 is negative"));
  c.setOffs({20, 65});
  EXPECT_THAT(c.forward(ErrorKind::InvalidArgument), HasSubstr("offs[1]=65 is past the 64 rows"));
  c.setOffs({64});
  EXPECT_THAT(c.forward(ErrorKind::ShapeMismatch), HasSubstr("offs has 1 entries but W has 2 experts"));
  c.offs = HostTensor(DType::F32, {2});
  EXPECT_THAT(c.forward(ErrorKind::DTypeMismatch), HasSubstr("offs has dtype f32; expected i32"));
}

TEST(BadInput, ShapesAndDtypes) {
  Call c;
  c.out = HostTensor(DType::BF16, {64, 33});
  EXPECT_THAT(c.forward(ErrorKind::ShapeMismatch), HasSubstr("out has shape [64, 33]; expected [64, 32]"));
  c = Call();
  c.a = HostTensor(DType::I32, {64, 64});
  EXPECT_THAT(c.forward(ErrorKind::DTypeMismatch), HasSubstr("A has dtype i32; expected f32 or bf16"));
  c = Call();
  c.w = HostTensor(DType::BF16, {2, 32, 96});
  EXPECT_THAT(c.forward(ErrorKind::ShapeMismatch), HasSubstr("has K=96"));
  c = Call();
  c.gradOut = HostTensor(DType::BF16, {64, 40});
  EXPECT_THAT(errorOf([&] {
                grouped_mm_backward(c.a.view(), c.w.view(), WeightLayout::ENK, c.offs.view(), c.gradOut.view(), c.recipe,
                                    c.gradA.view(), c.gradB.view());
              }),
              HasSubstr("grad_out has shape [64, 40] but W (enk layout, shape [2, 32, 64]) has N=32"));
}

TEST(BadInput, NullAndMisalignedPointers) {
  Call c;
  TensorView a = c.a.view();
  a.data = nullptr;
  EXPECT_THAT(errorOf([&] { grouped_mm(a, c.w.view(), WeightLayout::ENK, c.offs.view(), c.recipe, c.out.view()); },
                      ErrorKind::InvalidArgument),
              HasSubstr("A has a null data pointer"));
  HostTensor bytes(DType::U8, {64 * 64 * 2 + 2});
  TensorView misaligned{bytes.bytes() + 1, DType::BF16, {64, 64}};
  EXPECT_THAT(errorOf([&] { grouped_mm(misaligned, c.w.view(), WeightLayout::ENK, c.offs.view(), c.recipe, c.out.view()); },
                      ErrorKind::InvalidArgument),
              HasSubstr("is not aligned to 2 bytes (bf16 elements)"));
  TensorView nullOffs = c.offs.view();
  nullOffs.data = nullptr;
  EXPECT_THAT(errorOf([&] { grouped_mm(c.a.view(), c.w.view(), WeightLayout::ENK, nullOffs, c.recipe, c.out.view()); }),
              HasSubstr("offs has a null data pointer"));
}

TEST(BadInput, UnsupportedRecipes) {
  Call c;
  c.recipe.block = 48;
  EXPECT_THAT(c.forward(ErrorKind::InvalidArgument), HasSubstr("block size 48 is not supported: it must be a power of two"));
  c.recipe = recipePreset("mxfp8_e4m3_b128");  // K=64 cannot hold a block of 128
  EXPECT_THAT(c.forward(ErrorKind::InvalidArgument), HasSubstr("K=64 is not a multiple of the block size 128"));
  c.recipe = QuantRecipe{};
  c.gradOut = HostTensor(DType::BF16, {64, 48});
  c.w = HostTensor(DType::BF16, {2, 48, 64});
  EXPECT_THAT(errorOf([&] {
                grouped_mm_backward(c.a.view(), c.w.view(), WeightLayout::ENK, c.offs.view(), c.gradOut.view(), c.recipe,
                                    c.gradA.view(), c.gradB.view());
              }),
              HasSubstr("N=48 is not a multiple of the block size 32"));
  EXPECT_THAT(errorOf([] { recipePreset("mxfp4"); }, ErrorKind::Parse), HasSubstr("unknown recipe 'mxfp4'"));
}

TEST(BadInput, Quantize) {
  HostTensor x(DType::BF16, {4, 64}), q(DType::E4M3, {4, 64}), s(DType::E8M0, {4, 2});
  EXPECT_THAT(errorOf([&] { quantize(x.view(), 2, ElemFormat::E4M3, 32, ScaleMode::Floor, q.view(), s.view()); }),
              HasSubstr("axis 2 is out of range for x with 2 dims"));
  HostTensor wrongQ(DType::E5M2, {4, 64});
  EXPECT_THAT(errorOf([&] { quantize(x.view(), -1, ElemFormat::E4M3, 32, ScaleMode::Floor, wrongQ.view(), s.view()); },
                      ErrorKind::DTypeMismatch),
              HasSubstr("qdata has dtype e5m2; expected e4m3 or u8"));
  HostTensor offs(DType::I32, {2});
  offs.data<int32_t>()[0] = 3, offs.data<int32_t>()[1] = 2;
  const TensorView offsView = offs.view();
  HostTensor sm(DType::E8M0, {2, 64});
  EXPECT_THAT(errorOf([&] { quantize(x.view(), 0, ElemFormat::E4M3, 32, ScaleMode::Floor, q.view(), sm.view(), &offsView); }),
              HasSubstr("group offsets[1]=2 < group offsets[0]=3"));
}

}  // namespace
