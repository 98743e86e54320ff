#include "support/GroupOffsets.h"

#include "mxjit/Error.h"

#include <fmt/format.h>

namespace mxjit {

std::vector<GroupRange> groupRanges(std::span<const int32_t> offs, int64_t rows, std::string_view what) {
  if (offs.empty()) throw Error(ErrorKind::InvalidArgument, fmt::format("{} is empty: it needs one end offset per group", what));
  std::vector<GroupRange> ranges;
  ranges.reserve(offs.size());
  int64_t begin = 0;
  for (size_t g = 0; g < offs.size(); ++g) {
    const int64_t end = offs[g];
    if (end < 0) throw Error(ErrorKind::InvalidArgument, fmt::format("{}[{}]={} is negative", what, g, end));
    if (end < begin)
      throw Error(ErrorKind::InvalidArgument,
                  fmt::format("{}[{}]={} < {}[{}]={}: {} must be non-decreasing", what, g, end, what, g - 1, begin, what));
    if (end > rows)
      throw Error(ErrorKind::InvalidArgument,
                  fmt::format("{}[{}]={} is past the {} rows of the grouped operand", what, g, end, rows));
    ranges.push_back({begin, end});
    begin = end;
  }
  return ranges;
}

}  // namespace mxjit
