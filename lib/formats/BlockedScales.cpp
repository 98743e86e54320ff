#include "formats/BlockedScales.h"

#include "mxjit/Error.h"
#include "support/GroupOffsets.h"

#include <fmt/format.h>

#include <string_view>

namespace mxjit::formats {
namespace {

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t roundUp(int64_t a, int64_t b) { return ceilDiv(a, b) * b; }

void checkNonNegative(std::string_view name, int64_t value) {
  if (value < 0) throw Error(ErrorKind::InvalidArgument, fmt::format("{}={} < 0: {} must be >= 0", name, value, name));
}

void checkBytes(std::string_view what, size_t actual, int64_t expected, std::string_view rule) {
  if (static_cast<int64_t>(actual) != expected)
    throw Error(ErrorKind::ShapeMismatch,
                fmt::format("{} has {} bytes; expected {} = {}", what, actual, expected, rule));
}

// The rules of groupRanges (support/GroupOffsets.h), worded for column groups.
void checkColEnds(std::span<const int32_t> ends, int64_t cols) {
  if (ends.empty()) throw Error(ErrorKind::InvalidArgument, "colEnds is empty: it needs one end column per group");
  for (size_t g = 0; g < ends.size(); ++g) {
    if (ends[g] < 0)
      throw Error(ErrorKind::InvalidArgument,
                  fmt::format("colEnds[{}]={} is negative: colEnds must be non-negative", g, ends[g]));
    if (g > 0 && ends[g] < ends[g - 1])
      throw Error(ErrorKind::InvalidArgument, fmt::format("colEnds[{}]={} < colEnds[{}]={}: colEnds must be non-decreasing",
                                                          g, ends[g], g - 1, ends[g - 1]));
  }
  if (ends.back() > cols)
    throw Error(ErrorKind::InvalidArgument,
                fmt::format("colEnds[{}]={} > cols={}: colEnds must not exceed cols", ends.size() - 1, ends.back(), cols));
}

// Blocks the (rows, cols) window at `src` (row stride `stride`) into `dst`, which holds
// blockedSizeBytes(rows, cols) zeroed bytes; the padding stays zero.
void blockInto(const uint8_t* src, int64_t stride, int64_t rows, int64_t cols, uint8_t* dst) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) dst[blockedOffset(r, c, cols)] = src[r * stride + c];
}

void unblockFrom(const uint8_t* blocked, int64_t rows, int64_t cols, uint8_t* dst, int64_t stride) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) dst[r * stride + c] = blocked[blockedOffset(r, c, cols)];
}

int64_t groupedRowsBytes(int64_t M, int64_t cols, size_t groups) {
  return (M + kBlockRows * static_cast<int64_t>(groups)) * roundUp(cols, kBlockCols);
}

int64_t groupedColsBytes(int64_t rows, int64_t cols, size_t groups) {
  return roundUp(rows, kBlockRows) * (cols + kBlockCols * static_cast<int64_t>(groups));
}

}  // namespace

int64_t blockedOffset(int64_t r, int64_t c, int64_t cols) {
  int64_t tile = (r / kBlockRows) * ceilDiv(cols, kBlockCols) + c / kBlockCols;
  return tile * kBlockBytes + (r % 32) * 16 + ((r % kBlockRows) / 32) * 4 + c % kBlockCols;
}

int64_t blockedSizeBytes(int64_t rows, int64_t cols) { return roundUp(rows, kBlockRows) * roundUp(cols, kBlockCols); }

std::vector<uint8_t> toBlocked(std::span<const uint8_t> plain, int64_t rows, int64_t cols) {
  checkNonNegative("rows", rows);
  checkNonNegative("cols", cols);
  checkBytes("plain scales", plain.size(), rows * cols, fmt::format("rows*cols = {}*{}", rows, cols));
  std::vector<uint8_t> out(blockedSizeBytes(rows, cols), 0);
  blockInto(plain.data(), cols, rows, cols, out.data());
  return out;
}

std::vector<uint8_t> fromBlocked(std::span<const uint8_t> blocked, int64_t rows, int64_t cols) {
  checkNonNegative("rows", rows);
  checkNonNegative("cols", cols);
  checkBytes("blocked scales", blocked.size(), blockedSizeBytes(rows, cols),
             fmt::format("round_up(rows,128)*round_up(cols,4) = {}*{}", roundUp(rows, kBlockRows),
                         roundUp(cols, kBlockCols)));
  std::vector<uint8_t> out(rows * cols, 0);
  unblockFrom(blocked.data(), rows, cols, out.data(), cols);
  return out;
}

std::vector<uint8_t> toBlockedPerExpert(std::span<const uint8_t> plain, int64_t experts, int64_t rows,
                                        int64_t cols) {
  checkNonNegative("experts", experts);
  checkNonNegative("rows", rows);
  checkNonNegative("cols", cols);
  checkBytes("plain scales", plain.size(), experts * rows * cols,
             fmt::format("experts*rows*cols = {}*{}*{}", experts, rows, cols));
  int64_t expertBytes = blockedSizeBytes(rows, cols);
  std::vector<uint8_t> out(experts * expertBytes, 0);
  for (int64_t e = 0; e < experts; ++e)
    blockInto(plain.data() + e * rows * cols, cols, rows, cols, out.data() + e * expertBytes);
  return out;
}

std::vector<uint8_t> fromBlockedPerExpert(std::span<const uint8_t> blocked, int64_t experts, int64_t rows,
                                          int64_t cols) {
  checkNonNegative("experts", experts);
  checkNonNegative("rows", rows);
  checkNonNegative("cols", cols);
  int64_t expertBytes = blockedSizeBytes(rows, cols);
  checkBytes("blocked scales", blocked.size(), experts * expertBytes,
             fmt::format("experts*round_up(rows,128)*round_up(cols,4) = {}*{}*{}", experts, roundUp(rows, kBlockRows),
                         roundUp(cols, kBlockCols)));
  std::vector<uint8_t> out(experts * rows * cols, 0);
  for (int64_t e = 0; e < experts; ++e)
    unblockFrom(blocked.data() + e * expertBytes, rows, cols, out.data() + e * rows * cols, cols);
  return out;
}

std::vector<int64_t> paddedGroupStarts(std::span<const int32_t> ends, int64_t align) {
  std::vector<int64_t> starts(ends.size());
  int64_t next = 0, prevEnd = 0;
  for (size_t g = 0; g < ends.size(); ++g) {
    starts[g] = next;
    next += roundUp(ends[g] - prevEnd, align);
    prevEnd = ends[g];
  }
  return starts;
}

std::vector<uint8_t> toBlockedGroupedRows(std::span<const uint8_t> plain, int64_t M, int64_t cols,
                                          std::span<const int32_t> offs) {
  checkNonNegative("M", M);
  checkNonNegative("cols", cols);
  checkBytes("plain scales", plain.size(), M * cols, fmt::format("M*cols = {}*{}", M, cols));
  std::vector<GroupRange> groups = groupRanges(offs, M, "offs");
  // A group blocked on its own is a whole number of 128-row tile rows, so its bytes are
  // contiguous: the group starting at padded row s begins at byte s * round_up(cols, 4).
  int64_t rowBytes = roundUp(cols, kBlockCols);
  std::vector<uint8_t> out(groupedRowsBytes(M, cols, offs.size()), 0);
  std::vector<int64_t> starts = paddedGroupStarts(offs, kBlockRows);
  for (size_t g = 0; g < groups.size(); ++g)
    blockInto(plain.data() + groups[g].begin * cols, cols, groups[g].size(), cols, out.data() + starts[g] * rowBytes);
  return out;
}

std::vector<uint8_t> fromBlockedGroupedRows(std::span<const uint8_t> blocked, int64_t M, int64_t cols,
                                            std::span<const int32_t> offs) {
  checkNonNegative("M", M);
  checkNonNegative("cols", cols);
  std::vector<GroupRange> groups = groupRanges(offs, M, "offs");
  checkBytes("grouped blocked scales", blocked.size(), groupedRowsBytes(M, cols, offs.size()),
             fmt::format("(M + 128*G)*round_up(cols,4) = ({} + 128*{})*{}", M, offs.size(), roundUp(cols, kBlockCols)));
  int64_t rowBytes = roundUp(cols, kBlockCols);
  std::vector<uint8_t> out(M * cols, 0);
  std::vector<int64_t> starts = paddedGroupStarts(offs, kBlockRows);
  for (size_t g = 0; g < groups.size(); ++g)
    unblockFrom(blocked.data() + starts[g] * rowBytes, groups[g].size(), cols, out.data() + groups[g].begin * cols,
                cols);
  return out;
}

std::vector<uint8_t> toBlockedGroupedCols(std::span<const uint8_t> plain, int64_t rows, int64_t cols,
                                          std::span<const int32_t> colEnds) {
  checkNonNegative("rows", rows);
  checkNonNegative("cols", cols);
  checkBytes("plain scales", plain.size(), rows * cols, fmt::format("rows*cols = {}*{}", rows, cols));
  checkColEnds(colEnds, cols);
  // A column group blocked on its own holds round_up(rows,128) * width bytes, so placing it at
  // colStart * round_up(rows,128) packs the groups back to back.
  int64_t paddedRows = roundUp(rows, kBlockRows);
  std::vector<uint8_t> out(groupedColsBytes(rows, cols, colEnds.size()), 0);
  std::vector<int64_t> starts = paddedGroupStarts(colEnds, kBlockCols);
  for (size_t g = 0; g < colEnds.size(); ++g) {
    int64_t begin = g == 0 ? 0 : colEnds[g - 1];
    blockInto(plain.data() + begin, cols, rows, colEnds[g] - begin, out.data() + starts[g] * paddedRows);
  }
  return out;
}

std::vector<uint8_t> fromBlockedGroupedCols(std::span<const uint8_t> blocked, int64_t rows, int64_t cols,
                                            std::span<const int32_t> colEnds) {
  checkNonNegative("rows", rows);
  checkNonNegative("cols", cols);
  checkColEnds(colEnds, cols);
  int64_t paddedRows = roundUp(rows, kBlockRows);
  checkBytes("grouped blocked scales", blocked.size(), groupedColsBytes(rows, cols, colEnds.size()),
             fmt::format("round_up(rows,128)*(cols + 4*G) = {}*({} + 4*{})", paddedRows, cols, colEnds.size()));
  std::vector<uint8_t> out(rows * cols, 0);
  std::vector<int64_t> starts = paddedGroupStarts(colEnds, kBlockCols);
  for (size_t g = 0; g < colEnds.size(); ++g) {
    int64_t begin = g == 0 ? 0 : colEnds[g - 1];
    unblockFrom(blocked.data() + starts[g] * paddedRows, rows, colEnds[g] - begin, out.data() + begin, cols);
  }
  return out;
}

}  // namespace mxjit::formats
