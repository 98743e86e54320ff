// The AMX-BF16 microkernel: a 32x32 fp32 block of C in four tiles (tmm0-3), two 16-row A tiles (tmm4-5)
// and two 16-column B tiles (tmm6-7); each K step of 32 is one MX block, one tdpbf16ps per C tile.
// Operands are bf16 in natural pair order (element k in the pair's low half, k+1 in the high half):
// tdpbf16ps sums a tile row's 32 products internally and rounds that sum once before adding it to C
// (measured on Sapphire-Rapids-class hosts; DAZ/FTZ as vdpbf16ps), so no packing order reproduces the
// reference's one-product-at-a-time sum. AMX results therefore differ from the reference by fp32
// rounding (bounded in tests/runtime/GemmTolerance.h); targets avx512bf16 and avx512 stay exact.
#pragma once
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#define MXJIT_AMX __attribute__((target("amx-tile,amx-bf16,avx512f,avx512bf16"), always_inline)) inline

namespace mxjit::helpers {

constexpr int64_t kAmxK = 32;     // bf16 elements per A tile row: one MX block
constexpr int64_t kAmxChunk = 256;  // K per pass over the row slabs: a 16 KiB chunk of the B panel

inline int64_t amxDepth(int64_t k) { return (k + kAmxK - 1) / kAmxK * kAmxK; }

struct AmxTileConfig {
  uint8_t palette, startRow;
  uint8_t reserved[14];
  uint16_t colsBytes[16];
  uint8_t rows[16];
};

/// Every tile 16 rows x 64 bytes (palette 1). Loaded per work item: cheap next to a panel's tiles.
MXJIT_AMX void amxConfigure() {
  AmxTileConfig c;
  memset(&c, 0, sizeof c);
  c.palette = 1;
  for (int t = 0; t < 8; ++t) c.colsBytes[t] = 64, c.rows[t] = 16;
  _tile_loadconfig(&c);
}

/// c[32][32] (row stride 32 floats) += a[32 rows, k0..k1) x b over those K, where a's row r starts at
/// a + r * aStride (bf16 elements) and b holds pair rows of 32 columns (64 bf16 each); `first` starts
/// from zero instead of c. Called per K chunk so a chunk of b stays in L1 across several row slabs.
MXJIT_AMX void amxBlock32x32(const uint16_t* a, int64_t aStride, const uint16_t* b, int64_t k0, int64_t k1, float* c,
                             bool first) {
  if (first) {
    _tile_zero(0);
    _tile_zero(1);
    _tile_zero(2);
    _tile_zero(3);
  } else {
    _tile_loadd(0, c, 128);
    _tile_loadd(1, c + 16, 128);
    _tile_loadd(2, c + 16 * 32, 128);
    _tile_loadd(3, c + 16 * 32 + 16, 128);
  }
  const int64_t aBytes = aStride * 2;
  for (int64_t k = k0; k < k1; k += kAmxK) {
    _tile_loadd(4, a + k, aBytes);
    _tile_loadd(5, a + 16 * aStride + k, aBytes);
    _tile_loadd(6, b + k * 32, 128);
    _tile_loadd(7, b + k * 32 + 32, 128);
    _tile_dpbf16ps(0, 4, 6);
    _tile_dpbf16ps(1, 4, 7);
    _tile_dpbf16ps(2, 5, 6);
    _tile_dpbf16ps(3, 5, 7);
  }
  _tile_stored(0, c, 128);
  _tile_stored(1, c + 16, 128);
  _tile_stored(2, c + 16 * 32, 128);
  _tile_stored(3, c + 16 * 32 + 16, 128);
}

MXJIT_AMX void amxRelease() { _tile_release(); }

}  // namespace mxjit::helpers
