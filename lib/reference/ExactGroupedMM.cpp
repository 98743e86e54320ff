#include "reference/ExactGroupedMM.h"

#include "formats/Quantize.h"
#include "support/GroupOffsets.h"

#include <cmath>
#include <limits>

namespace mxjit::reference {
namespace {

std::vector<GroupRange> groupsOf(const TensorView& offs, int64_t rows) {
  return groupRanges(std::span(offs.as<const int32_t>(), static_cast<size_t>(offs.numel())), rows);
}

// W element (e, k, n) whichever way W is stored.
struct WeightReader {
  std::vector<float> values;
  WeightLayout layout;
  int64_t k, n;
  float at(int64_t e, int64_t kk, int64_t nn) const {
    return layout == WeightLayout::EKN ? values[(e * k + kk) * n + nn] : values[(e * n + nn) * k + kk];
  }
};

WeightReader readWeights(const TensorView& w, WeightLayout layout) {
  const bool ekn = layout == WeightLayout::EKN;
  return {formats::widenToFloat(w, "W"), layout, ekn ? w.dim(1) : w.dim(2), ekn ? w.dim(2) : w.dim(1)};
}

// The loop nest all three products share: term(g, r, kk, j) for every row r of every group g, every
// kk < k and every j < n, in that order (so each sum adds its terms in the same order every time).
template <class Term> void forEachTerm(const std::vector<GroupRange>& groups, int64_t k, int64_t n, Term term) {
  for (size_t g = 0; g < groups.size(); ++g)
    for (int64_t r = groups[g].begin; r < groups[g].end; ++r)
      for (int64_t kk = 0; kk < k; ++kk)
        for (int64_t j = 0; j < n; ++j) term(int64_t(g), r, kk, j);
}

}  // namespace

std::vector<double> exactForward(const TensorView& a, const TensorView& w, WeightLayout layout, const TensorView& offs) {
  const std::vector<float> x = formats::widenToFloat(a, "A");
  const WeightReader wr = readWeights(w, layout);
  const int64_t m = a.dim(0), k = wr.k, n = wr.n;
  std::vector<double> out(static_cast<size_t>(m * n), 0.0);
  forEachTerm(groupsOf(offs, m), k, n, [&](int64_t g, int64_t r, int64_t kk, int64_t j) {
    out[r * n + j] += double(x[r * k + kk]) * wr.at(g, kk, j);
  });
  return out;
}

std::vector<double> exactDgrad(const TensorView& gradOut, const TensorView& w, WeightLayout layout, const TensorView& offs) {
  const std::vector<float> d = formats::widenToFloat(gradOut, "grad_out");
  const WeightReader wr = readWeights(w, layout);
  const int64_t m = gradOut.dim(0), k = wr.k, n = wr.n;
  std::vector<double> out(static_cast<size_t>(m * k), 0.0);
  forEachTerm(groupsOf(offs, m), k, n, [&](int64_t g, int64_t r, int64_t kk, int64_t j) {
    out[r * k + kk] += double(d[r * n + j]) * wr.at(g, kk, j);
  });
  return out;
}

std::vector<double> exactWgrad(const TensorView& a, const TensorView& gradOut, const TensorView& offs) {
  const std::vector<float> x = formats::widenToFloat(a, "A"), d = formats::widenToFloat(gradOut, "grad_out");
  const int64_t m = a.dim(0), k = a.dim(1), n = gradOut.dim(1);
  const auto groups = groupsOf(offs, m);
  std::vector<double> out(static_cast<size_t>(int64_t(groups.size()) * k * n), 0.0);
  forEachTerm(groups, k, n, [&](int64_t g, int64_t r, int64_t kk, int64_t j) {
    out[(g * k + kk) * n + j] += double(x[r * k + kk]) * d[r * n + j];
  });
  return out;
}

double snrDb(const std::vector<float>& got, const std::vector<double>& exact) {
  double signal = 0, noise = 0;
  for (size_t i = 0; i < exact.size(); ++i) {
    signal += exact[i] * exact[i];
    noise += (got[i] - exact[i]) * (got[i] - exact[i]);
  }
  if (noise == 0) return std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(signal / noise);
}

}  // namespace mxjit::reference
