// The panel-packed layout of MXFP8 weights (IR layout pnk; mxjit::pack_weights builds it once, for
// inference): the order in which the AVX512-BF16 forward kernel reads them, so that it decodes fp8 to
// bf16 in registers and multiplies at once, with no transpose and no trip through memory.
//
// Each expert's N columns are cut into panels of 16 (the last padded with zero codes). A panel's codes
// are K/4 chunks of 64 bytes, chunk c holding k = 4c .. 4c+3 of its 16 columns; per 128-bit lane, bytes
// 0-7 widen (vpunpcklbw) into the pair row (4c, 4c+1) and bytes 8-15 (vpunpckhbw) into (4c+2, 4c+3),
// 16 dwords each, one per column, k+1 in the low half (vdpbf16ps's summation order, MicrokernelBf16.h).
// A panel's scales are K/32 records of 16 e8m0 codes, one per column (blocks longer than 32 repeat
// theirs; padding columns 127). After all the records, one byte per record: bit i set where the
// record's chunk i (of 8) needs the exact (cold) decode, for a code that is subnormal, NaN or Inf or a
// scale outside the fast decode's range (formats/FastDecode.h): the kernel tests a bit per chunk
// instead of its 64 codes.
// Storage: codes (E, panels, K/4, 64); scales (E, panels, K/32, 16) then cold flags (E, panels, K/32).
#pragma once
#include "mxjit/Recipe.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mxjit::formats {

constexpr int64_t kPanelColumns = 16, kPanelChunkBytes = 64, kPanelScaleDepth = 32;

/// Byte `b` (0..63) of a chunk: where it comes from (its column in the panel, its k past the chunk's
/// first) and where it widens to (pair row 0 or 1, 16-bit lane 0..31 of that row).
struct PanelSlot {
  int column, k, row, word;
};

constexpr PanelSlot panelSlot(int b) {
  const int lane = b / 16, j = b % 16, row = j / 8, word = lane * 8 + j % 8;
  return {word / 2, 2 * row + (word % 2 ? 0 : 1), row, word};
}

inline int64_t panelCount(int64_t n) { return (n + kPanelColumns - 1) / kPanelColumns; }
/// Bytes of the scale records plus their cold flags.
inline int64_t panelScaleBytes(int64_t experts, int64_t k, int64_t n) {
  return experts * panelCount(n) * (k / kPanelScaleDepth) * (kPanelColumns + 1);
}

/// Codes [E,N,K] (enk) or [E,K,N] of `elem` with plain scales (E, N, K/block) or (E, K/block, N), K a
/// multiple of 32 and of `block`, into the layout above.
struct PanelPacked {
  std::vector<uint8_t> codes, scales;
};
PanelPacked packWeightPanels(const uint8_t* codes, const uint8_t* scales, bool enk, int64_t experts, int64_t k,
                             int64_t n, int32_t block, ElemFormat elem);

}  // namespace mxjit::formats
