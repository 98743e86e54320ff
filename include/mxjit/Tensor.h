// TensorView: a pointer, an element type and a row-major shape. It owns nothing.
#pragma once
#include "mxjit/DType.h"
#include "mxjit/Recipe.h"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace mxjit {

struct TensorView {
  void* data = nullptr;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;  // row-major, contiguous

  int64_t rank() const { return static_cast<int64_t>(shape.size()); }
  int64_t numel() const;
  int64_t dim(int64_t i) const { return shape.at(i < 0 ? i + rank() : i); }
  int64_t nbytes() const { return numel() * dtypeSize(dtype); }
  template <class T> T* as() const { return static_cast<T*>(data); }
};

/// How the e8m0 scales of an MX tensor are stored: plain row-major (the quantized axis divided by the
/// block), the 128x4 blocked layout of torch._scaled_mm / _scaled_grouped_mm, or flashinfer's
/// int32-packed UE8M0 layout.
enum class ScaleLayout : uint8_t { Plain, Blocked128x4, PackedI32 };

/// A prequantized (MX) tensor: fp8 codes in the logical shape and their scales. Scales of 3-D weights
/// [E,N,K] in Blocked128x4 are blocked per expert; in PackedI32 they are flashinfer's b_scale
/// (E, k_align, round_up(N,4)) int32. Scales of 2-D activations [M,K] in Blocked128x4 are blocked per
/// token group (torchao's grouped layout); in PackedI32 they are flashinfer's a_scale for those groups.
struct MXTensorView {
  TensorView qdata;   // E4M3, E5M2 or U8 codes
  TensorView scales;  // E8M0/U8 codes, or I32 words for PackedI32
  ElemFormat elem = ElemFormat::E4M3;
  int32_t block = 32;
  ScaleLayout scaleLayout = ScaleLayout::Plain;
};

/// "[48, 128]": shapes in messages.
std::string shapeString(std::span<const int64_t> shape);

/// Throws DTypeMismatch / ShapeMismatch naming `what` unless `t` has the expected dtype and rank.
void expectDType(const TensorView& t, std::string_view what, std::initializer_list<DType> allowed);
void expectRank(const TensorView& t, std::string_view what, int64_t rank);
/// Throws InvalidArgument unless a non-empty tensor's pointer is set and aligned to its element size
/// (kernels load whole elements; a misaligned bf16 pointer is a caller's bug, not data).
void expectData(const TensorView& t, std::string_view what);

}  // namespace mxjit
