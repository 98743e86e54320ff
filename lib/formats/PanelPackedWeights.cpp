#include "formats/PanelPackedWeights.h"

#include "formats/FastDecode.h"

#include <algorithm>

namespace mxjit::formats {

PanelPacked packWeightPanels(const uint8_t* codes, const uint8_t* scales, bool enk, int64_t experts, int64_t k,
                             int64_t n, int32_t block, ElemFormat elem) {
  const int64_t panels = panelCount(n), kBlocks = k / block, records = k / kPanelScaleDepth;
  PanelPacked out;
  out.codes.assign(static_cast<size_t>(experts * panels * k * kPanelColumns), 0);
  out.scales.assign(static_cast<size_t>(panelScaleBytes(experts, k, n)), 127);
  uint8_t* coldFlags = out.scales.data() + experts * panels * records * kPanelColumns;
  std::fill(coldFlags, out.scales.data() + out.scales.size(), 0);
  auto code = [&](int64_t e, int64_t col, int64_t kk) {
    return enk ? codes[(e * n + col) * k + kk] : codes[(e * k + kk) * n + col];
  };
  auto scale = [&](int64_t e, int64_t col, int64_t kb) {
    return enk ? scales[(e * n + col) * kBlocks + kb] : scales[(e * kBlocks + kb) * n + col];
  };
  for (int64_t e = 0; e < experts; ++e)
    for (int64_t p = 0; p < panels; ++p) {
      const int64_t panel = e * panels + p, cols = n - p * kPanelColumns < kPanelColumns ? n - p * kPanelColumns : kPanelColumns;
      uint8_t* chunk = out.codes.data() + panel * k * kPanelColumns;
      for (int64_t c = 0; c < k / 4; ++c, chunk += kPanelChunkBytes)
        for (int b = 0; b < kPanelChunkBytes; ++b) {
          const PanelSlot s = panelSlot(b);
          if (s.column >= cols) continue;
          chunk[b] = code(e, p * kPanelColumns + s.column, 4 * c + s.k);
          if (!regularCode(chunk[b], elem)) coldFlags[panel * records + c / 8] |= uint8_t(1u << (c % 8));
        }
      uint8_t* record = out.scales.data() + panel * records * kPanelColumns;
      for (int64_t r = 0; r < records; ++r, record += kPanelColumns)
        for (int64_t j = 0; j < cols; ++j) {
          record[j] = scale(e, p * kPanelColumns + j, r * kPanelScaleDepth / block);
          if (!fastScale(record[j])) coldFlags[panel * records + r] = 0xFF;
        }
    }
  return out;
}

}  // namespace mxjit::formats
