#include "common/ErrorOf.h"
#include "support/GroupOffsets.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace mxjit;
using mxjit::test::errorOf;
using ::testing::HasSubstr;

namespace {

TEST(GroupOffsets, RangesIncludingEmptyGroupsAndTrailingRows) {
  const std::vector<int32_t> offs = {32, 96, 96, 150};
  const auto r = groupRanges(offs, 160);
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].begin, 0);
  EXPECT_EQ(r[1].begin, 32);
  EXPECT_EQ(r[2].size(), 0);
  EXPECT_EQ(r[3].end, 150);
}

TEST(GroupOffsets, NamesTheBrokenRule) {
  EXPECT_THAT(errorOf([] { groupRanges(std::vector<int32_t>{128, 96}, 256); }),
              HasSubstr("offs[1]=96 < offs[0]=128: offs must be non-decreasing"));
  EXPECT_THAT(errorOf([] { groupRanges(std::vector<int32_t>{-1, 5}, 8); }), HasSubstr("offs[0]=-1 is negative"));
  EXPECT_THAT(errorOf([] { groupRanges(std::vector<int32_t>{4, 9}, 8); }), HasSubstr("offs[1]=9 is past the 8 rows"));
  EXPECT_THAT(errorOf([] { groupRanges(std::vector<int32_t>{}, 8); }), HasSubstr("offs is empty"));
}

}  // namespace
