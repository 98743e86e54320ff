// The 16-bit-lane MX quantizer (runtime/helpers/Bf16LaneQuantize.h) against the scalar codec: every bf16
// pattern at every scale code, both formats, every scale mode. Lanes it takes must match bit for bit;
// lanes it hands back must be exactly those it cannot do (fp8 subnormals, NaN, RCEIL past the max); scale codes
// outside its range must be refused.
// GCC 12 warns inside its own AVX-512 headers (an intentionally undefined operand).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "Bf16LaneQuantize.h"

#include "formats/BlockCodec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

using namespace mxjit;
namespace vec = mxjit::helpers::vec;

namespace {

bool hostHasAvx512bw() { return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw"); }

struct LaneResult {
  bool inRange = false;
  uint32_t slow = 0;
  uint16_t dequantized[32];
  uint8_t codes[32];
};

__attribute__((target("avx512f,avx512bw,avx512vl"))) LaneResult runLanes(const uint16_t* x, const uint16_t* codes, ElemFormat f,
                                                                            ScaleMode mode) {
  LaneResult r;
  vec::LaneGrid grid;
  r.inRange = vec::laneGrid(_mm512_loadu_si512(codes), f, &grid);
  if (!r.inRange) return r;
  const __m512i v = _mm512_loadu_si512(x);
  __m512i magnitude, dequantized;
  __m256i q;
  r.slow = vec::roundToGrid(v, grid, f, mode, &magnitude);
  // Both entry points agree with roundToGrid on whether they apply.
  const bool dq = vec::quantizeDequantize32(v, grid, f, mode, &dequantized), qq = vec::quantize32(v, grid, f, mode, &q);
  if (dq != (r.slow == 0) || qq != (r.slow == 0)) r.slow = ~0u, r.inRange = false;
  _mm512_storeu_si512(r.dequantized, _mm512_or_si512(magnitude, _mm512_and_si512(v, _mm512_set1_epi16(int16_t(0x8000)))));
  if (qq) _mm256_storeu_si256(reinterpret_cast<__m256i*>(r.codes), q);
  return r;
}

// What the fast path hands back: x (not zero) is below the scaled fp8 normal minimum, x is NaN, or
// RCEIL (no clamp) puts it past the max.
bool mayBeSlow(uint16_t x, uint8_t code, ElemFormat f, ScaleMode mode) {
  const float v = std::fabs(formats::bf16ToFloat(x));
  const float normalMin = std::ldexp(f == ElemFormat::E4M3 ? 0x1p-6f : 0x1p-14f, int(code) - 127);
  return v != v || (v != 0 && v < normalMin) || (mode == ScaleMode::RCeil && v * formats::e8m0Reciprocal(code) > formats::elemTraits(f).maxNormal);
}

TEST(Bf16LaneQuantize, EveryBf16AtEveryScaleMatchesTheScalarCodec) {
  if (!hostHasAvx512bw()) GTEST_SKIP() << "host has no AVX-512BW";
  for (ElemFormat f : {ElemFormat::E4M3, ElemFormat::E5M2})
    for (ScaleMode mode : {ScaleMode::Floor, ScaleMode::RCeil, ScaleMode::Ceil, ScaleMode::Even})
      for (uint32_t code = 0; code < 256; ++code) {
        const bool fastCode = code >= vec::laneMinCode(f) && code <= vec::laneMaxCode(f);
        int64_t fastLanes = 0;
        for (uint32_t first = 0; first < 0x10000; first += 32) {
          uint16_t x[32], codes[32];
          for (int i = 0; i < 32; ++i) x[i] = uint16_t(first + i), codes[i] = uint16_t(code);
          const LaneResult r = runLanes(x, codes, f, mode);
          ASSERT_EQ(r.inRange, fastCode) << elemFormatName(f) << " code " << code;
          if (!r.inRange) continue;
          for (int i = 0; i < 32; ++i) {
            const float v = formats::bf16ToFloat(x[i]);
            // The fast path hands back exactly the lanes it cannot do.
            ASSERT_EQ(bool(r.slow >> i & 1), mayBeSlow(x[i], uint8_t(code), f, mode))
                << elemFormatName(f) << " " << scaleModeName(mode) << " code " << code << " x 0x" << std::hex << x[i];
            if (r.slow >> i & 1) continue;
            ++fastLanes;
            const uint8_t q = formats::quantizeElement(v, uint8_t(code), f, mode);
            const uint16_t want = formats::floatToBf16(formats::dequantizeValue(q, uint8_t(code), f, formats::DequantRounding::Bf16));
            ASSERT_EQ(r.dequantized[i], want) << elemFormatName(f) << " " << scaleModeName(mode) << " code " << code << " x 0x"
                                              << std::hex << x[i];
            if (r.slow == 0) {
              ASSERT_EQ(r.codes[i], q) << elemFormatName(f) << " " << scaleModeName(mode) << " code " << code;
            }
          }
        }
        if (fastCode) {
          ASSERT_GT(fastLanes, 0) << elemFormatName(f) << " code " << code;
        }
      }
}

__attribute__((target("avx512f,avx512bw,avx512vl"))) void codes16(const uint16_t* amax, ElemFormat f, ScaleMode mode, uint16_t* out) {
  _mm512_storeu_si512(out, vec::scaleCodes16(_mm512_loadu_si512(amax), f, mode));
}

__attribute__((target("avx512f,avx512bw,avx512vl"))) uint16_t maxOf(const uint16_t* v) {
  return vec::maxLane16(vec::magnitudes16(_mm512_loadu_si512(v)));
}

TEST(Bf16LaneQuantize, BlockAmaxAndScaleCodesOfBf16Lanes) {
  if (!hostHasAvx512bw()) GTEST_SKIP() << "host has no AVX-512BW";
  for (ElemFormat f : {ElemFormat::E4M3, ElemFormat::E5M2})
    for (ScaleMode mode : {ScaleMode::Floor, ScaleMode::RCeil, ScaleMode::Ceil, ScaleMode::Even})
      for (uint32_t first = 0; first < 0x8000; first += 32) {
        uint16_t amax[32], got[32];
        for (int i = 0; i < 32; ++i) amax[i] = uint16_t(first + i);
        codes16(amax, f, mode, got);
        for (int i = 0; i < 32; ++i) ASSERT_EQ(got[i], formats::scaleCode(uint32_t(amax[i]) << 16, f, mode)) << amax[i];
      }
  std::mt19937 rng(17);
  for (int trial = 0; trial < 20000; ++trial) {
    uint16_t v[32];
    uint32_t want = 0;
    for (int i = 0; i < 32; ++i) {
      v[i] = uint16_t(rng());
      if (trial % 3 == 0) v[i] &= 0x80FF;  // small magnitudes: ties and zeros
      want = std::max<uint32_t>(want, v[i] & 0x7FFF);
    }
    ASSERT_EQ(maxOf(v), want);
  }
}

__attribute__((target("avx512f,avx512bw,avx512vl"))) void gridsOf16(const uint16_t* blocks, ElemFormat f, ScaleMode mode,
                                                                      uint32_t* maxes, vec::BlockGrids16* grids,
                                                                      uint16_t (*expect)[3]) {
  __m512i r[16];
  for (int i = 0; i < 16; ++i) r[i] = vec::magnitudes16(_mm512_loadu_si512(blocks + 32 * i));
  _mm512_storeu_si512(maxes, vec::maxLanesOf16(r));
  vec::blockGrids16(r, f, mode, grids);
  for (int i = 0; i < 16; ++i) {  // what laneGridOf gives each block's code alone
    const vec::LaneGrid g = vec::laneGridOf(_mm512_set1_epi16(grids->code[i]), f);
    expect[i][0] = uint16_t(_mm_extract_epi16(_mm512_castsi512_si128(g.belowLessOne), 0));
    expect[i][1] = uint16_t(_mm_extract_epi16(_mm512_castsi512_si128(g.ceiling), 0));
    expect[i][2] = uint16_t(_mm_extract_epi16(_mm512_castsi512_si128(g.codeOffset), 0));
  }
}

// 16 blocks' amax by the transpose-and-max tree, their scale codes and grids at once, against the
// scalar codec block by block (random patterns, some blocks tiny, zero, Inf or NaN).
TEST(Bf16LaneQuantize, SixteenBlocksAtOnceMatchBlockByBlock) {
  if (!hostHasAvx512bw()) GTEST_SKIP() << "host has no AVX-512BW";
  std::mt19937 rng(23);
  for (int trial = 0; trial < 3000; ++trial) {
    uint16_t blocks[16 * 32];
    for (int i = 0; i < 16 * 32; ++i) {
      blocks[i] = uint16_t(rng());
      const int kind = (i / 32 + trial) % 7;
      if (kind == 0) blocks[i] &= 0x80FF;              // tiny
      if (kind == 1) blocks[i] = 0;                     // a zero block
      if (kind == 2 && i % 32 == 5) blocks[i] = 0x7F80;  // Inf
      if (kind == 3 && i % 32 == 9) blocks[i] = 0xFFC1;  // NaN
      if (kind >= 4) blocks[i] = (blocks[i] & 0x807F) | uint16_t((100 + kind * 7 + (rng() % 20)) << 7);  // ordinary
    }
    for (ElemFormat f : {ElemFormat::E4M3, ElemFormat::E5M2})
      for (ScaleMode mode : {ScaleMode::Floor, ScaleMode::RCeil, ScaleMode::Ceil, ScaleMode::Even}) {
        uint32_t maxes[16];
        vec::BlockGrids16 grids;
        uint16_t expect[16][3];
        gridsOf16(blocks, f, mode, maxes, &grids, expect);
        for (int b = 0; b < 16; ++b) {
          uint32_t amax = 0;
          for (int i = 0; i < 32; ++i) amax = std::max<uint32_t>(amax, blocks[32 * b + i] & 0x7FFF);
          ASSERT_EQ(maxes[b], amax) << "block " << b;
          const uint8_t code = formats::scaleCode(amax << 16, f, mode);
          ASSERT_EQ(grids.code[b], code) << "block " << b;
          ASSERT_EQ(bool(grids.inLanes >> b & 1), code >= vec::laneMinCode(f) && code <= vec::laneMaxCode(f));
          ASSERT_EQ(grids.belowLessOne[b], expect[b][0]);
          ASSERT_EQ(grids.ceiling[b], expect[b][1]);
          ASSERT_EQ(grids.codeOffset[b], expect[b][2]);
        }
      }
  }
}

}  // namespace
