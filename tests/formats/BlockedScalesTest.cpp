#include "formats/BlockedScales.h"

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

// torchao's to_blocked, written from its tensor definition rather than the offset formula:
// zero-pad to (Rp, Cp), view as (Rp/128, 4, 32, Cp/4, 4) with row = rb*128 + i*32 + j and
// col = cb*4 + cc, permute(0, 3, 2, 1, 4) to (rb, cb, j, i, cc), flatten.
std::vector<uint8_t> reshapePermuteBlocked(const std::vector<uint8_t>& plain, int64_t rows, int64_t cols) {
  int64_t nrb = (rows + 127) / 128, ncb = (cols + 3) / 4;
  auto padded = [&](int64_t r, int64_t c) -> uint8_t { return r < rows && c < cols ? plain[r * cols + c] : 0; };
  std::vector<uint8_t> out;
  for (int64_t rb = 0; rb < nrb; ++rb)
    for (int64_t cb = 0; cb < ncb; ++cb)
      for (int64_t j = 0; j < 32; ++j)
        for (int64_t i = 0; i < 4; ++i)
          for (int64_t cc = 0; cc < 4; ++cc) out.push_back(padded(rb * 128 + i * 32 + j, cb * 4 + cc));
  return out;
}

}  // namespace

TEST(BlockedScales, OffsetWorkedExamples) {
  // mx-semantics.md §7.2, R = 200, C = 7.
  EXPECT_EQ(blockedOffset(130, 5, 7), 1569);
  EXPECT_EQ(blockedOffset(0, 0, 7), 0);
  EXPECT_EQ(blockedOffset(31, 0, 7), 496);
  EXPECT_EQ(blockedOffset(32, 0, 7), 4);
  EXPECT_EQ(blockedOffset(0, 1, 7), 1);
  EXPECT_EQ(blockedOffset(0, 4, 7), 512);
  EXPECT_EQ(blockedSizeBytes(200, 7), 256 * 8);
}

TEST(BlockedScales, SizePadsToWholeTiles) {
  EXPECT_EQ(blockedSizeBytes(0, 0), 0);
  EXPECT_EQ(blockedSizeBytes(0, 5), 0);
  EXPECT_EQ(blockedSizeBytes(1, 1), 512);
  EXPECT_EQ(blockedSizeBytes(128, 4), 512);
  EXPECT_EQ(blockedSizeBytes(129, 4), 1024);
  EXPECT_EQ(blockedSizeBytes(128, 5), 1024);
}

TEST(BlockedScales, MatchesReshapePermuteDefinition) {
  const int64_t shapes[][2] = {{1, 1}, {128, 4}, {200, 7}, {129, 5}, {256, 64}, {31, 3}, {384, 12}, {300, 1}};
  uint32_t seed = 1;
  for (auto [rows, cols] : shapes) {
    auto plain = randomCodes(rows * cols, seed++);
    EXPECT_EQ(toBlocked(plain, rows, cols), reshapePermuteBlocked(plain, rows, cols)) << rows << "x" << cols;
  }
}

TEST(BlockedScales, PaddingBytesAreZero) {
  // 129 x 5: one full row of tiles, a second row of tiles with one real row, a half-empty
  // second tile column. Exactly rows*cols bytes are non-zero.
  auto blocked = toBlocked(randomCodes(129 * 5, 7), 129, 5);
  ASSERT_EQ(blocked.size(), 256u * 8u);
  int64_t nonZero = 0;
  for (uint8_t b : blocked) nonZero += b != 0;
  EXPECT_EQ(nonZero, 129 * 5);
}

TEST(BlockedScales, RoundTripRandomShapes) {
  const int64_t shapes[][2] = {{0, 0}, {0, 8}, {1, 1}, {1, 9}, {7, 1}, {129, 3}, {128, 4}, {257, 17}, {1000, 6}};
  uint32_t seed = 100;
  for (auto [rows, cols] : shapes) {
    auto plain = randomCodes(rows * cols, seed++);
    auto blocked = toBlocked(plain, rows, cols);
    EXPECT_EQ(static_cast<int64_t>(blocked.size()), blockedSizeBytes(rows, cols));
    EXPECT_EQ(fromBlocked(blocked, rows, cols), plain) << rows << "x" << cols;
  }
}

TEST(BlockedScales, RejectsBadSizes) {
  std::vector<uint8_t> plain(11);
  auto msg = errorOf([&] { toBlocked(plain, 3, 4); }, ErrorKind::ShapeMismatch);
  EXPECT_NE(msg.find("plain scales has 11 bytes; expected 12 = rows*cols"), std::string::npos) << msg;
  std::vector<uint8_t> blocked(511);
  msg = errorOf([&] { fromBlocked(blocked, 3, 4); }, ErrorKind::ShapeMismatch);
  EXPECT_NE(msg.find("blocked scales has 511 bytes; expected 512"), std::string::npos) << msg;
  msg = errorOf([&] { toBlocked({}, -1, 4); }, ErrorKind::InvalidArgument);
  EXPECT_NE(msg.find("rows=-1 < 0"), std::string::npos) << msg;
}

TEST(BlockedScales, PerExpertBlocksEachExpertAlone) {
  const int64_t experts = 3, rows = 130, cols = 6;
  auto plain = randomCodes(experts * rows * cols, 11);
  auto blocked = toBlockedPerExpert(plain, experts, rows, cols);
  int64_t expertBytes = blockedSizeBytes(rows, cols);
  ASSERT_EQ(static_cast<int64_t>(blocked.size()), experts * expertBytes);
  for (int64_t e = 0; e < experts; ++e) {
    std::vector<uint8_t> one(plain.begin() + e * rows * cols, plain.begin() + (e + 1) * rows * cols);
    std::vector<uint8_t> slice(blocked.begin() + e * expertBytes, blocked.begin() + (e + 1) * expertBytes);
    EXPECT_EQ(slice, reshapePermuteBlocked(one, rows, cols)) << "expert " << e;
  }
  EXPECT_EQ(fromBlockedPerExpert(blocked, experts, rows, cols), plain);
  EXPECT_EQ(fromBlockedPerExpert({}, 0, rows, cols), std::vector<uint8_t>{});
}

TEST(BlockedScales, PaddedGroupStartsSkipEmptyGroups) {
  const int32_t ends[] = {0, 5, 5, 133, 261};
  EXPECT_EQ(paddedGroupStarts(ends, 128), (std::vector<int64_t>{0, 0, 128, 128, 256}));
  EXPECT_EQ(paddedGroupStarts(ends, 4), (std::vector<int64_t>{0, 0, 8, 8, 136}));
}

TEST(BlockedScales, GroupedRowsPlacementAndRoundTrip) {
  // Sizes 0, 5, 0, 128, 130, 1: empty groups, a full tile row, sizes off the tile.
  const int64_t M = 270, cols = 6, Cp = 8;
  const int32_t offs[] = {0, 5, 5, 133, 263, 264};
  auto plain = randomCodes(M * cols, 21);
  auto buf = toBlockedGroupedRows(plain, M, cols, offs);
  ASSERT_EQ(static_cast<int64_t>(buf.size()), (M + 128 * 6) * Cp);

  // Each non-empty group is the plain blocked layout of its rows, at its padded start row.
  const int64_t startRows[] = {0, 0, 128, 128, 256, 512};
  int64_t used = 0;
  for (int g = 0; g < 6; ++g) {
    int64_t begin = g == 0 ? 0 : offs[g - 1], size = offs[g] - begin;
    if (size == 0) continue;
    std::vector<uint8_t> rowsOf(plain.begin() + begin * cols, plain.begin() + offs[g] * cols);
    auto expected = reshapePermuteBlocked(rowsOf, size, cols);
    std::vector<uint8_t> got(buf.begin() + startRows[g] * Cp, buf.begin() + startRows[g] * Cp + expected.size());
    EXPECT_EQ(got, expected) << "group " << g;
    EXPECT_EQ(buf[startRows[g] * Cp], plain[begin * cols]) << "first scale of group " << g;
    used = startRows[g] * Cp + static_cast<int64_t>(expected.size());
  }
  // Past the last group, and in the padding, every byte is zero; rows past offs[G-1] are dropped.
  int64_t nonZero = 0;
  for (uint8_t b : buf) nonZero += b != 0;
  EXPECT_EQ(nonZero, 264 * cols);
  for (size_t i = used; i < buf.size(); ++i) ASSERT_EQ(buf[i], 0) << "byte " << i;

  auto back = fromBlockedGroupedRows(buf, M, cols, offs);
  for (int64_t i = 0; i < M * cols; ++i) ASSERT_EQ(back[i], i < 264 * cols ? plain[i] : 0) << "byte " << i;
}

TEST(BlockedScales, GroupedRowsOfWholeTilesEqualPlainBlocked) {
  const int64_t M = 384, cols = 8;
  const int32_t offs[] = {128, 128, 384};
  auto plain = randomCodes(M * cols, 23);
  auto buf = toBlockedGroupedRows(plain, M, cols, offs);
  auto whole = toBlocked(plain, M, cols);
  EXPECT_TRUE(std::equal(whole.begin(), whole.end(), buf.begin()));
}

TEST(BlockedScales, GroupedRowsRejectBadOffs) {
  std::vector<uint8_t> plain(64 * 4);
  const int32_t decreasing[] = {32, 10};
  auto msg = errorOf([&] { toBlockedGroupedRows(plain, 64, 4, decreasing); }, ErrorKind::InvalidArgument);
  EXPECT_NE(msg.find("offs[1]=10 < offs[0]=32: offs must be non-decreasing"), std::string::npos) << msg;
  const int32_t negative[] = {-1, 10};
  msg = errorOf([&] { toBlockedGroupedRows(plain, 64, 4, negative); }, ErrorKind::InvalidArgument);
  EXPECT_NE(msg.find("offs[0]=-1 is negative"), std::string::npos) << msg;
  const int32_t tooFar[] = {32, 65};
  msg = errorOf([&] { fromBlockedGroupedRows({}, 64, 4, tooFar); }, ErrorKind::InvalidArgument);
  EXPECT_NE(msg.find("offs[1]=65 is past the 64 rows"), std::string::npos) << msg;
  msg = errorOf([&] { toBlockedGroupedRows(plain, 64, 4, {}); }, ErrorKind::InvalidArgument);
  EXPECT_NE(msg.find("offs is empty"), std::string::npos) << msg;
  const int32_t ok[] = {32, 64};
  std::vector<uint8_t> small(100);
  msg = errorOf([&] { fromBlockedGroupedRows(small, 64, 4, ok); }, ErrorKind::ShapeMismatch);
  EXPECT_NE(msg.find("grouped blocked scales has 100 bytes; expected 1280"), std::string::npos) << msg;
}

TEST(BlockedScales, GroupedColsPlacementAndRoundTrip) {
  // Column groups of widths 3, 0, 8, 1, then 2 columns past the last group.
  const int64_t rows = 130, cols = 14, Rp = 256;
  const int32_t colEnds[] = {3, 3, 11, 12};
  auto plain = randomCodes(rows * cols, 31);
  auto buf = toBlockedGroupedCols(plain, rows, cols, colEnds);
  ASSERT_EQ(static_cast<int64_t>(buf.size()), Rp * (cols + 4 * 4));

  const int64_t colStarts[] = {0, 4, 4, 12};
  for (int g = 0; g < 4; ++g) {
    int64_t begin = g == 0 ? 0 : colEnds[g - 1], width = colEnds[g] - begin;
    if (width == 0) continue;
    std::vector<uint8_t> sub;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = begin; c < colEnds[g]; ++c) sub.push_back(plain[r * cols + c]);
    auto expected = reshapePermuteBlocked(sub, rows, width);
    std::vector<uint8_t> got(buf.begin() + colStarts[g] * Rp, buf.begin() + colStarts[g] * Rp + expected.size());
    EXPECT_EQ(got, expected) << "group " << g;
    EXPECT_EQ(buf[colStarts[g] * Rp], plain[begin]) << "first scale of group " << g;
  }
  int64_t nonZero = 0;
  for (uint8_t b : buf) nonZero += b != 0;
  EXPECT_EQ(nonZero, rows * 12);

  auto back = fromBlockedGroupedCols(buf, rows, cols, colEnds);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) ASSERT_EQ(back[r * cols + c], c < 12 ? plain[r * cols + c] : 0) << r << "," << c;
}

TEST(BlockedScales, GroupedColsRejectBadColEnds) {
  std::vector<uint8_t> plain(4 * 8);
  const int32_t decreasing[] = {6, 2};
  auto msg = errorOf([&] { toBlockedGroupedCols(plain, 4, 8, decreasing); }, ErrorKind::InvalidArgument);
  EXPECT_NE(msg.find("colEnds[1]=2 < colEnds[0]=6: colEnds must be non-decreasing"), std::string::npos) << msg;
  const int32_t tooFar[] = {9};
  msg = errorOf([&] { toBlockedGroupedCols(plain, 4, 8, tooFar); }, ErrorKind::InvalidArgument);
  EXPECT_NE(msg.find("colEnds[0]=9 > cols=8: colEnds must not exceed cols"), std::string::npos) << msg;
  const int32_t negative[] = {-2};
  msg = errorOf([&] { toBlockedGroupedCols(plain, 4, 8, negative); }, ErrorKind::InvalidArgument);
  EXPECT_NE(msg.find("colEnds[0]=-2 is negative"), std::string::npos) << msg;
  msg = errorOf([&] { fromBlockedGroupedCols({}, 4, 8, {}); }, ErrorKind::InvalidArgument);
  EXPECT_NE(msg.find("colEnds is empty"), std::string::npos) << msg;
  const int32_t ok[] = {8};
  std::vector<uint8_t> small(10);
  msg = errorOf([&] { fromBlockedGroupedCols(small, 4, 8, ok); }, ErrorKind::ShapeMismatch);
  EXPECT_NE(msg.find("grouped blocked scales has 10 bytes; expected 1536"), std::string::npos) << msg;
}
