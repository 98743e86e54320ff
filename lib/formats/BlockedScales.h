// The 128x4 blocked ("swizzled") layout of e8m0 scale codes that torch._scaled_mm and
// _scaled_grouped_mm read (mx-semantics.md §7.2), and its grouped variants (§7.3).
//
// Plain scales are a row-major uint8 array (rows, cols). Every function returns a fresh buffer
// whose padding bytes are zero, and checks buffer sizes and group ends with a named Error.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

namespace mxjit::formats {

/// Rows of one blocked tile, columns of one blocked tile, bytes of one tile.
inline constexpr int64_t kBlockRows = 128;
inline constexpr int64_t kBlockCols = 4;
inline constexpr int64_t kBlockBytes = kBlockRows * kBlockCols;

/// Byte offset of plain scale (r, c) of a (rows, cols) matrix in its blocked layout (§7.2):
/// tiles in row-major tile order, and inside a tile (r%32)*16 + ((r%128)/32)*4 + c%4.
/// Only cols matters: the offset does not depend on the number of rows.
int64_t blockedOffset(int64_t r, int64_t c, int64_t cols);

/// 128*ceil(rows/128) * 4*ceil(cols/4): the size of the blocked layout in bytes.
int64_t blockedSizeBytes(int64_t rows, int64_t cols);

/// Plain (rows, cols) -> blocked; rows and columns are padded with zeros to whole tiles.
std::vector<uint8_t> toBlocked(std::span<const uint8_t> plain, int64_t rows, int64_t cols);

/// Blocked -> plain (rows, cols), dropping the padding. blocked must hold blockedSizeBytes bytes.
std::vector<uint8_t> fromBlocked(std::span<const uint8_t> blocked, int64_t rows, int64_t cols);

/// 3D weight scales (experts, rows, cols): each expert blocked on its own, experts stacked, so
/// expert e starts at byte e * blockedSizeBytes(rows, cols).
std::vector<uint8_t> toBlockedPerExpert(std::span<const uint8_t> plain, int64_t experts, int64_t rows,
                                        int64_t cols);
std::vector<uint8_t> fromBlockedPerExpert(std::span<const uint8_t> blocked, int64_t experts, int64_t rows,
                                          int64_t cols);

/// Start of each group after padding every group to a multiple of `align`: starts[g] is the sum over
/// j < g of round_up(ends[j] - ends[j-1], align), so empty groups take no room. `ends` are
/// cumulative group ends (group g = [ends[g-1], ends[g]), ends[-1] = 0) and are not validated here.
std::vector<int64_t> paddedGroupStarts(std::span<const int32_t> ends, int64_t align);

/// Groups along M (§7.3, forward and dgrad activations). offs holds the cumulative end row of each
/// of the G >= 1 groups, validated by groupRanges (support/GroupOffsets.h). Each non-empty
/// group's (size, cols) scales are blocked on their own, starting at padded row
/// paddedGroupStarts(offs, 128)[g], i.e. at byte start * 4*ceil(cols/4).
/// The buffer has (M + 128*G) rows of 4*ceil(cols/4) bytes, as torchao allocates it.
/// Rows at or past offs[G-1] belong to no group: they are not stored.
std::vector<uint8_t> toBlockedGroupedRows(std::span<const uint8_t> plain, int64_t M, int64_t cols,
                                          std::span<const int32_t> offs);

/// Inverse of toBlockedGroupedRows: plain (M, cols), with zeros in rows past offs[G-1].
std::vector<uint8_t> fromBlockedGroupedRows(std::span<const uint8_t> blocked, int64_t M, int64_t cols,
                                            std::span<const int32_t> offs);

/// Groups along the contraction columns (§7.3, wgrad operands with scales (rows, M/32)). colEnds
/// holds the cumulative end column of each of the G >= 1 groups (non-negative, non-decreasing,
/// colEnds[G-1] <= cols). Column group g, (rows, width_g), is blocked on its own as a matrix
/// round_up(width_g, 4) wide and placed at byte colStart_g * Rp, where
/// colStart_g = paddedGroupStarts(colEnds, 4)[g] and Rp = 128*ceil(rows/128).
/// The buffer is Rp x (cols + 4*G) bytes. Columns past colEnds[G-1] are not stored.
std::vector<uint8_t> toBlockedGroupedCols(std::span<const uint8_t> plain, int64_t rows, int64_t cols,
                                          std::span<const int32_t> colEnds);

/// Inverse of toBlockedGroupedCols: plain (rows, cols), with zeros in columns past colEnds[G-1].
std::vector<uint8_t> fromBlockedGroupedCols(std::span<const uint8_t> blocked, int64_t rows, int64_t cols,
                                            std::span<const int32_t> colEnds);

}  // namespace mxjit::formats
