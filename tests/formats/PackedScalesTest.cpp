#include "formats/PackedScales.h"

#include "common/ErrorOf.h"
#include "common/RandomCodes.h"
#include "mxjit/Error.h"

#include <gtest/gtest.h>

#include <string>

using namespace mxjit;
using namespace mxjit::formats;
using mxjit::test::errorOf;
using mxjit::test::randomCodes;

namespace {

int64_t nonZeroBytes(const std::vector<int32_t>& words) {
  int64_t n = 0;
  for (int32_t w : words)
    for (int i = 0; i < 4; ++i) n += ((static_cast<uint32_t>(w) >> (8 * i)) & 0xFF) != 0;
  return n;
}

// The word holding codes 4w..4w+3 of one plain row, zero past kGroups.
int32_t expectedWord(const uint8_t* row, int64_t kGroups, int64_t w) {
  auto at = [&](int64_t k) -> uint8_t { return k < kGroups ? row[k] : 0; };
  return packCodes(at(4 * w), at(4 * w + 1), at(4 * w + 2), at(4 * w + 3));
}

}  // namespace

TEST(PackedScales, PackCodesIsLittleEndian) {
  EXPECT_EQ(packCodes(127, 128, 119, 0), 0x0077807F);  // §7.4
  EXPECT_EQ(static_cast<uint32_t>(packCodes(0, 0, 0, 255)), 0xFF000000u);
  EXPECT_EQ(packedKAlign(8), 2);
  EXPECT_EQ(packedKAlign(5), 2);
  EXPECT_EQ(packedKAlign(0), 0);
}

TEST(PackedScales, MIndptrFromOffs) {
  const int32_t offs[] = {1, 1, 7};
  EXPECT_EQ(mIndptrFromOffs(offs), (std::vector<int32_t>{0, 1, 1, 7}));
  EXPECT_EQ(mIndptrFromOffs({}), (std::vector<int32_t>{0}));
}

TEST(PackedScales, ExpertStartsAndMPadded) {
  // §7.4: sizes [1, 0, 6], cum_m = 7 -> m_padded 16, starts 0, 4, 4.
  const int32_t a[] = {0, 1, 1, 7};
  EXPECT_EQ(packedMPadded(7, 3), 16);
  EXPECT_EQ(packedExpertStart(a, 0), 0);
  EXPECT_EQ(packedExpertStart(a, 1), 4);
  EXPECT_EQ(packedExpertStart(a, 2), 4);
  // Sizes [3, 3, ...]: not "each expert padded to 4": the second starts at 4, the third at 12.
  const int32_t b[] = {0, 3, 6, 8};
  EXPECT_EQ(packedExpertStart(b, 1), 4);
  EXPECT_EQ(packedExpertStart(b, 2), 12);
}

TEST(PackedScales, AScaleLayout) {
  // E = 3, sizes [1, 0, 6]; k = 256 with g_k = 32 gives 8 codes per row and kAlign = 2.
  const int32_t mIndptr[] = {0, 1, 1, 7};
  const int64_t cumM = 7, kGroups = 8;
  auto plain = randomCodes(cumM * kGroups, 3);
  PackedScales p = packAScale(plain, cumM, kGroups, mIndptr);
  ASSERT_EQ(p.kAlign, 2);
  ASSERT_EQ(p.mnPadded, 16);
  ASSERT_EQ(p.words.size(), 32u);
  // Token r of expert e, word w, at storage [w][start_e + (r - m_indptr[e])]; other columns zero.
  std::vector<int32_t> expected(32, 0);
  const int64_t starts[] = {0, 4, 4};
  for (int64_t e = 0; e < 3; ++e)
    for (int64_t r = mIndptr[e]; r < mIndptr[e + 1]; ++r)
      for (int64_t w = 0; w < 2; ++w)
        expected[w * 16 + starts[e] + (r - mIndptr[e])] = expectedWord(&plain[r * kGroups], kGroups, w);
  EXPECT_EQ(p.words, expected);
  EXPECT_EQ(p.words[16 + 5], expectedWord(&plain[2 * kGroups], kGroups, 1));  // token 2 = expert 2's second
}

TEST(PackedScales, AScaleRoundTripAndZeroPadding) {
  // Empty experts, sizes off 4, and kGroups = 5 so the last word of each row is 3/4 padding.
  const int32_t offs[] = {3, 3, 8, 9, 9, 20};
  auto mIndptr = mIndptrFromOffs(offs);
  const int64_t cumM = 20, kGroups = 5;
  auto plain = randomCodes(cumM * kGroups, 5);
  PackedScales p = packAScale(plain, cumM, kGroups, mIndptr);
  EXPECT_EQ(p.mnPadded, packedMPadded(cumM, 6));
  EXPECT_EQ(nonZeroBytes(p.words), cumM * kGroups);
  EXPECT_EQ(unpackAScale(p.words, cumM, kGroups, mIndptr), plain);
}

TEST(PackedScales, AScaleRejectsBadInput) {
  std::vector<uint8_t> plain(7 * 2);
  const int32_t decreasing[] = {0, 5, 3, 7};
  auto msg = errorOf([&] { packAScale(plain, 7, 2, decreasing); }, ErrorKind::InvalidArgument);
  EXPECT_NE(msg.find("mIndptr[2]=3 < mIndptr[1]=5: mIndptr must be non-decreasing"), std::string::npos) << msg;
  const int32_t notZero[] = {1, 7};
  msg = errorOf([&] { packAScale(plain, 7, 2, notZero); }, ErrorKind::InvalidArgument);
  EXPECT_NE(msg.find("mIndptr[0]=1: mIndptr[0] must be 0"), std::string::npos) << msg;
  const int32_t short_[] = {0, 3, 6};
  msg = errorOf([&] { packAScale(plain, 7, 2, short_); }, ErrorKind::InvalidArgument);
  EXPECT_NE(msg.find("mIndptr[2]=6 != cumM=7"), std::string::npos) << msg;
  msg = errorOf([&] { validateMIndptr({}, 0); }, ErrorKind::InvalidArgument);
  EXPECT_NE(msg.find("mIndptr is empty"), std::string::npos) << msg;

  const int32_t ok[] = {0, 3, 7};
  std::vector<uint8_t> wrong(10);
  msg = errorOf([&] { packAScale(wrong, 7, 2, ok); }, ErrorKind::ShapeMismatch);
  EXPECT_NE(msg.find("plain a_scale has 10 bytes; expected 14 = cumM*kGroups"), std::string::npos) << msg;
  std::vector<int32_t> words(5);
  msg = errorOf([&] { unpackAScale(words, 7, 2, ok); }, ErrorKind::ShapeMismatch);
  EXPECT_NE(msg.find("packed a_scale has 5 words; expected 12 = kAlign*mPadded"), std::string::npos) << msg;
}

TEST(PackedScales, BScaleLayoutRoundTripAndZeroPadding) {
  const int64_t experts = 2, n = 5, kGroups = 6, n4 = 8, kAlign = 2;
  auto plain = randomCodes(experts * n * kGroups, 9);
  PackedScales p = packBScale(plain, experts, n, kGroups);
  ASSERT_EQ(p.kAlign, kAlign);
  ASSERT_EQ(p.mnPadded, n4);
  ASSERT_EQ(p.words.size(), static_cast<size_t>(experts * kAlign * n4));
  // Storage (E, kAlign, n4): word w of row i of expert e at [e][w][i]; rows >= n are zero.
  for (int64_t e = 0; e < experts; ++e)
    for (int64_t w = 0; w < kAlign; ++w)
      for (int64_t i = 0; i < n4; ++i) {
        int32_t want = i < n ? expectedWord(&plain[(e * n + i) * kGroups], kGroups, w) : 0;
        EXPECT_EQ(p.words[(e * kAlign + w) * n4 + i], want) << e << "," << w << "," << i;
      }
  EXPECT_EQ(nonZeroBytes(p.words), experts * n * kGroups);
  EXPECT_EQ(unpackBScale(p.words, experts, n, kGroups), plain);
}

TEST(PackedScales, BScaleRejectsBadSizes) {
  std::vector<uint8_t> plain(9);
  auto msg = errorOf([&] { packBScale(plain, 2, 5, 1); }, ErrorKind::ShapeMismatch);
  EXPECT_NE(msg.find("plain b_scale has 9 bytes; expected 10 = experts*n*kGroups"), std::string::npos) << msg;
  std::vector<int32_t> words(15);
  msg = errorOf([&] { unpackBScale(words, 2, 5, 6); }, ErrorKind::ShapeMismatch);
  EXPECT_NE(msg.find("packed b_scale has 15 words; expected 32"), std::string::npos) << msg;
  msg = errorOf([&] { packBScale({}, 1, -2, 4); }, ErrorKind::InvalidArgument);
  EXPECT_NE(msg.find("n=-2 < 0"), std::string::npos) << msg;
}
