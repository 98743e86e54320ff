// lower-to-plan: specialised IR text in, plan text out; and what the kernels cannot do is refused
// by name.
#include "common/ErrorOf.h"
#include "ir/Parser.h"
#include "plan/LowerToPlan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace mxjit;
using ::testing::HasSubstr;

namespace {

std::string planText(std::string_view ir, plan::Microkernel micro = plan::Microkernel::Portable) {
  return plan::lowerToPlan(ir::parse(ir), micro).toString();
}

TEST(LowerToPlan, Forward2d3dFused) {
  EXPECT_EQ(planText(R"(func @f(%a: bf16[M,64], %w: bf16[4,96,64], %offs: i32[4]) -> bf16[M,96] {
  %y = mx.grouped_mm %a, %w, %offs kind=2d3d out=bf16 a=mk b=enk qa=e4m3.b32.rceil qb=e4m3.b32.floor
  return %y
}
)"),
            R"(plan mxjit_mm2d3d_qe4m3b32rceil_qe4m3b32floor_K64_N96_G4_amk_benk_obf16_portable {
  kind=grouped_mm_2d3d microkernel=portable tile=4x16 rows_per_item=64 cols_per_item=64
  K=64 N=96 G=4 M=runtime out=bf16
  a: quantize-on-load(bf16) layout=mk elem=e4m3 block=32 mode=rceil
  b: quantize-on-load(bf16) layout=enk elem=e4m3 block=32 mode=floor
  stage pack_b: mxjit_pack_b_2d3d(64, 96, 1, 0, 0, 0, 32, 16) over groups x tiles, 6 tiles, empty groups skipped
  stage gemm: mxjit_gemm_2d3d_4x16(64, 96, 0, 0, 1, 32, 1) over row tiles of each group (from offs), empty groups skipped
  from: %y = mx.grouped_mm %a, %w, %offs kind=2d3d out=bf16 a=mk b=enk qa=e4m3.b32.rceil qb=e4m3.b32.floor
}
)");
}

TEST(LowerToPlan, Wgrad2d2dAvx512) {
  EXPECT_EQ(planText(R"(func @f(%a: bf16[M,128], %g: f32[M,64], %offs: i32[2]) -> f32[2,128,64] {
  %y = mx.grouped_mm %a, %g, %offs kind=2d2d out=f32 a=mk b=mn qa=e4m3.b32.rceil qb=e5m2.b32.rceil
  return %y
}
)", plan::Microkernel::Avx512),
            R"(plan mxjit_mm2d2d_qe4m3b32rceil_qe5m2b32rceil_K128_N64_G2_amk_bmn_of32_avx512 {
  kind=grouped_mm_2d2d microkernel=avx512 tile=8x32 rows_per_item=64 cols_per_item=64
  K=128 N=64 G=2 M=runtime out=f32
  a: quantize-on-load(bf16) layout=mk elem=e4m3 block=32 mode=rceil
  b: quantize-on-load(f32) layout=mn elem=e5m2 block=32 mode=rceil
  stage pack: mxjit_pack_token_operands(128, 0, 0, 0, 1, 32, 64, 0, 1, 1, 1, 32, 64) over groups x column tiles (rows from offs), 3 tiles, empty groups skipped
  stage gemm: mxjit_gemm_2d2d_8x32(128, 64, 0, 64) over groups x tiles, 2 tiles
  from: %y = mx.grouped_mm %a, %g, %offs kind=2d2d out=f32 a=mk b=mn qa=e4m3.b32.rceil qb=e5m2.b32.rceil
}
)");
}

TEST(LowerToPlan, PrequantizedWeightsDequantizeOnLoad) {
  const std::string text = planText(R"(func @f(%a: bf16[M,64], %w: mx<e5m2,block=32,axis=2,scales=plain>[2,32,64], %offs: i32[2]) -> bf16[M,32] {
  %y = mx.grouped_mm %a, %w, %offs kind=2d3d out=bf16 a=mk b=enk qa=e4m3.b32.rceil
  return %y
}
)");
  EXPECT_THAT(text, HasSubstr("b: dequantize-on-load(fp8) layout=enk elem=e5m2 block=32"));
}

TEST(LowerToPlan, RefusesWhatTheKernelsCannotDo) {
  EXPECT_THAT(test::errorOf([] { planText(R"(func @f(%x: bf16[4,64,32]) -> mx<e4m3,block=32,axis=1,scales=plain>[4,64,32] {
  %q = mx.quantize %x axis=1 elem=e4m3 block=32 mode=rceil
  return %q
}
)"); }),
              HasSubstr("quantize along axis 1 of a rank-3 tensor"));
  EXPECT_THAT(test::errorOf([] { planText(R"(func @f(%x: bf16[M,64]) -> bf16[M,64] {
  %q = mx.quantize %x axis=1 elem=e4m3 block=32 mode=rceil
  %y = mx.dequantize %q out=bf16
  return %y
}
)"); }),
              HasSubstr("has 2 ops after fusion"));
  EXPECT_THAT(test::errorOf([] { planText(R"(func @f(%a: bf16[M,K], %w: bf16[2,32,K], %offs: i32[2]) -> bf16[M,32] {
  %y = mx.grouped_mm %a, %w, %offs kind=2d3d out=bf16 a=mk b=enk qa=e4m3.b32.rceil qb=e4m3.b32.rceil
  return %y
}
)"); }),
              HasSubstr("still symbolic"));
}

// Decode-sized groups always stream their weights; medium groups do while a mean group's bf16 rows fit
// the L2 budget (not on AMX, whose tile plan wins there); large groups walk row tiles.
TEST(PlanChoice, WeightStreamingFollowsGroupSize) {
  EXPECT_TRUE(plan::streamWeightPanels(8, 8, 4096, false));
  EXPECT_TRUE(plan::streamWeightPanels(plan::kSmallGroupRows, 1, 8192, true));
  EXPECT_TRUE(plan::streamWeightPanels(1024, 256, 1024, false));  // 512 KiB of rows
  EXPECT_FALSE(plan::streamWeightPanels(1024, 256, 1024, true));
  EXPECT_FALSE(plan::streamWeightPanels(2048, 2048, 2048, false));  // 8 MiB of rows
  EXPECT_TRUE(plan::streamWeightPanels(4096, 512, 1024, false));     // jagged: the mean decides
  EXPECT_FALSE(plan::streamWeightPanels(4096, 513, 1024, false));
  // Jagged decode on AMX: a few groups past kSmallGroupRows, the mean within it, still stream.
  // Panel-packed weights: by the mean group's rows alone.
  EXPECT_TRUE(plan::streamWeightPanels(1024, plan::kPackedStreamRows, 1024, false, true));
  EXPECT_FALSE(plan::streamWeightPanels(1024, plan::kPackedStreamRows + 1, 64, false, true));
  EXPECT_FALSE(plan::streamWeightPanels(1024, 64, 1024, true, true));
  EXPECT_TRUE(plan::streamWeightPanels(40, plan::kSmallGroupRows, 4096, true));
  EXPECT_FALSE(plan::streamWeightPanels(40, plan::kSmallGroupRows + 1, 4096, true));
}

}  // namespace
