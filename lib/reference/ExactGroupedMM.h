// Unquantized grouped GEMM in f64: the yardstick that quantization error is measured against
// (SNR reports, the demo's check). Same shapes and offs rules as GroupedMM.h; no validation here
// beyond offs, so call it after the quantized pass has checked the arguments.
#pragma once
#include "mxjit/Recipe.h"
#include "mxjit/Tensor.h"

#include <vector>

namespace mxjit::reference {

/// (M, N), rows past offs[E-1] zero.
std::vector<double> exactForward(const TensorView& a, const TensorView& w, WeightLayout layout, const TensorView& offs);
/// (M, K)
std::vector<double> exactDgrad(const TensorView& gradOut, const TensorView& w, WeightLayout layout, const TensorView& offs);
/// (E, K, N)
std::vector<double> exactWgrad(const TensorView& a, const TensorView& gradOut, const TensorView& offs);

/// Signal-to-noise ratio of `got` against `exact` in dB: 10 log10(sum exact^2 / sum (got - exact)^2);
/// +inf when they are identical.
double snrDb(const std::vector<float>& got, const std::vector<double>& exact);

}  // namespace mxjit::reference
