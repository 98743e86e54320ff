// The SNR gates of MXFP8 grouped GEMMs against an unquantized f64 result, by the formats of each GEMM's
// two operands: one definition for the quality test (tests/api/QualityGateTest.cpp) and the report
// (bench/QualityReport.cpp).
#pragma once
#include "mxjit/Recipe.h"

#include <optional>

namespace mxjit::quality {

// Gates by the formats of a GEMM's two operands (operandFormat(recipe, pass, 0 and 1)).
// E4M3 x E4M3: theory 28 dB; measured out 28.4 (27.5-28.5 over seeds, any mode), RCEIL/CEIL gradients
//   28.3-28.6 (28.0-29.0). 25 dB keeps 2.5 dB of margin and fails for a recipe that quantizes
//   everything in E5M2 (22.3-23.4 dB; GatesCanFail).
constexpr double kE4m3GateDb = 25.0;
// E4M3 x E5M2 (E5M2 gradients): theory 24 dB; measured 25.0 (23.8-26.2). 21 dB keeps 2.8 dB; it fails
//   for a further lost bit or mishandled outliers, not for E5M2 x E5M2 (22-23 dB): the ordering tests
//   catch that one.
constexpr double kE5m2GradGateDb = 21.0;
// FLOOR / EVEN on the gradient GEMMs: the outlier clipping above. Measured E4M3 floor 25.9 (23.8-27.9),
//   even 26.9 (26.3-28.2); E5M2-gradient floor 23.9 (22.3-24.6). 3 dB under the RCEIL gates leaves at
//   least 1.8 dB over every seed; a scale one binade too high (clipping half of every block) would sink
//   far below it. E4M3 and E5M2 under FLOOR are only ~1 dB apart at worst, so the per-mode ordering
//   test, not this gate, tells them apart.
constexpr double kClippingAllowanceDb = 3.0;
// Unquantized: fp32 accumulation of exact products measures ~137 dB; 80 dB fails for any quantization
//   and for rounding the results to bf16 (8 mantissa bits: 55.6 dB; GatesCanFail).
constexpr double kUnquantizedGateDb = 80.0;
// E5M2 gradients must cost the default recipe at least 1 dB on both gradients: measured 3.3 (1.9-4.3);
//   less means the gradient format did not reach the kernel.
constexpr double kE5m2LossDb = 1.0;

double gateDb(const QuantRecipe& r, GemmPass pass) {
  const std::optional<ElemFormat> a = operandFormat(r, pass, 0), b = operandFormat(r, pass, 1);
  if (!a && !b) return kUnquantizedGateDb;
  const bool e5m2 = a == ElemFormat::E5M2 || b == ElemFormat::E5M2;
  const bool clips = pass != GemmPass::Forward && (r.mode == ScaleMode::Floor || r.mode == ScaleMode::Even);
  return (e5m2 ? kE5m2GradGateDb : kE4m3GateDb) - (clips ? kClippingAllowanceDb : 0.0);
}

}  // namespace mxjit::quality
