// flashinfer's int32-packed UE8M0 scale layout for moe_gemm_mxfp8_nt_groupwise (mx-semantics.md
// §7.4), for import and export only.
//
// Each row's codes (one per K-group, zero-padded to a multiple of 4) are packed 4 per int32,
// little-endian, and stored MN-major: the storage is (kAlign, mnPadded) words per matrix, word w of
// row m at [w][m]. Padding words and bytes are zero. Plain scales are row-major uint8.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

namespace mxjit::formats {

/// Packed scales and the extents of their MN-major storage.
/// a_scale: words is (kAlign, mnPadded) with mnPadded = m_padded.
/// b_scale: words is (E, kAlign, mnPadded) with mnPadded = n4 = round_up(n, 4).
struct PackedScales {
  std::vector<int32_t> words;
  int64_t kAlign = 0;    // words per row: ceil(kGroups / 4)
  int64_t mnPadded = 0;  // storage columns (the MN extent after padding)
};

/// s0 | s1 << 8 | s2 << 16 | s3 << 24: the four codes as one little-endian word.
int32_t packCodes(uint8_t s0, uint8_t s1, uint8_t s2, uint8_t s3);

/// ceil(kGroups / 4): the packed words per row.
int64_t packedKAlign(int64_t kGroups);

/// m_indptr from cumulative group ends (torchao offs): [0, offs...]. No validation here: the
/// packers validate m_indptr.
std::vector<int32_t> mIndptrFromOffs(std::span<const int32_t> offs);

/// Throws InvalidArgument unless mIndptr has E+1 >= 1 entries, mIndptr[0] = 0, is non-decreasing
/// and mIndptr[E] = cumM.
void validateMIndptr(std::span<const int32_t> mIndptr, int64_t cumM);

/// ((cumM + 3E) / 4) * 4: the a_scale storage columns.
int64_t packedMPadded(int64_t cumM, int64_t experts);

/// ((mIndptr[e] + 3e) / 4) * 4: the 4-aligned column where expert e's tokens start in a_scale.
int64_t packedExpertStart(std::span<const int32_t> mIndptr, int64_t e);

/// a_scale: plain per-token scales (cumM, kGroups) -> (kAlign, mPadded) words. Token m of
/// expert e lands in column packedExpertStart(mIndptr, e) + (m - mIndptr[e]).
PackedScales packAScale(std::span<const uint8_t> plain, int64_t cumM, int64_t kGroups,
                        std::span<const int32_t> mIndptr);

/// Inverse of packAScale: (kAlign, mPadded) words -> plain (cumM, kGroups).
std::vector<uint8_t> unpackAScale(std::span<const int32_t> words, int64_t cumM, int64_t kGroups,
                                  std::span<const int32_t> mIndptr);

/// b_scale: plain (E, n, kGroups) -> (E, kAlign, n4) words, rows >= n zero.
PackedScales packBScale(std::span<const uint8_t> plain, int64_t experts, int64_t n, int64_t kGroups);

/// Inverse of packBScale: (E, kAlign, n4) words -> plain (E, n, kGroups).
std::vector<uint8_t> unpackBScale(std::span<const int32_t> words, int64_t experts, int64_t n, int64_t kGroups);

}  // namespace mxjit::formats
