// The quant recipe: which fp8 format each operand uses, the block size and the scale rounding mode.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

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
};

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
