// The vocabulary of mx.grouped_mm's attributes, shared by the IR, the passes and the kernel plan.
#pragma once
#include "mxjit/Recipe.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mxjit::ir {

/// 2d3d: out[M,N] = a[M,K] @ b[g][K,N] for the rows of group g (forward, dgrad).
/// 2d2d: out[g][K,N] = sum over rows m of group g of a[m,:]^T b[m,:] (wgrad).
enum class GemmKind : uint8_t { G2d3d, G2d2d };

/// Storage order of an operand, named by its logical dims: 2d3d a: mk; 2d3d b: ekn | enk | pnk;
/// 2d2d a: mk | km; 2d2d b: mn | nm. A transpose folded into an operand flips its layout. pnk: MX
/// weights [E,N,K] panel-packed for the AVX512-BF16 forward (formats/PanelPackedWeights.h), codes and
/// scales; made once by mxjit::pack_weights, never by a pass.
enum class OperandLayout : uint8_t { MK, KM, EKN, ENK, MN, NM, PNK };

/// A fused quantization of a grouped_mm operand, text `e4m3.b32.rceil` (elem, block, mode).
struct FusedQuant {
  ElemFormat elem = ElemFormat::E4M3;
  int32_t block = 32;
  ScaleMode mode = ScaleMode::RCeil;
  bool operator==(const FusedQuant&) const = default;
};

/// Which pass of a training step a matmul is, for recipes that treat gradients differently:
/// fwd (a = activations, b = weights), dgrad (a = grad_out, b = weights), wgrad (a = activations,
/// b = grad_out).
enum class GemmRole : uint8_t { Forward, Dgrad, Wgrad };

std::string_view gemmRoleName(GemmRole r);  // "fwd", "dgrad", "wgrad"
std::optional<GemmRole> parseGemmRole(std::string_view s);
/// The quantization a recipe gives operand a (0) or b (1) of a matmul in `role`; nullopt = high precision.
std::optional<FusedQuant> recipeOperandQuant(const QuantRecipe& r, GemmRole role, int operand);

std::string_view gemmKindName(GemmKind k);  // "2d3d", "2d2d"
std::optional<GemmKind> parseGemmKind(std::string_view s);
std::string_view operandLayoutName(OperandLayout l);  // "mk", "km", "ekn", "enk", "mn", "nm", "pnk"
std::optional<OperandLayout> parseOperandLayout(std::string_view s);
OperandLayout flipped(OperandLayout l);  // mk<->km, ekn<->enk, mn<->nm; pnk stays (no transpose folds into it)
std::string fusedQuantText(const FusedQuant& q);
std::optional<FusedQuant> parseFusedQuant(std::string_view s);

}  // namespace mxjit::ir
