// The weight-streaming forward on [E,N,K] weights in column tiles (runtime/helpers/ColumnTileGemm.h;
// KernelPlan.h, streamsColumnTiles), the plan of decode-size groups: fp8 weights decoded and bf16 weights
// quantized in registers, equal to the reference bit for bit (AVX512-BF16; AMX hosts, whose tiles then
// go to tdpbf16ps, within the AMX bound), at the edges where a step leaves the fast path.
#include "JitTestUtil.h"
#include "formats/Quantize.h"
#include "mxjit/Ops.h"
#include "plan/KernelPlan.h"
#include "reference/GroupedMM.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

using namespace mxjit;
using namespace mxjit::test;

namespace {

// The forward of p on its weights as fp8 codes `qw` (in its format and block; against the dequantized
// operands, the bf16 recipe) or as bf16 quantized on the fly, equal to the reference on each streaming
// runtime (onStreamingRuntimes: `kernels` kernels with `marker` in a plan; on AMX hosts `amxKernels`,
// `amxMarker`); `what` names the case in a failure.
void expectForward(const GemmProblem& p, const formats::MXTensor& qw, bool fp8, DType out, const std::string& marker, size_t kernels,
                   const std::string& amxMarker, size_t amxKernels, const std::string& what = "") {
  const QuantRecipe recipe{ElemFormat::E4M3, ElemFormat::E4M3, 32, ScaleMode::RCeil};
  if (!fp8) return expectBf16Forward(p, WeightLayout::ENK, recipe, out, marker, kernels, amxMarker, amxKernels, "bf16 " + what);
  HostTensor got(out, {p.m, p.n}), want(out, {p.m, p.n});
  const HostTensor wHat = formats::dequantize(qw, DType::BF16);
  const HostTensor aHat = formats::dequantize(formats::quantize(p.a.view(), 1, ElemFormat::E4M3, 32, ScaleMode::RCeil), DType::BF16);
  reference::groupedMMForward(aHat.view(), wHat.view(), WeightLayout::ENK, p.offs.view(), recipePreset("bf16"), want.view());
  onStreamingRuntimes(
      [&](Runtime& rt) {
        grouped_mm(p.a.view(), MXTensorView{qw.qdata.view(), qw.scales.view(), qw.elem, qw.block}, WeightLayout::ENK, p.offs.view(),
                   recipe, got.view(), rt);
        EXPECT_EQ(gemmMismatches(got, want, aHat, wHat, true, p.offs, rt), 0) << rt.targetName() << " fp8 " << what;
      },
      marker, kernels, amxMarker, amxKernels);
}

// fp8 weights: normal codes (the arithmetic decode) or, sprinkled in every tile, subnormal and zero codes
// (the table decode); scales outside the fast decode's range (steps the cold path packs, inside a block
// of 128 too), a partial last panel (N = 64 + 8); both formats, blocks of 32, 64 and 128; K = 4096
// (columns one cache set apart) and, for blocks of 32, 4096 + 32 (a half step at the end).
TEST(ColumnTiles, Fp8WeightsAtTheirEdges) {
  for (ElemFormat elem : {ElemFormat::E4M3, ElemFormat::E5M2})
    for (int32_t block : {32, 64, 128})
      for (int64_t k : {int64_t(4096), int64_t(4096 + 32)})
        for (bool irregular : {false, true}) {
          if (k % block) continue;
          GemmProblem p = makeProblem(decodeGroupSizes(), 0, k, 72, /*enk=*/true, 34);
          makeNarrow(p.w, 8);
          formats::MXTensor qw = formats::quantize(p.w.view(), 2, elem, block, ScaleMode::RCeil);
          uint8_t* codes = qw.qdata.data<uint8_t>();
          uint8_t* scales = qw.scales.data<uint8_t>();
          const int64_t kBlocks = k / block;
          if (irregular)
            for (int64_t i = 0; i < qw.qdata.numel(); i += 97) codes[i] = uint8_t((i & 0x80) | (i % 3));  // subnormals, zeros
          // Expert 3, column 5, block 1: a large scale over small codes; expert 4, columns 40 and 60 (either
          // half of a panel), block 2: a small one.
          scales[(3 * 72 + 5) * kBlocks + 1] = 240;
          for (int64_t kk = block; kk < 2 * block; ++kk) codes[(3 * 72 + 5) * k + kk] &= 0x8F;
          scales[(4 * 72 + 40) * kBlocks + 2] = scales[(4 * 72 + 60) * kBlocks + 2] = 12;
          expectForward(p, qw, true, DType::BF16, " column_tiles", 1, " column_tiles", 1,
                        fmt::format("{} block {} K {}{}", elemFormatName(elem), block, k, irregular ? " irregular" : ""));
        }
}

// bf16 weights quantized along K on the fly, every scale mode and both formats. Narrow-range weights take
// the 16-bit lanes; wide-range ones (randomBf16) make fp8 subnormals, and NaN, Inf and an all-zero block
// put scales outside the lanes' range: those steps are undone and packed by the cold path. K = 96 (three
// steps) and 4096, N = 72 (a partial last panel, all cold).
TEST(ColumnTiles, Bf16WeightsQuantizedInRegisters) {
  for (ElemFormat elem : {ElemFormat::E4M3, ElemFormat::E5M2})
    for (ScaleMode mode : {ScaleMode::Floor, ScaleMode::RCeil, ScaleMode::Ceil, ScaleMode::Even})
      for (int64_t k : {int64_t(96), int64_t(4096)})
        for (bool narrow : {true, false}) {
          GemmProblem p = makeProblem(decodeGroupSizes(), 0, k, 72, /*enk=*/true, 35 + unsigned(mode));
          if (narrow) makeNarrow(p.w, 7);
          uint16_t* w = p.w.data<uint16_t>();
          // Expert 1 (one row): NaN in column 3's first block, Inf in column 20's second; expert 2: a zero block.
          w[(1 * 72 + 3) * k + 5] = formats::floatToBf16(std::numeric_limits<float>::quiet_NaN());
          w[(1 * 72 + 20) * k + 40] = formats::floatToBf16(-std::numeric_limits<float>::infinity());
          for (int64_t kk = 32; kk < 64; ++kk) w[(2 * 72 + 9) * k + kk] = 0;
          expectBf16Forward(p, WeightLayout::ENK, QuantRecipe{elem, elem, 32, mode}, DType::BF16, " column_tiles", 1, " column_tiles", 1,
                            fmt::format("{} {} K {}{}", elemFormatName(elem), scaleModeName(mode), k, narrow ? " narrow" : " wide"));
        }
}

// Jagged decode: groups of 1..8 rows beside larger ones (9, 23, 40) and an idle one. Those of up to 8
// rows go to the column-tile kernel that multiplies each step as it is decoded, 9 and 23 to the one that
// keeps each step for every 8 rows, 40 to the whole-panel one (three kernels, each run over its groups:
// Runtime::Impl::routeGroups; AMX hosts: up to 8 rows in column tiles, the rest in row tiles, two); fp8
// weights (blocks of 32, some scales outside the fast range) and bf16 weights quantized on the fly,
// N = 72 (a partial panel).
TEST(ColumnTiles, SmallGroupsBesideLargeOnesTakeTheirOwnStage) {
  const std::vector<int32_t> sizes = {1, 9, 0, 8, 23, 3, 40};
  for (bool fp8 : {true, false}) {
    GemmProblem p = makeProblem(sizes, 0, 256, 72, /*enk=*/true, 41);
    makeNarrow(p.w, 9);
    formats::MXTensor qw = formats::quantize(p.w.view(), 2, ElemFormat::E4M3, 32, ScaleMode::RCeil);
    qw.scales.data<uint8_t>()[(0 * 72 + 6) * 8 + 3] = 240;  // expert 0 (one row), column 6, block 3
    qw.scales.data<uint8_t>()[(4 * 72 + 6) * 8 + 3] = 240;  // expert 4 (23 rows), the same place
    expectForward(p, qw, fp8, DType::BF16, " column_tiles", 3, " column_tiles", 2);
  }
}

// Groups of 9-32 rows in column tiles (AVX512-BF16 hosts; AMX ones take row tiles;
// plan::columnTileMaxRows): each step's pair rows kept in the tile buffer and multiplied by every 8 rows,
// for fp8 weights with scales and codes off the fast path (the table decode, the cold packer) and bf16
// weights of a wide range (the fp32 codec), N = 72 (a partial panel: every step of its last tile cold).
// One kernel; last passes of every row count 1 .. 8.
TEST(ColumnTiles, GroupsOfUpToThirtyTwoRows) {
  for (bool fp8 : {true, false}) {
    GemmProblem p = makeProblem(fp8 ? std::vector<int32_t>{16, 15, 13, 0, 9, 10, 11, 12, 14, 32, 23}
                                    : std::vector<int32_t>{16, 32, 13, 0, 9, 26, 27, 28, 30, 31},
                                0, 192, 72,
                                /*enk=*/true, 46);
    formats::MXTensor qw = formats::quantize(p.w.view(), 2, ElemFormat::E4M3, 32, ScaleMode::RCeil);
    qw.scales.data<uint8_t>()[(1 * 72 + 6) * 6 + 3] = 240;  // expert 1, column 6, block 3
    for (int64_t i = 0; i < qw.qdata.numel(); i += 89) qw.qdata.data<uint8_t>()[i] = uint8_t(i % 3);  // subnormals, zeros
    expectForward(p, qw, fp8, DType::F32, " column_tiles", 1, "", 1);
  }
}

// Training-size groups beside 1- and 2-row ones: the large group takes the row-tile plan (its rows
// would not fit the streaming budget), the small ones the column-tile kernel, each run over its groups.
TEST(ColumnTiles, SmallGroupsBesideTrainingSizeOnes) {
  GemmProblem p = makeProblem({1, 1200, 2}, 0, 2048, 64, /*enk=*/true, 43);
  makeNarrow(p.w, 10);
  expectBf16Forward(p, WeightLayout::ENK, QuantRecipe{ElemFormat::E4M3, ElemFormat::E4M3, 32, ScaleMode::RCeil}, DType::BF16,
                    " column_tiles", 2, " column_tiles", 2);
}

}  // namespace
