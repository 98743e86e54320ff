// Group boundaries of a grouped GEMM from int32 cumulative end offsets: group g covers rows
// [offs[g-1], offs[g]) with offs[-1] = 0. Every consumer validates through here.
#pragma once
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace mxjit {

struct GroupRange {
  int64_t begin = 0, end = 0;
  int64_t size() const { return end - begin; }
};

/// Throws InvalidArgument naming the first broken rule: offs must be non-empty, non-negative,
/// non-decreasing and end at or before `rows` (rows past offs[-1] belong to no group).
std::vector<GroupRange> groupRanges(std::span<const int32_t> offs, int64_t rows, std::string_view what = "offs");

}  // namespace mxjit
