// Panel-packed weights (mxjit::pack_weights, IR layout pnk): the layout keeps the register contract the
// kernel relies on, and the forward on packed weights equals the reference on every edge the kernel has:
// partial and odd panels, groups of 0 .. 19 rows (batches of 8), subnormal / NaN codes and scales
// outside the fast decode's range (the cold path), both formats, blocks of 32 and 64, [E,N,K] and
// [E,K,N] sources; bad input is named.
#include "JitTestUtil.h"
#include "common/ErrorOf.h"
#include "common/RandomCodes.h"
#include "formats/FastDecode.h"
#include "formats/PanelPackedWeights.h"
#include "formats/Quantize.h"
#include "ir/Parser.h"
#include "mxjit/Ops.h"
#include "reference/GroupedMM.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace mxjit;
using namespace mxjit::test;

namespace {

// vpunpcklbw / vpunpckhbw of a chunk with zeros, in scalar: 16-bit lane `word` of pair row `row`.
uint8_t widenedCode(const uint8_t* chunk, int row, int word) { return chunk[(word / 8) * 16 + row * 8 + word % 8]; }

TEST(PanelPacked, LayoutWidensIntoVdpbf16PairRows) {
  const int64_t e = 2, k = 64, n = 20, block = 64;
  for (bool enk : {true, false}) {
    std::vector<uint8_t> codes = randomCodes(e * n * k, 5), scales = randomCodes(e * n * (k / block), 6);
    const formats::PanelPacked packed = formats::packWeightPanels(codes.data(), scales.data(), enk, e, k, n, block, ElemFormat::E4M3);
    const int64_t panels = formats::panelCount(n);
    ASSERT_EQ(int64_t(packed.codes.size()), e * panels * k * 16);
    auto code = [&](int64_t g, int64_t col, int64_t kk) { return enk ? codes[(g * n + col) * k + kk] : codes[(g * k + kk) * n + col]; };
    auto scale = [&](int64_t g, int64_t col, int64_t kb) {
      return enk ? scales[(g * n + col) * (k / block) + kb] : scales[(g * (k / block) + kb) * n + col];
    };
    for (int64_t g = 0; g < e; ++g)
      for (int64_t p = 0; p < panels; ++p)
        for (int64_t c = 0; c < k / 4; ++c)
          for (int row = 0; row < 2; ++row)
            for (int j = 0; j < 16; ++j) {
              const uint8_t* chunk = packed.codes.data() + ((g * panels + p) * k / 4 + c) * 64;
              const int64_t col = p * 16 + j, k0 = 4 * c + 2 * row;
              // dword j: k0 + 1 in the low half, k0 in the high half (vdpbf16ps adds the high one first)
              const uint8_t low = col < n ? code(g, col, k0 + 1) : 0, high = col < n ? code(g, col, k0) : 0;
              ASSERT_EQ(widenedCode(chunk, row, 2 * j), low) << enk << " g" << g << " col " << col << " k " << k0;
              ASSERT_EQ(widenedCode(chunk, row, 2 * j + 1), high) << enk << " g" << g << " col " << col << " k " << k0;
              const uint8_t s = packed.scales[((g * panels + p) * (k / 32) + c / 8) * 16 + j];
              ASSERT_EQ(s, col < n ? scale(g, col, 4 * c / block) : 127);
            }
    // After the records, a byte per record: bit i set where chunk i's codes or the record's scales need
    // the exact decode.
    ASSERT_EQ(int64_t(packed.scales.size()), e * panels * (k / 32) * 17);
    const uint8_t* flags = packed.scales.data() + e * panels * (k / 32) * 16;
    for (int64_t g = 0; g < e; ++g)
      for (int64_t p = 0; p < panels; ++p)
        for (int64_t r = 0; r < k / 32; ++r)
          for (int64_t c = 0; c < 8; ++c) {
            bool exact = false;
            for (int64_t col = p * 16; col < std::min(n, p * 16 + 16); ++col) {
              exact = exact || !formats::fastScale(scale(g, col, r * 32 / block));
              for (int64_t kk = r * 32 + 4 * c; kk < r * 32 + 4 * c + 4; ++kk)
                exact = exact || !formats::regularCode(code(g, col, kk), ElemFormat::E4M3);
            }
            EXPECT_EQ((flags[(g * panels + p) * (k / 32) + r] >> c) & 1, exact) << enk << " g" << g << " panel " << p << " chunk " << r * 8 + c;
          }
  }
}

// Prequantized weights for p (stored [E,N,K] when enk, else [E,K,N]) with codes and scales the fast
// decode cannot take: subnormals and zeros throughout, a large scale over small codes, small scales in
// either panel of a pair, a NaN code.
formats::MXTensor awkwardWeights(const GemmProblem& p, bool enk, ElemFormat elem, int32_t block) {
  formats::MXTensor qw = formats::quantize(p.w.view(), enk ? 2 : 1, elem, block, ScaleMode::RCeil);
  uint8_t* codes = qw.qdata.data<uint8_t>();
  uint8_t* scales = qw.scales.data<uint8_t>();
  const int64_t kBlocks = p.k / block;
  auto codeAt = [&](int64_t g, int64_t col, int64_t kk) -> uint8_t& {
    return codes[enk ? (g * p.n + col) * p.k + kk : (g * p.k + kk) * p.n + col];
  };
  auto scaleAt = [&](int64_t g, int64_t col, int64_t kb) -> uint8_t& {
    return scales[enk ? (g * p.n + col) * kBlocks + kb : (g * kBlocks + kb) * p.n + col];
  };
  for (int64_t i = 0; i < qw.qdata.numel(); i += 997) codes[i] = uint8_t((i & 0x80) | (i % 3));  // a few chunks cold
  scaleAt(3, 5, 1) = 240;
  for (int64_t kk = block; kk < 2 * block; ++kk) codeAt(3, 5, kk) &= 0x8F;
  scaleAt(4, 40, 0) = scaleAt(4, 60, 1) = 12;
  codeAt(2, 17, 3) = 0x7F;  // NaN in both formats' magnitude tables (E5M2: 0x7F is a NaN too)
  return qw;
}

// Both plans: weight streaming (decode in registers, a pass per 16 rows with a kernel of its own for each
// row count 1 .. 16: both panels at once up to 8, one at a time past that; groups of 19 and 40 take two
// and three passes; AMX hosts 16 rows a pass in tiles) and row tiles (each panel pair decoded once into
// the bf16 or, on AMX hosts, the AMX gemm's packed weights). N = 72: the last pair has one panel, half full.
TEST(PanelPacked, ForwardEqualsTheReferenceAtItsEdges) {
  const std::vector<int32_t> sizes = {0, 1, 8, 19, 3, 9, 40, 2, 4, 5, 6, 7, 10, 11, 12, 13, 14, 15, 16};
  for (const char* plan : {"stream", "tiles"})
  for (bool enk : {true, false})
    for (ElemFormat elem : {ElemFormat::E4M3, ElemFormat::E5M2})
      for (int32_t block : {32, 64}) {
        GemmProblem p = makeProblem(sizes, 2, 128, 72, enk, 41);
        const formats::MXTensor qw = awkwardWeights(p, enk, elem, block);
        const PackedWeights packed =
            pack_weights(MXTensorView{qw.qdata.view(), qw.scales.view(), elem, block}, enk ? WeightLayout::ENK : WeightLayout::EKN);
        const QuantRecipe recipe{ElemFormat::E4M3, ElemFormat::E4M3, 32, ScaleMode::RCeil};
        const DType outType = block == 64 ? DType::F32 : DType::BF16;
        HostTensor got(outType, {p.m, p.n}), want(outType, {p.m, p.n});
        RuntimeOptions options;
        options.gemmPlan = plan;
        Runtime rt(options);
        try {
          grouped_mm(p.a.view(), packed, p.offs.view(), recipe, got.view(), rt);
        } catch (const Error& e) {
          ASSERT_EQ(e.kind(), ErrorKind::Unsupported) << e.what();
          EXPECT_THAT(e.what(), ::testing::HasSubstr("AVX512-BF16"));
          GTEST_SKIP() << "packed weights need AVX512-BF16: " << e.what();
        }
        const HostTensor wHat = formats::dequantize(qw, DType::BF16);
        const HostTensor aHat = formats::dequantize(formats::quantize(p.a.view(), 1, ElemFormat::E4M3, 32, ScaleMode::RCeil), DType::BF16);
        reference::groupedMMForward(aHat.view(), wHat.view(), enk ? WeightLayout::ENK : WeightLayout::EKN, p.offs.view(),
                                    recipePreset("bf16"), want.view());
        EXPECT_EQ(gemmMismatches(got, want, aHat, wHat, enk, p.offs, rt), 0) << plan << " enk " << enk << " " << elemFormatName(elem) << " block " << block;
      }
}

// Prequantized activations with packed weights give what they give with the weights unpacked.
TEST(PanelPacked, PrequantizedActivationsMatchUnpackedWeights) {
  GemmProblem p = makeProblem({5, 12, 0, 30}, 0, 96, 48, true, 42);
  const formats::MXTensor qw = formats::quantize(p.w.view(), 2, ElemFormat::E4M3, 32, ScaleMode::Floor);
  const formats::MXTensor qa = formats::quantize(p.a.view(), 1, ElemFormat::E4M3, 32, ScaleMode::Floor);
  const MXTensorView w{qw.qdata.view(), qw.scales.view()}, a{qa.qdata.view(), qa.scales.view()};
  HostTensor got(DType::BF16, {p.m, p.n}), want(DType::BF16, {p.m, p.n});
  Runtime rt;
  if (rt.targetName() != "avx512bf16" && rt.targetName() != "amx") GTEST_SKIP() << "packed weights need AVX512-BF16";
  grouped_mm(a, pack_weights(w, WeightLayout::ENK), p.offs.view(), got.view(), rt);
  grouped_mm(a, w, WeightLayout::ENK, p.offs.view(), want.view(), rt);
  EXPECT_EQ(differingElements(got, want), 0);
}

// flashinfer's decode convention (m_indptr) on packed weights gives what grouped_mm gives on offs.
TEST(PanelPacked, DecodeEntryPointTakesPackedWeights) {
  GemmProblem p = makeProblem({3, 0, 8, 5}, 0, 64, 40, true, 45);
  const formats::MXTensor qw = formats::quantize(p.w.view(), 2, ElemFormat::E4M3, 32, ScaleMode::RCeil);
  Runtime rt;
  if (rt.targetName() != "avx512bf16" && rt.targetName() != "amx") GTEST_SKIP() << "packed weights need AVX512-BF16";
  const PackedWeights w = pack_weights(MXTensorView{qw.qdata.view(), qw.scales.view()}, WeightLayout::ENK);
  HostTensor indptr(DType::I32, {p.experts + 1}), got(DType::BF16, {p.m, p.n}), want(DType::BF16, {p.m, p.n});
  indptr.data<int32_t>()[0] = 0;
  std::copy(p.offs.data<int32_t>(), p.offs.data<int32_t>() + p.experts, indptr.data<int32_t>() + 1);
  grouped_mm_decode(p.a.view(), indptr.view(), w, QuantRecipe{}, got.view(), rt);
  grouped_mm(p.a.view(), w, p.offs.view(), QuantRecipe{}, want.view(), rt);
  EXPECT_EQ(differingElements(got, want), 0);
}

TEST(PanelPacked, BadInputIsNamed) {
  GemmProblem p = makeProblem({4}, 0, 48, 16, true, 43);
  const formats::MXTensor qw48 = formats::quantize(p.w.view(), 2, ElemFormat::E4M3, 16, ScaleMode::RCeil);
  EXPECT_THAT(errorOf([&] { pack_weights(MXTensorView{qw48.qdata.view(), qw48.scales.view(), ElemFormat::E4M3, 16}, WeightLayout::ENK); }),
              ::testing::HasSubstr("packed weights need K a multiple of 32"));
  GemmProblem q = makeProblem({4}, 0, 64, 16, true, 44);
  const formats::MXTensor qw = formats::quantize(q.w.view(), 2, ElemFormat::E4M3, 32, ScaleMode::RCeil);
  PackedWeights packed = pack_weights(MXTensorView{qw.qdata.view(), qw.scales.view()}, WeightLayout::ENK);
  HostTensor out(DType::BF16, {q.m, q.n});
  EXPECT_THAT(errorOf([&] { grouped_mm(p.a.view(), packed, p.offs.view(), QuantRecipe{}, out.view()); }),
              ::testing::HasSubstr("K"));  // A's K = 48 against the weights' 64
  const PackedWeights taken = std::move(packed);
  EXPECT_THAT(errorOf([&] { grouped_mm(q.a.view(), packed, q.offs.view(), QuantRecipe{}, out.view()); }),
              ::testing::HasSubstr("packed W holds no weights"));
  EXPECT_THAT(errorOf([&] { grouped_mm(q.a.view(), PackedWeights{}, q.offs.view(), QuantRecipe{}, out.view()); }),
              ::testing::HasSubstr("shape [0, 0, 0]) has K=0"));  // an empty PackedWeights is shaped (0, 0, 0)
  // The IR names pnk's rules: MX codes only.
  EXPECT_THAT(errorOf([] {
                ir::parse(R"(func @f(%a: bf16[M,64], %w: bf16[4,16,64], %offs: i32[4]) -> bf16[M,16] {
  %y = mx.grouped_mm %a, %w, %offs kind=2d3d out=bf16 a=mk b=pnk
  return %y
}
)");
              }),
              ::testing::HasSubstr("b=pnk holds panel-packed MX codes"));
}

}  // namespace
