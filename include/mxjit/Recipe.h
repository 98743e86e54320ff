// The quant recipe: which fp8 format each operand uses, the block size and the scale rounding mode.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mxjit {

enum class ElemFormat : uint8_t { E4M3, E5M2 };

/// How the shared e8m0 exponent of a block is rounded (mx-semantics.md §4.3).
enum class ScaleMode : uint8_t { Floor, RCeil, Ceil, Even };

/// Where each operand's weights are stored: [E,K,N] (B itself) or [E,N,K] (B transposed per expert).
enum class WeightLayout : uint8_t { EKN, ENK };

struct QuantRecipe {
  ElemFormat fwdElem = ElemFormat::E4M3;   // A and W in forward, W in dgrad, A in wgrad
  ElemFormat gradElem = ElemFormat::E4M3;  // grad_out in dgrad and in wgrad
  int32_t block = 32;                      // elements sharing one scale
  ScaleMode mode = ScaleMode::RCeil;
  bool quantized = true;            // false: a plain bf16/f32 grouped GEMM for every pass (NeMo's fallback)
  bool wgradHighPrecision = false;  // wgrad on unquantized operands, fp32 accumulation (torchao wgrad_with_hp)
  bool operator==(const QuantRecipe&) const = default;
};

/// The three grouped GEMMs of a training step.
enum class GemmPass : uint8_t { Forward, Dgrad, Wgrad };

/// The format the recipe gives operand a (0) or b (1) of `pass`, or nullopt where that pass runs
/// unquantized. Forward: a = activations, b = weights; dgrad: a = grad_out, b = weights; wgrad:
/// a = activations, b = grad_out. grad_out takes gradElem, every other operand fwdElem.
std::optional<ElemFormat> operandFormat(const QuantRecipe& r, GemmPass pass, int operand);

/// The named recipes. All-E4M3 is the default: MXFP8 training runs diverged with E5M2 gradients and
/// moved to E4M3 in both directions, so E5M2 gradients are an option, not the default.
///   mxfp8_e4m3            E4M3 everywhere, block 32, RCEIL (torchao's default)
///   mxfp8_e4m3_floor      the same with FLOOR scales (torchao's other mode)
///   mxfp8_e4m3_e5m2grad   E5M2 for the two grad_out quantizations (Transformer Engine style)
///   mxfp8_e4m3_wgrad_hp   E4M3 forward and dgrad, wgrad in high precision
///   mxfp8_e4m3_b128       block 128 along K (DeepGEMM-style group-wise scales)
///   bf16                  no quantization at all
QuantRecipe recipePreset(std::string_view name);  // Error(Parse) listing the names for an unknown one
const std::vector<std::string_view>& recipePresetNames();
/// The preset's name if `r` is one, else "".
std::string_view recipePresetName(const QuantRecipe& r);

std::string_view elemFormatName(ElemFormat f);
std::string_view scaleModeName(ScaleMode m);
std::string_view weightLayoutName(WeightLayout l);

/// Parse the names above; throw Error(Parse) listing the accepted spellings otherwise.
ElemFormat parseElemFormat(std::string_view s);
ScaleMode parseScaleMode(std::string_view s);
WeightLayout parseWeightLayout(std::string_view s);

/// Throw InvalidArgument unless the block size is usable (positive, a multiple of 2).
void validateRecipe(const QuantRecipe& r);

}  // namespace mxjit
