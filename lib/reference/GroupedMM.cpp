#include "reference/GroupedMM.h"

#include "formats/BFloat16.h"
#include "formats/BlockQuantize.h"
#include "formats/Quantize.h"
#include "mxjit/Error.h"
#include "support/GroupedMMShape.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <vector>

namespace mxjit::reference {
namespace {

using formats::DequantRounding;

// Round-trip values through MX quantization along `axis` (blocks of the recipe), as the emulated
// path does before its bf16 matmul.
std::vector<float> quantDequant(std::vector<float> values, std::span<const int64_t> shape, int axis,
                                std::optional<ElemFormat> format, const QuantRecipe& r) {
  if (!format) return values;  // a high-precision operand is used as is
  const ElemFormat f = *format;
  std::vector<uint8_t> q(values.size());
  const formats::AxisSplit s = formats::splitAtAxis(shape, axis);
  std::vector<uint8_t> scales(static_cast<size_t>(s.outer * (s.length / r.block) * s.inner));
  formats::quantizeAlongAxis(values.data(), shape, axis, r.block, f, r.mode, q.data(), scales.data());
  formats::dequantizeAlongAxis(q.data(), scales.data(), shape, axis, r.block, f, DequantRounding::Bf16, values.data());
  return values;
}

// The same along rows [begin, end) of a (rows, cols) matrix, blocks restarting at `begin` (§6.4).
void quantDequantRowSegment(float* m, int64_t cols, int64_t begin, int64_t end, std::optional<ElemFormat> format,
                            const QuantRecipe& r) {
  if (!format) return;
  const ElemFormat f = *format;
  std::vector<float> column(static_cast<size_t>(r.block));
  std::vector<uint8_t> q(static_cast<size_t>(r.block));
  for (int64_t first = begin; first < end; first += r.block) {
    const int64_t n = std::min<int64_t>(r.block, end - first);
    for (int64_t c = 0; c < cols; ++c) {
      float* x = m + first * cols + c;
      for (int64_t i = 0; i < n; ++i) column[i] = x[i * cols];
      const uint8_t code = formats::quantizeBlock(column.data(), 1, n, f, r.mode, q.data());
      for (int64_t i = 0; i < n; ++i) x[i * cols] = formats::dequantizeValue(q[i], code, f, DequantRounding::Bf16);
    }
  }
}

// (E, P, Q) -> (E, Q, P), so every dot product below reads two contiguous rows.
std::vector<float> transposeExperts(const std::vector<float>& w, int64_t experts, int64_t p, int64_t q) {
  std::vector<float> t(w.size());
  for (int64_t e = 0; e < experts; ++e)
    for (int64_t i = 0; i < p; ++i)
      for (int64_t j = 0; j < q; ++j) t[(e * q + j) * p + i] = w[(e * p + i) * q + j];
  return t;
}

float dot(const float* x, const float* y, int64_t n) {
  float acc = 0.0f;  // fp32 accumulation, ascending order
  for (int64_t i = 0; i < n; ++i) acc += x[i] * y[i];
  return acc;
}

void store(const TensorView& out, int64_t index, float v) {
  if (out.dtype == DType::F32) out.as<float>()[index] = v;
  else out.as<uint16_t>()[index] = formats::floatToBf16(v);
}

}  // namespace

void groupedMMForward(const TensorView& a, const TensorView& w, WeightLayout layout, const TensorView& offs,
                      const QuantRecipe& recipe, const TensorView& out) {
  const GroupedMMShape s = checkForward(a, w, layout, offs, recipe, out);
  const int64_t experts = s.experts, k = s.k, n = s.n;
  const std::vector<GroupRange>& groups = s.groups;

  const std::vector<float> aHat = quantDequant(formats::widenToFloat(a, "A"), a.shape, 1, operandFormat(recipe, GemmPass::Forward, 0), recipe);
  std::vector<float> wHat = quantDequant(formats::widenToFloat(w, "W"), w.shape, layout == WeightLayout::EKN ? 1 : 2,
                                         operandFormat(recipe, GemmPass::Forward, 1), recipe);
  if (layout == WeightLayout::EKN) wHat = transposeExperts(wHat, experts, k, n);  // now (E, N, K)

  std::fill_n(static_cast<uint8_t*>(out.data), out.nbytes(), 0);  // rows past offs[E-1] stay zero
  for (int64_t g = 0; g < experts; ++g)
    for (int64_t r = groups[g].begin; r < groups[g].end; ++r)
      for (int64_t j = 0; j < n; ++j) store(out, r * n + j, dot(aHat.data() + r * k, wHat.data() + (g * n + j) * k, k));
}

void groupedMMDgrad(const TensorView& gradOut, const TensorView& w, WeightLayout layout, const TensorView& offs,
                    const QuantRecipe& recipe, const TensorView& gradA) {
  const GroupedMMShape s = checkDgrad(gradOut, w, layout, offs, recipe, gradA);
  const int64_t experts = s.experts, k = s.k, n = s.n;
  const std::vector<GroupRange>& groups = s.groups;

  const std::vector<float> gHat =
      quantDequant(formats::widenToFloat(gradOut, "grad_out"), gradOut.shape, 1, operandFormat(recipe, GemmPass::Dgrad, 0), recipe);
  std::vector<float> wHat = quantDequant(formats::widenToFloat(w, "W"), w.shape, layout == WeightLayout::EKN ? 2 : 1,
                                         operandFormat(recipe, GemmPass::Dgrad, 1), recipe);
  if (layout == WeightLayout::ENK) wHat = transposeExperts(wHat, experts, n, k);  // now (E, K, N)

  std::fill_n(static_cast<uint8_t*>(gradA.data), gradA.nbytes(), 0);
  for (int64_t g = 0; g < experts; ++g)
    for (int64_t r = groups[g].begin; r < groups[g].end; ++r)
      for (int64_t j = 0; j < k; ++j) store(gradA, r * k + j, dot(gHat.data() + r * n, wHat.data() + (g * k + j) * n, n));
}

void groupedMMWgrad(const TensorView& a, const TensorView& gradOut, const TensorView& offs, const QuantRecipe& recipe,
                    const TensorView& gradB) {
  const GroupedMMShape s = checkWgrad(a, gradOut, offs, recipe, gradB);
  const int64_t experts = s.experts, m = s.m, k = s.k, n = s.n;
  const std::vector<GroupRange>& groups = s.groups;

  std::vector<float> aHat = formats::widenToFloat(a, "A"), gHat = formats::widenToFloat(gradOut, "grad_out");
  for (const GroupRange& g : groups) {
    quantDequantRowSegment(aHat.data(), k, g.begin, g.end, operandFormat(recipe, GemmPass::Wgrad, 0), recipe);
    quantDequantRowSegment(gHat.data(), n, g.begin, g.end, operandFormat(recipe, GemmPass::Wgrad, 1), recipe);
  }
  // Token-major copies: row i of aT is A[:, i] (length M), so each sum below is one contiguous dot.
  const std::vector<float> aT = transposeExperts(aHat, 1, m, k), gT = transposeExperts(gHat, 1, m, n);
  for (int64_t g = 0; g < experts; ++g) {
    const GroupRange& range = groups[g];
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < n; ++j)
        store(gradB, (g * k + i) * n + j, dot(aT.data() + i * m + range.begin, gT.data() + j * m + range.begin, range.size()));
  }
}

}  // namespace mxjit::reference
