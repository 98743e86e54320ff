// Decode / small-M: token-packed A with CSR m_indptr, 1..8 tokens per expert, prequantized weights (and
// activations, with flashinfer's packed scales), block 32 and 128: equal to the reference, and compiled
// to the weight-streaming plan that reads each expert's weights once.
#include "JitTestUtil.h"
#include "common/ErrorOf.h"
#include "formats/PackedScales.h"
#include "formats/Quantize.h"
#include "mxjit/Ops.h"
#include "reference/GroupedMM.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace mxjit;
using namespace mxjit::test;
namespace fs = std::filesystem;

namespace {

class Decode : public ::testing::TestWithParam<int> {};  // block

TEST_P(Decode, TokenPackedExpertsMatchReference) {
  const int block = GetParam();
  const std::vector<int32_t> tokens = {1, 8, 0, 3, 5, 2, 0, 7};  // 1..8 tokens, idle experts too
  GemmProblem p = makeProblem(tokens, 0, 256, 64, /*enk=*/true, 41);
  HostTensor indptr(DType::I32, {int64_t(tokens.size()) + 1});
  for (size_t e = 0; e <= tokens.size(); ++e) indptr.data<int32_t>()[e] = e ? p.offs.data<int32_t>()[e - 1] : 0;
  const QuantRecipe recipe{ElemFormat::E4M3, ElemFormat::E4M3, block, ScaleMode::RCeil};
  const formats::MXTensor qw = formats::quantize(p.w.view(), 2, ElemFormat::E4M3, block, ScaleMode::RCeil);
  const formats::MXTensor qa = formats::quantize(p.a.view(), 1, ElemFormat::E4M3, block, ScaleMode::RCeil);
  const int64_t kGroups = p.k / block;
  const auto wPacked = formats::packBScale({qw.scales.bytes(), size_t(qw.scales.nbytes())}, p.experts, p.n, kGroups);
  const auto aPacked = formats::packAScale({qa.scales.bytes(), size_t(qa.scales.nbytes())}, p.m, kGroups,
                                           {indptr.data<int32_t>(), size_t(indptr.numel())});
  const MXTensorView w{qw.qdata.view(), {const_cast<int32_t*>(wPacked.words.data()), DType::I32, {int64_t(wPacked.words.size())}},
                       ElemFormat::E4M3, block, ScaleLayout::PackedI32};
  const MXTensorView a{qa.qdata.view(), {const_cast<int32_t*>(aPacked.words.data()), DType::I32, {int64_t(aPacked.words.size())}},
                       ElemFormat::E4M3, block, ScaleLayout::PackedI32};

  const fs::path dumps = fs::temp_directory_path() / ("mxjit_decode_" + std::to_string(::getpid()) + "_" + std::to_string(block));
  RuntimeOptions options;
  options.dumpDir = dumps.string();
  Runtime rt(options);
  HostTensor want(DType::BF16, {p.m, p.n}), got(DType::BF16, {p.m, p.n}), gotBoth(DType::BF16, {p.m, p.n});
  reference::groupedMMForward(p.a.view(), p.w.view(), WeightLayout::ENK, p.offs.view(), recipe, want.view());
  grouped_mm_decode(p.a.view(), indptr.view(), w, WeightLayout::ENK, recipe, got.view(), rt);
  grouped_mm_decode(a, indptr.view(), w, WeightLayout::ENK, gotBoth.view(), rt);
  // Bit for bit on AVX512-BF16; AMX hosts multiply decode groups by tdpbf16ps too (within its bound).
  EXPECT_EQ(gemmMismatches(got, want, p.a, p.w, true, p.offs, rt), 0);
  EXPECT_EQ(gemmMismatches(gotBoth, want, p.a, p.w, true, p.offs, rt), 0);

  int decodePlans = 0;
  for (const auto& e : fs::directory_iterator(dumps)) {
    if (!e.path().string().ends_with(".plan.txt")) continue;
    std::stringstream text;
    text << std::ifstream(e.path()).rdbuf();
    EXPECT_THAT(text.str(), ::testing::HasSubstr("stream_panels"));
    EXPECT_THAT(text.str(), ::testing::Not(::testing::HasSubstr("stage pack_b")));  // no weight copy: streamed once
    ++decodePlans;
  }
  EXPECT_EQ(decodePlans, 2);
  fs::remove_all(dumps);
}

INSTANTIATE_TEST_SUITE_P(Blocks, Decode, ::testing::Values(32, 128));

TEST(DecodeErrors, IndptrIsChecked) {
  GemmProblem p = makeProblem({2, 3}, 0, 64, 32, true, 42);
  const formats::MXTensor qw = formats::quantize(p.w.view(), 2, ElemFormat::E4M3, 32, ScaleMode::RCeil);
  const MXTensorView w{qw.qdata.view(), qw.scales.view()};
  HostTensor out(DType::BF16, {p.m, p.n}), indptr(DType::I32, {3});
  indptr.data<int32_t>()[0] = 1, indptr.data<int32_t>()[1] = 2, indptr.data<int32_t>()[2] = 5;
  EXPECT_THAT(test::errorOf([&] { grouped_mm_decode(p.a.view(), indptr.view(), w, WeightLayout::ENK, QuantRecipe{}, out.view()); }),
              ::testing::HasSubstr("mIndptr[0]=1: mIndptr[0] must be 0"));
  indptr.data<int32_t>()[0] = 0, indptr.data<int32_t>()[2] = 4;
  EXPECT_THAT(test::errorOf([&] { grouped_mm_decode(p.a.view(), indptr.view(), w, WeightLayout::ENK, QuantRecipe{}, out.view()); }),
              ::testing::HasSubstr("mIndptr[2]=4 != cumM=5"));
}

}  // namespace
