// A fuzz tensor: a buffer of exactly the declared shape's bytes between two inaccessible pages, at the
// start of its pages and followed by guard bytes, or (atPageEnd) ending where the second page begins.
// JIT-compiled kernels are not instrumented: a read before the start or past the end of either placement
// faults, a write past the end is caught by checking the guard after the call (or faults); under ASan the
// guard is also poisoned, so instrumented code touching it is reported at once.
#pragma once
#include "ByteReader.h"
#include "FuzzTarget.h"
#include "common/GuardPages.h"
#include "mxjit/Tensor.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <iterator>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define MXJIT_FUZZ_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MXJIT_FUZZ_ASAN 1
#endif
#endif
#ifdef MXJIT_FUZZ_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace mxjit::fuzz {

class GuardedTensor {
public:
  static constexpr size_t kGuard = 64;
  static constexpr uint8_t kGuardByte = 0xA5, kGarbage = 0xCD;

  /// Where the tensors made from now on sit: at the end of their pages (true) or at the start.
  static bool& atPageEnd() {
    static bool value = false;
    return value;
  }

  GuardedTensor(DType dtype, std::vector<int64_t> shape) {
    int64_t count = 1;
    for (int64_t d : shape) count = d < 0 ? 0 : count * d;
    size_ = static_cast<size_t>(count * dtypeSize(dtype));
    guardBytes_ = !atPageEnd();
    pages_ = std::make_unique<test::GuardPages>(size_, guardBytes_ ? kGuard : 0, !guardBytes_);
    data_ = pages_->data();
    if (guardBytes_) std::memset(data_ + size_, kGuardByte, kGuard);
    view = TensorView{data_, dtype, std::move(shape)};
#ifdef MXJIT_FUZZ_ASAN
    if (guardBytes_) ASAN_POISON_MEMORY_REGION(data_ + size_, kGuard);
#endif
  }
  ~GuardedTensor() {
#ifdef MXJIT_FUZZ_ASAN
    if (guardBytes_) ASAN_UNPOISON_MEMORY_REGION(data_ + size_, kGuard);
#endif
  }
  GuardedTensor(const GuardedTensor&) = delete;
  GuardedTensor& operator=(const GuardedTensor&) = delete;

  TensorView view;  // the tensor as passed to the op (a test may break its data pointer)

  uint8_t* bytes() const { return data_; }
  size_t size() const { return size_; }

  /// Values drawn from the input, in one of four styles: wide-range normals (exponents -6..6, as the
  /// JIT tests use), zeros, normals with NaN, Inf, -0 and the fp8 maxima mixed in, or extremes (raw bit
  /// patterns, fp32 subnormals, values near FLT_MAX). Integer tensors get small values, fp8 tensors any
  /// byte. Returns false for extremes: a GEMM on them can overflow or underflow fp32 products, where
  /// fused and unfused multiply-adds (and DAZ/FTZ instructions) legitimately differ.
  bool fill(ByteReader& in) {
    const size_t style = in.pick(4);
    std::mt19937 rng(in.byte());
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::uniform_int_distribution<int> exponent(-6, 6);
    auto value = [&]() -> float {
      static constexpr float kSpecial[] = {std::numeric_limits<float>::quiet_NaN(), INFINITY, -INFINITY, -0.0f, 448.0f, 57344.0f};
      static constexpr float kExtreme[] = {1e-40f, -0x1p-130f, 0x1p-149f, 3.4e38f, -0x1p120f, 0x1p-100f};
      switch (style) {
      case 1: return 0.0f;
      case 2: if (rng() % 8 == 0) return kSpecial[rng() % std::size(kSpecial)]; break;
      case 3:
        if (rng() % 2 == 0) return std::bit_cast<float>(static_cast<uint32_t>(rng()));
        if (rng() % 4 == 0) return kExtreme[rng() % std::size(kExtreme)];
        break;
      }
      return std::ldexp(normal(rng), exponent(rng));
    };
    const int64_t elems = static_cast<int64_t>(size_) / dtypeSize(view.dtype);
    for (int64_t i = 0; i < elems; ++i) {
      uint8_t* p = bytes() + i * dtypeSize(view.dtype);
      switch (view.dtype) {
      case DType::F32: { const float v = value(); std::memcpy(p, &v, 4); break; }
      case DType::BF16: { const uint16_t v = static_cast<uint16_t>(std::bit_cast<uint32_t>(value()) >> 16); std::memcpy(p, &v, 2); break; }
      case DType::I32: { const int32_t v = static_cast<int32_t>(rng() % 64); std::memcpy(p, &v, 4); break; }
      default: *p = static_cast<uint8_t>(rng());
      }
    }
    return style != 3;
  }
  /// An output's initial contents: an op must overwrite every byte it promises to write.
  void fillGarbage() { std::memset(bytes(), kGarbage, size_); }
  /// Int32 values from the start of the buffer, as many as fit (offsets, whatever the declared dtype).
  void setInts(const std::vector<int32_t>& values) {
    std::memset(bytes(), 0, size_);
    if (!values.empty()) std::memcpy(bytes(), values.data(), std::min(size_, values.size() * sizeof(int32_t)));
  }

  void checkGuard(std::string_view name) const {
    if (!guardBytes_) return;  // at the end of its pages: a write past it faulted
#ifdef MXJIT_FUZZ_ASAN
    ASAN_UNPOISON_MEMORY_REGION(data_ + size_, kGuard);
#endif
    for (size_t i = 0; i < kGuard; ++i)
      if (data_[size_ + i] != kGuardByte) fail(std::string(name) + ": written past its end (guard byte " + std::to_string(i) + ")");
#ifdef MXJIT_FUZZ_ASAN
    ASAN_POISON_MEMORY_REGION(data_ + size_, kGuard);
#endif
  }
  std::vector<uint8_t> snapshot() const { return {bytes(), bytes() + size_}; }

private:
  std::unique_ptr<test::GuardPages> pages_;
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
  bool guardBytes_ = true;
};

}  // namespace mxjit::fuzz
