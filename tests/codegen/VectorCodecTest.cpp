// The AVX-512 codec the kernel helpers pack with (runtime/helpers/MxVectorCodec.h) against the scalar
// definitions in lib/formats: every fp8 code under every e8m0 scale, both formats; and the quantize
// round trip on values around every format boundary, under every scale mode; the 2d2d token packers'
// vector path against their scalar cold path.
// GCC 12 warns inside its own AVX-512 headers (an intentionally undefined operand).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "ColdPaths.h"
#include "MxVectorCodec.h"
#include "Fp8Decode.h"
#include "VectorPack.h"

#include "formats/BlockCodec.h"
#include "formats/FastDecode.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

using namespace mxjit;

namespace {

bool hostHasAvx512bw() { return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw"); }

__attribute__((target("avx512f,avx512bw,avx512vl"))) void dequantizeBlock(const uint8_t* codes, const uint8_t* scales,
                                                                            ElemFormat f, uint16_t* out) {
  const __m512i bits = helpers::vec::dequantizeToBf16(helpers::vec::loadBytes(codes), helpers::vec::loadBytes(scales), f);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), _mm512_cvtepi32_epi16(bits));
}

__attribute__((target("avx512f,avx512bw,avx512vl"))) void roundTripBlock(const float* x, uint8_t scale, ElemFormat f,
                                                                           ScaleMode mode, uint16_t* out) {
  const __m512i bits = helpers::vec::quantizeDequantizeToBf16(_mm512_loadu_ps(x), scale, f, mode);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), _mm512_cvtepi32_epi16(bits));
}

TEST(VectorCodec, DequantizeEveryCodeUnderEveryScale) {
  if (!hostHasAvx512bw()) GTEST_SKIP() << "host has no AVX-512BW";
  for (ElemFormat f : {ElemFormat::E4M3, ElemFormat::E5M2})
    for (int scale = 0; scale < 256; ++scale)
      for (int first = 0; first < 256; first += 16) {
        uint8_t codes[16], scales[16];
        uint16_t got[16];
        for (int i = 0; i < 16; ++i) codes[i] = uint8_t(first + i), scales[i] = uint8_t(scale);
        dequantizeBlock(codes, scales, f, got);
        for (int i = 0; i < 16; ++i) {
          const float want = formats::dequantizeValue(codes[i], scales[i], f, formats::DequantRounding::Bf16);
          ASSERT_EQ(got[i], formats::floatToBf16(want))
              << elemFormatName(f) << " code " << int(codes[i]) << " scale " << scale;
        }
      }
}

TEST(VectorCodec, QuantizeRoundTripMatchesTheScalarCodec) {
  if (!hostHasAvx512bw()) GTEST_SKIP() << "host has no AVX-512BW";
  // Values at and around every fp8 boundary (subnormal steps, max normal, overflow to NaN / Inf), fp32
  // subnormals, signed zeros, Inf and NaN, at scales that put them anywhere in the element's range.
  std::vector<float> values = {0.0f, -0.0f, std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                               std::numeric_limits<float>::quiet_NaN(), 1e-45f, -1e-40f, 3.0e38f};
  for (int e = -20; e <= 18; ++e)
    for (float m : {1.0f, 1.0625f, 1.125f, 1.1875f, 1.25f, 1.5f, 1.75f, 1.875f, 1.9375f, 1.96875f})
      for (float s : {1.0f, -1.0f}) values.push_back(s * std::ldexp(m, e));
  // The packers feed it bf16 values: every bf16 pattern under every scale code.
  for (uint32_t bits = 0; bits < 0x10000; ++bits) values.push_back(formats::bf16ToFloat(static_cast<uint16_t>(bits)));
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  while (values.size() % 16) values.push_back(normal(rng));
  for (ElemFormat f : {ElemFormat::E4M3, ElemFormat::E5M2})
    for (ScaleMode mode : {ScaleMode::Floor, ScaleMode::RCeil, ScaleMode::Ceil, ScaleMode::Even})
      for (int scale = 0; scale < 256; ++scale)
        for (size_t first = 0; first < values.size(); first += 16) {
          uint16_t got[16];
          roundTripBlock(&values[first], uint8_t(scale), f, mode, got);
          for (int i = 0; i < 16; ++i) {
            const float x = values[first + i];
            const uint8_t q = formats::quantizeElement(x, uint8_t(scale), f, mode);
            const float want = formats::dequantizeValue(q, uint8_t(scale), f, formats::DequantRounding::Bf16);
            ASSERT_EQ(got[i], formats::floatToBf16(want)) << elemFormatName(f) << " " << scaleModeName(mode) << " scale "
                                                          << scale << " x " << x;
          }
        }
}

__attribute__((target("avx512f,avx512bw,avx512vl"))) void tableDequantize(const uint8_t* codes, uint8_t scale, ElemFormat f,
                                                                            uint16_t* out) {
  const helpers::vec::Fp8Table table = helpers::vec::fp8Table(f);
  _mm512_storeu_si512(out, helpers::vec::dequantize32(table, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(codes)),
                                                      helpers::vec::exponentShiftOf(scale)));
}

TEST(VectorCodec, TableDecodeIsExactOverItsScaleRange) {
  if (!hostHasAvx512bw()) GTEST_SKIP() << "host has no AVX-512BW";
  for (ElemFormat f : {ElemFormat::E4M3, ElemFormat::E5M2})
    for (uint32_t scale = helpers::vec::kFastScaleMin; scale <= helpers::vec::kFastScaleMax; ++scale)
      for (int first = 0; first < 256; first += 32) {
        uint8_t codes[32];
        uint16_t got[32];
        for (int i = 0; i < 32; ++i) codes[i] = uint8_t(first + i);
        tableDequantize(codes, uint8_t(scale), f, got);
        for (int i = 0; i < 32; ++i)
          ASSERT_EQ(got[i], formats::floatToBf16(formats::dequantizeValue(codes[i], uint8_t(scale), f, formats::DequantRounding::Bf16)))
              << elemFormatName(f) << " code " << int(codes[i]) << " scale " << scale;
      }
}

__attribute__((target("avx512f,avx512bw,avx512vl"))) bool normalDequantize(const uint8_t* codes, uint8_t scale, ElemFormat f,
                                                                               uint16_t* out) {
  __m512i v;
  if (!helpers::vec::dequantize32Normal(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(codes)),
                                        helpers::vec::exponentShiftOf(scale), f, &v))
    return false;
  _mm512_storeu_si512(out, v);
  return true;
}

// The arithmetic decode takes every normal code and zero, refuses subnormals, NaN and Inf (one such code
// in 32 refuses the register), and equals the scalar codec over the fast scale range.
TEST(VectorCodec, ArithmeticDecodeOfNormalCodesIsExact) {
  if (!hostHasAvx512bw()) GTEST_SKIP() << "host has no AVX-512BW";
  for (ElemFormat f : {ElemFormat::E4M3, ElemFormat::E5M2})
    for (uint32_t scale = helpers::vec::kFastScaleMin; scale <= helpers::vec::kFastScaleMax; ++scale)
      for (int code = 0; code < 256; ++code) {
        uint8_t codes[32];
        uint16_t got[32];
        for (int i = 0; i < 32; ++i) codes[i] = i == 7 ? uint8_t(code) : uint8_t(0x38 + (i & 0x87));  // normal neighbours
        const float d = formats::decodeFp8(uint8_t(code), f);
        const bool normalOrZero = d == 0 || (std::isfinite(d) && std::fabs(d) >= (f == ElemFormat::E4M3 ? 0x1p-6f : 0x1p-14f));
        ASSERT_EQ(normalDequantize(codes, uint8_t(scale), f, got), normalOrZero) << elemFormatName(f) << " code " << code;
        ASSERT_EQ(formats::regularCode(uint8_t(code), f), normalOrZero) << elemFormatName(f) << " code " << code;  // the packer's
        if (!normalOrZero) continue;
        for (int i = 0; i < 32; ++i)
          ASSERT_EQ(got[i], formats::floatToBf16(formats::dequantizeValue(codes[i], uint8_t(scale), f, formats::DequantRounding::Bf16)))
              << elemFormatName(f) << " code " << int(codes[i]) << " scale " << scale;
      }
}

__attribute__((target("avx512f,avx512bw,avx512vl"))) void transposeInts(int32_t* m) {
  __m512i r[16];
  for (int i = 0; i < 16; ++i) r[i] = _mm512_loadu_si512(m + 16 * i);
  helpers::vec::transpose16x16(r);
  for (int i = 0; i < 16; ++i) _mm512_storeu_si512(m + 16 * i, r[i]);
}

TEST(VectorCodec, TransposeOf16x16Dwords) {
  if (!hostHasAvx512bw()) GTEST_SKIP() << "host has no AVX-512BW";
  int32_t m[256];
  for (int i = 0; i < 256; ++i) m[i] = i;
  transposeInts(m);
  for (int i = 0; i < 16; ++i)
    for (int c = 0; c < 16; ++c) ASSERT_EQ(m[16 * i + c], 16 * c + i) << i << "," << c;
}

__attribute__((target("avx512f,avx512bw,avx512vl"))) bool columnTile(const uint8_t* codes, int64_t K, const uint8_t* scales,
                                                                       int64_t kBlocks, int64_t k, int64_t block, ElemFormat f,
                                                                       bool swapPairs, uint32_t* words) {
  return helpers::vec::decodeColumnTile(codes, K, scales, kBlocks, k, block, f, helpers::vec::fp8Table(f),
                                        helpers::vec::pairRowShuffles(swapPairs), words, 24);
}

// 16 columns x 64 k decoded through the byte transpose: every code (each tile holds all 256, or only the
// normal ones and zero, the arithmetic's case), every fast scale code in some column and block, tiles
// starting at every 32-k step and blocks of 32 and 64, both pair orders; a scale outside the fast range
// in a tile's blocks refuses the tile.
TEST(VectorCodec, ColumnTileDecodeEqualsTheScalarCodec) {
  if (!hostHasAvx512bw()) GTEST_SKIP() << "host has no AVX-512BW";
  constexpr int64_t K = 256, kRowWords = 24;  // a row stride wider than the tile's 16 columns
  int64_t tiles = 0, refused = 0;
  for (ElemFormat f : {ElemFormat::E4M3, ElemFormat::E5M2})
    for (int64_t block : {32, 64})
      for (int round = 0; round < 8; ++round) {
        const int64_t kBlocks = K / block;
        std::vector<uint8_t> codes(16 * K), scales(16 * kBlocks);
        for (int64_t c = 0; c < 16; ++c) {
          for (int64_t k = 0; k < K; ++k) {
            uint8_t code = uint8_t(c * 37 + k * 11 + round * 101);
            const float d = formats::decodeFp8(code, f);
            const bool normalOrZero = d == 0 || (std::isfinite(d) && std::fabs(d) >= (f == ElemFormat::E4M3 ? 0x1p-6f : 0x1p-14f));
            if (round % 2 && !normalOrZero) code = uint8_t(0x40 | (code & 0x80));  // odd rounds: the arithmetic's codes only
            codes[c * K + k] = code;
          }
          for (int64_t b = 0; b < kBlocks; ++b)
            scales[c * kBlocks + b] = uint8_t(helpers::vec::kFastScaleMin + (round * 131 + c * kBlocks + b) %
                                                                                (helpers::vec::kFastScaleMax - helpers::vec::kFastScaleMin + 1));
        }
        if (round == 6) scales[5 * kBlocks + 1] = 3;     // too small: every result subnormal or zero
        if (round == 7) scales[9 * kBlocks + 2] = 250;   // too large
        for (int64_t k = 0; k + 64 <= K; k += 32)
          for (bool swap : {false, true}) {
            std::vector<uint32_t> words(32 * kRowWords, 0xDEADBEEF);
            const bool decoded = columnTile(codes.data(), K, scales.data(), kBlocks, k, block, f, swap, words.data());
            bool fast = true;
            for (int64_t c = 0; c < 16; ++c)
              for (int64_t b : {k / block, (k + 32) / block})
                fast = fast && helpers::vec::fastScale(scales[c * kBlocks + b]);
            ASSERT_EQ(decoded, fast) << "k " << k << " round " << round;
            ++tiles;
            if (!decoded) {
              ++refused;
              ASSERT_EQ(words[0], 0xDEADBEEF) << "a refused tile writes nothing";
              continue;
            }
            for (int64_t q = 0; q < 32; ++q)
              for (int64_t c = 0; c < 16; ++c)
                for (int slot = 0; slot < 2; ++slot) {
                  const int64_t kk = k + 2 * q + (swap ? 1 - slot : slot);
                  const uint16_t want = formats::floatToBf16(formats::dequantizeValue(
                      codes[c * K + kk], scales[c * kBlocks + kk / block], f, formats::DequantRounding::Bf16));
                  ASSERT_EQ(uint16_t(words[q * kRowWords + c] >> (16 * slot)), want)
                      << elemFormatName(f) << " block " << block << " round " << round << " column " << c << " k " << kk;
                }
            ASSERT_EQ(words[kRowWords - 1], 0xDEADBEEF) << "columns past the tile untouched";
          }
      }
  EXPECT_GT(refused, 0);
  EXPECT_GT(tiles - refused, refused);
}

__attribute__((target("avx512f,avx512bw,avx512vl"))) void vectorScaleCodes(const uint32_t* amax, ElemFormat f, ScaleMode mode,
                                                                              uint32_t* codes) {
  _mm512_storeu_si512(codes, helpers::vec::scaleCodes(_mm512_loadu_si512(amax), f, mode));
}

// Every amax a bf16 block can have (each bf16 magnitude), plus fp32 patterns: every exponent with edge
// and random mantissas, subnormals, Inf and NaN; lane by lane equal to formats::scaleCode.
TEST(VectorCodec, ScaleCodesMatchTheScalarCodec) {
  if (!hostHasAvx512bw()) GTEST_SKIP() << "host has no AVX-512BW";
  std::vector<uint32_t> amax;
  for (uint32_t b = 0; b < 0x8000; ++b) amax.push_back(b << 16);
  std::mt19937 rng(3);
  for (uint32_t e = 0; e < 256; ++e)
    for (uint32_t m : {0u, 1u, 0x3FFFFFu, 0x400000u, 0x400001u, 0x7FFFFFu, 0x0FFFFFu, 0x100000u, 0x1FFFFFu, 0x200000u})
      amax.push_back(e << 23 | m), amax.push_back(e << 23 | (rng() & 0x7FFFFFu));
  while (amax.size() % 16) amax.push_back(rng() & 0x7FFFFFFFu);
  for (ElemFormat f : {ElemFormat::E4M3, ElemFormat::E5M2})
    for (ScaleMode mode : {ScaleMode::Floor, ScaleMode::RCeil, ScaleMode::Ceil, ScaleMode::Even})
      for (size_t first = 0; first < amax.size(); first += 16) {
        uint32_t got[16];
        vectorScaleCodes(&amax[first], f, mode, got);
        for (int i = 0; i < 16; ++i)
          ASSERT_EQ(got[i], formats::scaleCode(amax[first + i], f, mode))
              << elemFormatName(f) << " " << scaleModeName(mode) << " amax 0x" << std::hex << amax[first + i];
      }
}

__attribute__((target("avx512f,avx512bw,avx512vl"))) bool packColumnsVector(int64_t c0, int64_t c1, const uint16_t* src,
                                                                               int64_t begin, int64_t end, int64_t cols, int32_t load,
                                                                               ElemFormat f, ScaleMode mode, int64_t p0,
                                                                               const helpers::TokenPairLayout& layout, uint16_t* dst) {
  return helpers::vec::packTokenColumns(src, begin, end, cols, c0, c1, load, f, mode, 32, p0, layout, dst);
}

// The 2d2d packers' two paths write the same words: the vector one (strips of 32 columns, then 16; each
// block in 16-bit lanes, or by the cold packer where a value is below the fp8 normal range) and the
// scalar cold path, for the vdpbf16ps panels and AMX's panels and column-major rows, groups of every
// parity and padding, column spans of 16, 32 and 48, quantized (both formats, two scale modes) and
// high-precision; and the pad pairs AMX tiles read are zero. Tiny values sit in some blocks only: group
// 4's first block in the first strip (its short last block is fast and pads in vectors) and group 5's
// last block in the last strip (the cold packer pads there).
TEST(VectorCodec, TokenPackingVectorEqualsScalarInEveryLayout) {
  if (!hostHasAvx512bw()) GTEST_SKIP() << "host has no AVX-512BW";
  const std::vector<int64_t> groupSizes = {0, 1, 5, 32, 37, 64};
  int64_t m = 0;
  for (int64_t s : groupSizes) m += s;
  const int64_t cols = 48, groups = static_cast<int64_t>(groupSizes.size());
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  std::vector<uint16_t> src(m * cols);
  for (uint16_t& v : src) v = formats::floatToBf16(normal(rng));
  const auto shrink = [&](int64_t row, int64_t c) { src[row * cols + c] = formats::floatToBf16(formats::bf16ToFloat(src[row * cols + c]) * 0x1p-20f); };
  for (int64_t row = 38; row < 70; row += 3) shrink(row, 7);    // group 4 (rows 38..74), its first block
  for (int64_t row = 108; row < 139; row += 3) shrink(row, 40);  // group 5 (rows 75..138), its last block
  for (bool amx : {false, true})
    for (int which : {0, 1})
      for (int32_t load : {int32_t(mxjit::abi::kQuantizeBf16), int32_t(mxjit::abi::kHighPrecisionBf16)})
        for (ElemFormat f : {ElemFormat::E4M3, ElemFormat::E5M2})
          for (ScaleMode mode : {ScaleMode::RCeil, ScaleMode::Floor})
            for (int64_t span : {16, 32, 48}) {
              const helpers::TokenPairLayout layout =
                  amx ? helpers::amxTokenLayout(which, m, groups) : helpers::vdpbf16TokenLayout(which, m, groups);
              std::vector<uint16_t> vec(2 * layout.words(cols), 0xABCD), cold = vec;
              for (int64_t g = 0, begin = 0, p0 = 0; g < groups; begin += groupSizes[g], p0 += layout.paddedPairs(groupSizes[g]), ++g) {
                const int64_t end = begin + groupSizes[g];
                for (int64_t c0 = 0; c0 < cols; c0 += span)
                  ASSERT_TRUE(packColumnsVector(c0, std::min(c0 + span, cols), src.data(), begin, end, cols, load, f, mode, p0, layout,
                                                vec.data()));
                mxjit_cold_pack_token_columns_bf16(src.data(), begin, end, m, cols, 0, cols, 0, load, int32_t(f), int32_t(mode), 32, p0,
                                                   &layout, cold.data());
                for (int64_t pair = (groupSizes[g] + 1) / 2; pair < layout.paddedPairs(groupSizes[g]); ++pair)
                  for (int64_t c = 0; c < cols; ++c)
                    ASSERT_EQ(reinterpret_cast<const uint32_t*>(vec.data())[layout.word(p0 + pair, c)], 0u) << "pad pair " << pair;
              }
              ASSERT_EQ(vec, cold) << (amx ? "amx" : "vdpbf16ps") << " operand " << which << " load " << load << " "
                                   << elemFormatName(f) << " " << scaleModeName(mode) << " span " << span;
            }
}

}  // namespace
