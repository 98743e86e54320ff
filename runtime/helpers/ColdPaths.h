// The bf16 / AMX / AVX-512 quantize kernels' cold paths: what their AVX-512 code does not cover (fp8
// scales outside the fast decode's range, partial panels, odd blocks, high-precision f32 operands, blocks
// with fp8 subnormals or NaN) goes through the scalar packers and codec. They are compiled once, into
// the runtime library, rather than into every specialised kernel: inlined they were about half of each
// kernel's machine code and compile time, for paths that real shapes and scales rarely take. So is one
// hot path that gains nothing from specialising: the activation row packer (quantizing A's rows, in
// 16-bit lanes, for the bf16 and AMX kernels), which took ~10 ms of every such kernel's first-call
// compile. The JIT resolves these symbols to the runtime's definitions.
#pragma once
#include "KernelABI.h"
#include "TokenPairLayout.h"

namespace mxjit::helpers {
struct ColumnTile;
struct PanelPair;
}

extern "C" {

/// Row `src` of A into `row` as bf16, `width` wide (zeros past K), pairs swapped when `swapPairs`: the
/// AVX-512 packer (VectorPack.h, packRow), else the scalar one; `tmp` holds K floats. AVX-512 hosts only.
void mxjit_pack_row_bf16(const mxjit::abi::KernelArgs* args, int64_t src, uint16_t* row, int64_t K, int64_t width,
                         bool swapPairs, int32_t loadA, int32_t elemA, int32_t modeA, int32_t block, float* tmp);

/// Rows [k0, k1) of column panel `tile` (NR wide) of group g's B as bf16 pairs along K, `width` deep from
/// k0; `tmp` holds (k1 - k0) * NR floats.
void mxjit_cold_pack_b_panel_bf16(const mxjit::abi::KernelArgs* args, int64_t g, int64_t tile, uint16_t* dst, int64_t K,
                                  int64_t k0, int64_t k1, int64_t width, bool swapPairs, int64_t N, int32_t enk, int32_t load,
                                  int32_t elem, int32_t mode, int32_t block, int32_t NR, float* tmp);

/// Columns [c0, c1) of a 2d2d operand, tokens [begin, end) of one group, as bf16 token pairs from pair p0
/// in `layout` (TokenPairLayout.h), pad pairs zeroed; `transposed`: stored [cols, m].
void mxjit_cold_pack_token_columns_bf16(const void* src, int64_t begin, int64_t end, int64_t m, int64_t cols, int64_t c0,
                                        int64_t c1, int32_t transposed, int32_t load, int32_t elem, int32_t mode,
                                        int32_t block, int64_t p0, const mxjit::helpers::TokenPairLayout* layout,
                                        uint16_t* dst);

/// `n` rows of 32 bf16 columns `stride` apart quantized along the rows as one block (a scale per column)
/// and dequantized, as n / 2 pair rows of a 32-column panel at words (vec::packPairRowsAnyValues): the
/// blocks of the weight-streaming packer with fp8 subnormals or NaN (vec::packQuantizedPanels).
void mxjit_cold_pack_pair_rows(const uint16_t* rows, int64_t stride, int64_t n, int32_t elem, int32_t mode, bool swapPairs,
                               uint32_t* words);

/// One block of tokens [first, first + n) of a 2d2d operand's group [begin, end), `width` (16 or 32)
/// columns from c0, quantized in 16-bit lanes where they can, else through the fp32 codec, as token pairs
/// from pair p0 in `layout` (vec::putTokenBlockAnyValues): the vector packer's blocks with fp8
/// subnormals or NaN (vec::packTokenColumns).
void mxjit_cold_pack_token_block(const uint16_t* src, int64_t begin, int64_t end, int64_t first, int64_t n, int64_t cols, int64_t c0,
                                 int32_t width, int32_t elem, int32_t mode, int64_t p0,
                                 const mxjit::helpers::TokenPairLayout* layout, uint16_t* dst);

/// fp8 codes k .. k+63 of 16 columns stored along K (column c's codes at codes + c * K, its kBlocks scales
/// at scales + c * kBlocks) as 32 pair rows of 16 columns (vec::decodeColumnTile: the table decode where a
/// code is subnormal, NaN or Inf) at dst + 32 * q, k + 1 in the low half of each pair where `swapPairs`
/// (vdpbf16ps), else natural (AMX); false, nothing written, where a scale is outside the fast range. The
/// column-tile kernels' (ColumnTileGemm.h) steps with such codes.
bool mxjit_cold_decode_column_tile(const uint8_t* codes, int64_t K, const uint8_t* scales, int64_t kBlocks, int64_t k,
                                   int64_t block, int32_t elem, bool swapPairs, uint16_t* dst);

/// bf16 values k .. k+31 of 16 columns stored along K (column c's at x + c * K), quantized along K in
/// blocks of 32 and dequantized, as 16 pair rows of 16 columns at dst + 32 * q (pairs as above): the
/// 16-bit lanes where they can, the fp32 codec for the registers they cannot (vec::quantizeColumnTile).
/// The column-tile kernels' steps with fp8 subnormals, NaN, Inf or scales outside the lanes' range.
void mxjit_cold_quantize_column_tile(const uint16_t* x, int64_t K, int64_t k, int32_t elem, int32_t mode, bool swapPairs,
                                     uint16_t* dst);

/// A column-tile kernel's step at k (ColumnTileGemm.h) that its fast paths cannot take, from memory
/// (stepFromMemory), times its 8 token rows at a (pair p of row t at a[t * pairsPerRow + p]), added to
/// acc (8 rows of 16 floats). Out of the kernels: inlined, it was a sixth of their compile time.
void mxjit_cold_column_tile_step(const mxjit::helpers::ColumnTile* tile, int64_t k, const uint32_t* a, int64_t pairsPerRow,
                                 float* acc);

/// A row-block kernel's panel block (RowBlockGemm.h) the 16-bit lanes cannot do: 32 rows of 32 bf16 columns
/// `stride` apart quantized along the rows and dequantized (vec::packPairRowsAnyValues), times 8 token rows
/// at a (pairs pair0 .. pair0 + 15 of row t at a[t * pairsPerRow + pair]), added to sums (8 rows x 32
/// floats). Out of the kernel: inlined, a second copy of the multiply cost compile time.
void mxjit_cold_row_block_panel(const uint16_t* rows, int64_t stride, int32_t elem, int32_t mode, const uint32_t* a,
                                int64_t pairsPerRow, int64_t pair0, float* sums);

/// 32 bf16 values quantized at per-value e8m0 codes (one per value) and dequantized to bf16 through the
/// fp32 codec (MxVectorCodec.h): the 16-bit-lane quantizer's fallback (Bf16LaneQuantize.h). AVX-512 hosts only.
void mxjit_cold_quantize_dequantize32(const uint16_t* x, const uint16_t* codes, int32_t elem, int32_t mode, uint16_t* out);

/// The quantize kernels' blocks for bf16 input by the scalar codec (ScalarQuantize.h): block kb of row r
/// along the last axis; rows [first, first + n) of column c along M, scale row sr.
void mxjit_cold_quantize_row_block(const mxjit::abi::KernelArgs* args, int64_t r, int64_t kb, int64_t K, int32_t elem,
                                   int32_t mode, int32_t block);
/// A group's nRows token rows (pack_a's swapped pairs, row t at rows + t * stride) times a panel pair of
/// panel-packed weights (PanelPackedGemm.h, panelPairTimesGroupRows), into out[outIndex + t * N + j]. A hot
/// path compiled here: a pass per row count (1 .. 16, the accumulators in registers) times two formats;
/// JIT-compiled, three of them had taken the kernel's codegen from ~40 to ~90 ms, and specialising gains
/// them nothing (K and N are loop bounds and strides), so the kernel's gemm stage calls it.
void mxjit_panel_pair_times_rows(const uint16_t* rows, int64_t nRows, int64_t stride, const mxjit::helpers::PanelPair* pp, int64_t K,
                                 int32_t elem, void* out, int64_t outIndex, int64_t N, int32_t outBf16);

/// One 64-byte chunk of panel-packed weights (formats/PanelPackedWeights.h) at its 16 columns' scale codes,
/// decoded exactly (subnormal, NaN, Inf codes; scales outside the fast range) into its two pair rows:
/// out[0..31] the first, out[32..63] the second, in the kernel's register order.
void mxjit_cold_decode_panel_chunk(const uint8_t* chunk, const uint8_t* scales, int32_t elem, uint16_t* out);
void mxjit_cold_quantize_column_block(const mxjit::abi::KernelArgs* args, int64_t c, int64_t first, int64_t n, int64_t sr,
                                      int64_t C, int32_t elem, int32_t mode);
}

namespace mxjit::helpers {
/// The runtime's definitions by name, for the JIT linker (ColdPaths.cpp; the helper bitcode never uses it).
struct ColdPathSymbol {
  const char* name;
  void* address;
};
extern const ColdPathSymbol kColdPathSymbols[14];
}  // namespace mxjit::helpers
