// AVX-512 forms of the MX codec's hot paths, 16 lanes at a time, bit for bit the scalar definitions in
// lib/formats (tests/codegen/VectorCodecTest.cpp compares every code, scale and special value):
// fp8 code x e8m0 scale -> bf16 (formats::dequantizeValue with DequantRounding::Bf16), fp32 -> fp8 ->
// bf16 at a block's scale (quantizeElement then dequantizeValue), scale codes from block amaxes. The
// 16-bit-lane quantizer (Bf16LaneQuantize.h) and the packers build on them; what neither covers keeps
// the scalar loops.
#pragma once
#include "formats/BlockCodec.h"

#include <immintrin.h>
#include <stdint.h>

#define MXJIT_AVX512_LAMBDA __attribute__((target("avx512f,avx512bw,avx512vl"), always_inline))  // for lambdas
#define MXJIT_AVX512 MXJIT_AVX512_LAMBDA inline

// Keeps the compiler from unrolling a loop whose trip count is a plan constant, or has it unroll a short
// register-resident loop whole (clang for the kernels' bitcode; GCC for the runtime's own AVX-512 paths).
#ifdef __clang__
#define MXJIT_NO_UNROLL _Pragma("clang loop unroll(disable)")
#define MXJIT_UNROLL _Pragma("clang loop unroll(full)")
#else
#define MXJIT_NO_UNROLL _Pragma("GCC unroll 1")
#define MXJIT_UNROLL _Pragma("GCC unroll 64")
#endif

namespace mxjit::helpers::vec {

MXJIT_AVX512 __m512i splat(uint32_t v) { return _mm512_set1_epi32(static_cast<int>(v)); }

/// fp8 codes (one per 32-bit lane, 0..255) -> their exact fp32 values (formats::decodeFp8). The 7-bit
/// magnitude shifted into fp32's exponent and mantissa fields is the value times 2^(bias - 127), for
/// subnormal codes too (they land on fp32 subnormals); one exact multiply rebiases.
MXJIT_AVX512 __m512 decodeFp8(__m512i codes, ElemFormat f) {
  const __m512i mag = _mm512_and_si512(codes, splat(0x7F));
  const __m512i sign = _mm512_slli_epi32(_mm512_and_si512(codes, splat(0x80)), 24);
  __m512i bits;
  if (f == ElemFormat::E4M3) {
    bits = _mm512_castps_si512(_mm512_mul_ps(_mm512_castsi512_ps(_mm512_slli_epi32(mag, 20)), _mm512_set1_ps(0x1p120f)));
    bits = _mm512_mask_mov_epi32(bits, _mm512_cmpeq_epi32_mask(mag, splat(0x7F)), splat(0x7FC00000u));
  } else {
    bits = _mm512_castps_si512(_mm512_mul_ps(_mm512_castsi512_ps(_mm512_slli_epi32(mag, 21)), _mm512_set1_ps(0x1p112f)));
    bits = _mm512_mask_mov_epi32(bits, _mm512_cmpeq_epi32_mask(mag, splat(0x7C)), splat(0x7F800000u));
    bits = _mm512_mask_mov_epi32(bits, _mm512_cmpgt_epu32_mask(mag, splat(0x7C)), splat(0x7FC00000u));
  }
  return _mm512_castsi512_ps(_mm512_or_si512(bits, sign));
}

/// e8m0 codes (per lane) -> S(c) (formats::e8m0Value).
MXJIT_AVX512 __m512 e8m0Value(__m512i codes) {
  __m512i bits = _mm512_slli_epi32(codes, 23);
  bits = _mm512_mask_mov_epi32(bits, _mm512_cmpeq_epi32_mask(codes, splat(0)), splat(0x00400000u));
  bits = _mm512_mask_mov_epi32(bits, _mm512_cmpeq_epi32_mask(codes, splat(255)), splat(0x7FC00000u));
  return _mm512_castsi512_ps(bits);
}

/// fp32 -> bf16 bits in the low half of each lane (formats::floatToBf16: RNE, NaN quieted).
MXJIT_AVX512 __m512i toBf16(__m512 x) {
  const __m512i u = _mm512_castps_si512(x);
  const __m512i rounded =
      _mm512_srli_epi32(_mm512_add_epi32(u, _mm512_add_epi32(splat(0x7FFF), _mm512_and_si512(_mm512_srli_epi32(u, 16), splat(1)))), 16);
  const __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(u, splat(0x7FFFFFFFu)), splat(0x7F800000u));
  return _mm512_mask_mov_epi32(rounded, nan, _mm512_or_si512(_mm512_srli_epi32(u, 16), splat(0x40)));
}

/// The first n lanes of v (all for n >= 16, none for n <= 0) to out[index..] as bf16 (formats::floatToBf16)
/// or fp32: a GEMM's output row segment.
MXJIT_AVX512 void storeLanes(void* out, int64_t index, __m512 v, int64_t n, int32_t outBf16) {
  if (n <= 0) return;
  const __mmask16 mask = n >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << n) - 1);
  if (outBf16) _mm256_mask_storeu_epi16(static_cast<uint16_t*>(out) + index, mask, _mm512_cvtepi32_epi16(toBf16(v)));
  else _mm512_mask_storeu_ps(static_cast<float*>(out) + index, mask, v);
}

/// Dequantized bf16 bits (low half of each lane) of 16 codes with per-lane scales:
/// formats::dequantizeValue(code, scale, f, DequantRounding::Bf16).
MXJIT_AVX512 __m512i dequantizeToBf16(__m512i codes, __m512i scales, ElemFormat f) {
  const __m512 d = decodeFp8(codes, f);
  return toBf16(_mm512_mask_mov_ps(_mm512_mul_ps(d, e8m0Value(scales)), _mm512_cmp_ps_mask(d, d, _CMP_UNORD_Q), d));
}

/// Values quantized at per-lane scale codes and dequantized to bf16 bits (low half of each lane):
/// formats::quantizeElement (x * R(c), clamped to the format's max for every mode but RCEIL, NaN passing)
/// then formats::dequantizeValue(..., DequantRounding::Bf16). `reciprocal` holds R(c) for each lane.
/// The fp8 value is rounded in fp32 without forming its code (formats::encodeFp8's two roundings, kept
/// as values), in about half the instructions of encoding and decoding.
MXJIT_AVX512 __m512i quantizeDequantizeToBf16(__m512 x, __m512 reciprocal, __m512i codes, ElemFormat f, ScaleMode mode) {
  __m512 y = _mm512_mul_ps(x, reciprocal);
  const float maxNormal = formats::elemTraits(f).maxNormal;
  if (mode != ScaleMode::RCeil) {  // compares with NaN are false
    y = _mm512_mask_mov_ps(y, _mm512_cmp_ps_mask(y, _mm512_set1_ps(maxNormal), _CMP_GT_OQ), _mm512_set1_ps(maxNormal));
    y = _mm512_mask_mov_ps(y, _mm512_cmp_ps_mask(y, _mm512_set1_ps(-maxNormal), _CMP_LT_OQ), _mm512_set1_ps(-maxNormal));
  }
  const __m512i u = _mm512_castps_si512(y), a = _mm512_and_si512(u, splat(0x7FFFFFFFu));
  const bool e4m3 = f == ElemFormat::E4M3;
  const int drop = e4m3 ? 20 : 21;
  const float magic = e4m3 ? 16384.0f : 128.0f;  // 2^23 times the smallest subnormal: the FPU rounds to its grid
  const __m512 subnormal = _mm512_sub_ps(_mm512_add_ps(_mm512_castsi512_ps(a), _mm512_set1_ps(magic)), _mm512_set1_ps(magic));
  const __m512i odd = _mm512_and_si512(_mm512_srli_epi32(a, drop), splat(1));
  const __m512i normal = _mm512_andnot_si512(splat((1u << drop) - 1), _mm512_add_epi32(a, _mm512_add_epi32(splat((1u << (drop - 1)) - 1), odd)));
  __m512i q = _mm512_mask_mov_epi32(normal, _mm512_cmplt_epu32_mask(a, splat(e4m3 ? 0x3C800000u : 0x38800000u)),
                                    _mm512_castps_si512(subnormal));
  // Past the largest finite value: e4m3 has no Inf (NaN), e5m2 saturates to Inf; NaN stays NaN.
  __mmask16 nan = _mm512_cmpgt_epu32_mask(a, splat(0x7F800000u));
  if (e4m3) nan |= _mm512_cmpge_epu32_mask(q, splat(0x43F00000u));  // 480: the NaN code's slot
  else q = _mm512_mask_mov_epi32(q, _mm512_cmpge_epu32_mask(q, splat(0x47800000u)), splat(0x7F800000u));
  q = _mm512_or_si512(q, _mm512_and_si512(u, splat(0x80000000u)));
  const __m512 d = _mm512_castsi512_ps(_mm512_mask_mov_epi32(q, nan, splat(0x7FC00000u)));  // kFp8Nan decodes to +qNaN
  const __m512i r = _mm512_castps_si512(_mm512_mask_mov_ps(_mm512_mul_ps(d, e8m0Value(codes)), nan, d));
  // An fp8 value times a power of two keeps at most 4 significant bits: unless the product is an fp32
  // subnormal its low half is zero (NaNs here are the quiet 0x7FC00000), and bf16 is its high half.
  if (_mm512_test_epi32_mask(r, splat(0xFFFF)) == 0) return _mm512_srli_epi32(r, 16);
  return toBf16(_mm512_castsi512_ps(r));
}

/// With a scale code per lane (blocks that run across the lanes): R(c) = S((254 - c) mod 256).
MXJIT_AVX512 __m512i quantizeDequantizeToBf16(__m512 x, __m512i codes, ElemFormat f, ScaleMode mode) {
  const __m512 reciprocal = e8m0Value(_mm512_and_si512(_mm512_sub_epi32(splat(254), codes), splat(0xFF)));
  return quantizeDequantizeToBf16(x, reciprocal, codes, f, mode);
}

/// With one scale code for every lane (a block along the lanes).
MXJIT_AVX512 __m512i quantizeDequantizeToBf16(__m512 x, uint8_t code, ElemFormat f, ScaleMode mode) {
  return quantizeDequantizeToBf16(x, _mm512_set1_ps(formats::e8m0Reciprocal(code)), splat(code), f, mode);
}

/// Scale codes of 16 blocks (one per lane) from their amax patterns: formats::scaleCode, lane by lane.
MXJIT_AVX512 __m512i scaleCodes(__m512i amax, ElemFormat elem, ScaleMode mode) {
  const formats::ElemTraits t = formats::elemTraits(elem);
  const __m512i expMask = splat(formats::detail::kExpMask), mantissaMask = splat(0x7FFFFFu);
  __mmask16 nan = _mm512_cmpeq_epi32_mask(_mm512_and_si512(amax, expMask), expMask);
  __m512i code;
  if (mode == ScaleMode::RCeil) {
    const __m512i d = _mm512_castps_si512(_mm512_mul_ps(_mm512_castsi512_ps(amax), _mm512_set1_ps(1.0f / t.maxNormal)));
    const __m512i e = _mm512_srli_epi32(d, 23), m = _mm512_and_si512(d, mantissaMask);
    nan |= _mm512_cmpeq_epi32_mask(e, splat(255));
    const __m512i normal = _mm512_add_epi32(e, _mm512_maskz_set1_epi32(_mm512_test_epi32_mask(m, m), 1));
    const __m512i subnormal = _mm512_maskz_set1_epi32(_mm512_cmpgt_epu32_mask(m, splat(0x400000u)), 1);
    code = _mm512_mask_mov_epi32(normal, _mm512_cmpeq_epi32_mask(e, _mm512_setzero_si512()), subnormal);
  } else {
    __m512i bits = amax;
    if (mode == ScaleMode::Even) {  // amax rounded to the element's mantissa; a carry to exponent 255 is NaN
      bits = _mm512_and_si512(_mm512_add_epi32(amax, splat(1u << (22 - t.mantissaBits))), splat(0xFF800000u));
      nan |= _mm512_cmpeq_epi32_mask(_mm512_and_si512(bits, expMask), expMask);
    }
    __m512i exponent = _mm512_srli_epi32(bits, 23);
    if (mode == ScaleMode::Ceil)
      exponent = _mm512_add_epi32(exponent, _mm512_maskz_set1_epi32(_mm512_test_epi32_mask(amax, mantissaMask), 1));
    // detail::clampedCode with the bias added: exponent - emax in [0, 255]
    code = _mm512_min_epi32(_mm512_max_epi32(_mm512_sub_epi32(exponent, splat(static_cast<uint32_t>(t.targetMaxPow2))),
                                             _mm512_setzero_si512()),
                            splat(255));
  }
  return _mm512_mask_mov_epi32(code, nan, splat(formats::kE8M0Nan));
}

/// 16 bf16 values -> fp32 lanes.
MXJIT_AVX512 __m512 widenBf16(const uint16_t* p) {
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))), 16));
}

/// 16 bytes -> 16 lanes.
MXJIT_AVX512 __m512i loadBytes(const uint8_t* p) { return _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }

}  // namespace mxjit::helpers::vec
