// The weight-streaming GEMM on bf16 weights stored across K ([E,K,N]) in row blocks
// (runtime/helpers/RowBlockGemm.h; KernelPlan.h, streamsRowBlocks), the plan of decode-size groups
// (AMX hosts too: vdpbf16ps there): blocks of 32 rows quantized in registers and multiplied at once,
// equal to the reference bit for bit, including blocks the 16-bit lanes cannot do (the cold packer),
// items of one to 64 panels, and dgrad on [E,N,K] weights (the backward's case); each call with
// " row_blocks" in a plan, on AVX512-BF16 and, where the host has it, AMX.
#include "JitTestUtil.h"
#include "formats/Quantize.h"
#include "mxjit/Ops.h"
#include "plan/KernelPlan.h"
#include "reference/GroupedMM.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <limits>

using namespace mxjit;
using namespace mxjit::test;

namespace {

// Every scale mode, both formats. Narrow-range weights take the 16-bit lanes; wide-range ones
// (randomBf16) make fp8 subnormals, and NaN, Inf and an all-zero block put values or scales outside the
// lanes' range: those panels' blocks go through the cold packer. K = 96 (three blocks: accumulators
// carried across blocks), N = 2112 (66 panels: items of 22 panels for six groups).
TEST(RowBlocks, Bf16WeightsQuantizedInRegisters) {
  constexpr int64_t k = 96, n = 2112;
  for (ElemFormat elem : {ElemFormat::E4M3, ElemFormat::E5M2})
    for (ScaleMode mode : {ScaleMode::Floor, ScaleMode::RCeil, ScaleMode::Ceil, ScaleMode::Even})
      for (bool narrow : {true, false}) {
        GemmProblem p = makeProblem(decodeGroupSizes(), 0, k, n, /*enk=*/false, 61 + unsigned(mode));
        if (narrow) makeNarrow(p.w, 17);
        uint16_t* w = p.w.data<uint16_t>();
        // Expert 1 (one row): NaN in column 3's first block, Inf in column 700's second (another item);
        // expert 2: a zero block in column 2111 (the last panel).
        w[(1 * k + 5) * n + 3] = formats::floatToBf16(std::numeric_limits<float>::quiet_NaN());
        w[(1 * k + 40) * n + 700] = formats::floatToBf16(-std::numeric_limits<float>::infinity());
        for (int64_t kk = 32; kk < 64; ++kk) w[(2 * k + kk) * n + 2111] = 0;
        expectBf16Forward(p, WeightLayout::EKN, QuantRecipe{elem, elem, 32, mode}, DType::BF16, " row_blocks", 1, " row_blocks", 1,
                          fmt::format("{} {}{}", elemFormatName(elem), scaleModeName(mode), narrow ? " narrow" : " wide"));
      }
}

// The widest items: eight experts of N = 4096 make two items of 64 panels each (rowBlockPanelsPerItem),
// fp32 and bf16 results.
TEST(RowBlocks, ItemsOfSixtyFourPanels) {
  GemmProblem p = makeProblem({1, 8, 2, 7, 0, 3, 8, 4}, 0, 64, 4096, /*enk=*/false, 62);
  makeNarrow(p.w, 18);
  for (DType out : {DType::F32, DType::BF16})
    expectBf16Forward(p, WeightLayout::EKN, QuantRecipe{}, out, "stream_panels=64 row_blocks", 1, "stream_panels=64 row_blocks", 1, std::string(dtypeName(out)));
}

// Jagged decode: the groups of 1..8 rows go to the row-block kernel that multiplies each pair row as it
// is quantized, those of 9, 23 and 32 to the one that keeps each panel block's pair rows for two to four
// passes of 8 rows, those of 33 and 40 to the whole-panel one (three kernels, each run over its groups);
// N = 96 (items of one panel), K = 256.
TEST(RowBlocks, SmallGroupsBesideLargeOnesTakeTheirOwnStage) {
  GemmProblem p = makeProblem({1, 9, 0, 32, 23, 3, 40, 33}, 0, 256, 96, /*enk=*/false, 63);
  makeNarrow(p.w, 19);
  expectBf16Forward(p, WeightLayout::EKN, QuantRecipe{}, DType::BF16, " row_blocks", 3, " row_blocks", 3);
}

// Groups of 16 and 32 rows (and a partial 13) all take row blocks, wide-range weights (cold blocks
// among them) multiplied by every 8 rows from the same quantized pair rows.
TEST(RowBlocks, GroupsOfUpToThirtyTwoRows) {
  GemmProblem p = makeProblem({16, 32, 13, 0}, 0, 128, 320, /*enk=*/false, 65);
  expectBf16Forward(p, WeightLayout::EKN, QuantRecipe{}, DType::F32, " row_blocks", 1, " row_blocks", 1);
}

// dgrad on [E,N,K] weights contracts over N, each n a row of K values: the backward's dgrad kernel takes
// row blocks for decode groups (its wgrad kernel is the other plan). grad_a equals the reference's.
TEST(RowBlocks, DecodeDgradOnEnkWeights) {
  GemmProblem p = makeProblem(decodeGroupSizes(), 0, 1024, 160, /*enk=*/true, 64);
  makeNarrow(p.w, 20);
  const QuantRecipe recipe;
  HostTensor gotA(DType::BF16, {p.m, p.k}), gotB(DType::BF16, {p.experts, p.k, p.n}), wantA(DType::BF16, {p.m, p.k});
  reference::groupedMMDgrad(p.gradOut.view(), p.w.view(), WeightLayout::ENK, p.offs.view(), recipe, wantA.view());
  onStreamingRuntimes(
      [&](Runtime& rt) {
        grouped_mm_backward(p.a.view(), p.w.view(), WeightLayout::ENK, p.offs.view(), p.gradOut.view(), recipe, gotA.view(),
                            gotB.view(), rt);
        EXPECT_EQ(gemmMismatches(gotA, wantA, p.gradOut, p.w, false, p.offs, rt), 0) << rt.targetName();
      },
      " row_blocks", 2, " row_blocks", 2);
}

}  // namespace
