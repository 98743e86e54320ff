// Type inference: the result of each op, and one test per rule of README.md "Ops". Most rule tests go
// through the parser (which infers every op), so they also pin the "L:C: rule broken:" prefix.
#include "ir/Builder.h"
#include "ir/Parser.h"

#include "common/ErrorOf.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace mxjit;
using namespace mxjit::ir;
using mxjit::test::errorOf;
using ::testing::HasSubstr;

namespace {

// The error of a function with `args` whose body is `ops` (each op on its own line, starting at line 2).
std::string errorIn(std::string_view args, std::string_view ops) {
  const std::string text = fmt::format("func @f({}) -> f32[1] {{\n{}\n  return %y\n}}\n", args, ops);
  return errorOf([&] { parse(text); });
}

TensorType plain(DType t, std::vector<Dim> dims) { return TensorType{t, std::move(dims), std::nullopt}; }
const Dim M = Dim::named("M");
Dim n(int64_t v) { return Dim::fixed(v); }

constexpr const char* kX = "%x: bf16[M,2048]";
constexpr const char* kXW = "%x: bf16[M,2048], %w: bf16[8,1024,2048], %offs: i32[8]";

// ---- results

TEST(Infer, QuantizeKeepsDimsAndRecordsTheEncoding) {
  Function f;
  Builder b(f);
  Value* x = b.arg("x", plain(DType::BF16, {M, n(1000)}));
  Value* offs = b.arg("offs", plain(DType::I32, {n(4)}));
  // Group restarts pad each group's last block, so 1000 need not be a multiple of 32.
  Value* q = b.quantize(x, 1, ElemFormat::E5M2, 32, ScaleMode::Floor, offs);
  EXPECT_EQ(q->type, (TensorType{DType::E5M2, {M, n(1000)}, MXEncoding{ElemFormat::E5M2, 32, 1, ScaleLayout::Plain}}));
}

TEST(Infer, TransposeMovesTheQuantizedAxisWithItsDim) {
  Function f;
  Builder b(f);
  Value* w = b.arg("w", plain(DType::BF16, {n(8), n(1024), n(2048)}));
  Value* qt = b.transpose(b.quantize(w, 2, ElemFormat::E4M3, 32, ScaleMode::RCeil), {0, 2, 1});
  EXPECT_EQ(typeString(qt->type), "mx<e4m3,block=32,axis=1,scales=plain>[8,2048,1024]");
  EXPECT_EQ(typeString(b.dequantize(qt, DType::F32)->type), "f32[8,2048,1024]");
  EXPECT_EQ(typeString(b.swizzleScales(qt, ScaleLayout::PackedI32)->type),
            "mx<e4m3,block=32,axis=1,scales=packed_i32>[8,2048,1024]");
}

TEST(Infer, GroupedMMResultShapes) {
  Function f;
  Builder b(f);
  Value* x = b.arg("x", plain(DType::BF16, {M, n(2048)}));
  Value* wEnk = b.arg("w", plain(DType::BF16, {n(8), n(1024), n(2048)}));
  Value* offs = b.arg("offs", plain(DType::I32, {n(8)}));
  Value* xt = b.arg("xt", plain(DType::F32, {n(2048), M}));
  Value* gy = b.arg("gy", plain(DType::BF16, {M, n(1024)}));
  EXPECT_EQ(
      typeString(b.groupedMM(x, wEnk, offs, GemmKind::G2d3d, DType::F32, OperandLayout::MK, OperandLayout::ENK)->type),
      "f32[M,1024]");
  EXPECT_EQ(
      typeString(b.groupedMM(xt, gy, offs, GemmKind::G2d2d, DType::BF16, OperandLayout::KM, OperandLayout::MN)->type),
      "bf16[8,2048,1024]");
}

// ---- attributes (any op)

TEST(InferRules, AttributesMustBeKnownTypedUniqueAndPresent) {
  Function f;
  Builder b(f);
  Value* x = b.arg("x", plain(DType::F32, {n(64)}));
  Op op{OpKind::Dequantize, {x}, nullptr, {{"out", std::string("f32")}, {"foo", int64_t{1}}}, {}};
  EXPECT_THAT(errorOf([&] { inferResultType(op); }),
              HasSubstr("mx.dequantize: attribute foo: unknown for mx.dequantize (expected out)"));
  op.attrs = {{"out", int64_t{1}}};
  EXPECT_THAT(errorOf([&] { inferResultType(op); }), HasSubstr("mx.dequantize: attribute out: expects a word"));
  op.attrs = {{"out", std::string("f32")}, {"out", std::string("f32")}};
  EXPECT_THAT(errorOf([&] { inferResultType(op); }), HasSubstr("attribute out: given twice"));
  op.attrs = {};
  EXPECT_THAT(errorOf([&] { inferResultType(op); }), HasSubstr("mx.dequantize: attribute out: missing"));
  EXPECT_THAT(errorIn(kX, "  %y = mx.quantize %x axis=1 elem=e4m3 block=32"),
              HasSubstr("<input>:2:3: rule broken: mx.quantize: attribute mode: missing"));
  Op ret{OpKind::Return, {x}, nullptr, {}, {}};
  EXPECT_THAT(errorOf([&] { inferResultType(ret); }), HasSubstr("return has no result type"));
}

// ---- mx.quantize

TEST(InferRules, QuantizeNeedsAPlainFloatTensor) {
  EXPECT_THAT(
      errorIn("%x: i32[M,64]", "  %y = mx.quantize %x axis=1 elem=e4m3 block=32 mode=rceil"),
      HasSubstr("2:3: rule broken: mx.quantize: operand #0 (%x): expected a plain f32 or bf16 tensor, got i32[M,64]"));
  EXPECT_THAT(errorIn("%q: mx<e4m3,block=32,axis=1,scales=plain>[M,64]",
                      "  %y = mx.quantize %q axis=1 elem=e4m3 block=32 mode=rceil"),
              HasSubstr("mx.quantize: operand #0 (%q): expected a plain f32 or bf16 tensor, got "
                        "mx<e4m3,block=32,axis=1,scales=plain>[M,64]"));
  EXPECT_THAT(errorIn("%x: f32[64], %o: i32[2], %p: i32[2]",
                      "  %y = mx.quantize %x, %o, %p axis=0 elem=e4m3 block=32 mode=rceil"),
              HasSubstr("mx.quantize: expects 1 or 2 operands (%x or %x, %offs), got 3"));
}

TEST(InferRules, QuantizeAxisInRange) {
  EXPECT_THAT(errorIn(kX, "  %y = mx.quantize %x axis=2 elem=e4m3 block=32 mode=rceil"),
              HasSubstr("mx.quantize: attribute axis: 2 is out of range for operand #0 (%x) of rank 2"));
  EXPECT_THAT(errorIn(kX, "  %y = mx.quantize %x axis=-1 elem=e4m3 block=32 mode=rceil"),
              HasSubstr("attribute axis: -1 is out of range"));
}

TEST(InferRules, QuantizeBlockIsAPowerOfTwoDividingTheAxis) {
  EXPECT_THAT(errorIn(kX, "  %y = mx.quantize %x axis=1 elem=e4m3 block=48 mode=rceil"),
              HasSubstr("mx.quantize: attribute block: 48 is not a power of two in [2, 1024]"));
  EXPECT_THAT(errorIn(kX, "  %y = mx.quantize %x axis=1 elem=e4m3 block=2048 mode=rceil"),
              HasSubstr("attribute block: 2048 is not a power of two"));
  EXPECT_THAT(
      errorIn("%x: bf16[M,1000]", "  %y = mx.quantize %x axis=1 elem=e4m3 block=32 mode=rceil"),
      HasSubstr("<input>:2:3: rule broken: mx.quantize: operand #0 (%x): dim 1 (1000) is not divisible by block 32"));
}

TEST(InferRules, QuantizeFormatAndModeAreKnown) {
  EXPECT_THAT(errorIn(kX, "  %y = mx.quantize %x axis=1 elem=e4m4 block=32 mode=rceil"),
              HasSubstr("attribute elem: unknown element format 'e4m4' (expected e4m3 or e5m2)"));
  EXPECT_THAT(errorIn(kX, "  %y = mx.quantize %x axis=1 elem=e4m3 block=32 mode=round"),
              HasSubstr("attribute mode: unknown scale mode 'round' (expected floor, rceil, ceil or even)"));
}

TEST(InferRules, QuantizeOffsAreI32OfRankOne) {
  EXPECT_THAT(
      errorIn("%x: bf16[M,64], %offs: f32[8]", "  %y = mx.quantize %x, %offs axis=0 elem=e4m3 block=32 mode=rceil"),
      HasSubstr("mx.quantize: operand #1 (%offs): group offsets must be i32 of rank 1, got f32[8]"));
  EXPECT_THAT(
      errorIn("%x: bf16[M,64], %offs: i32[2,4]", "  %y = mx.quantize %x, %offs axis=0 elem=e4m3 block=32 mode=rceil"),
      HasSubstr("got i32[2,4]"));
}

// ---- mx.dequantize, mx.transpose, mx.swizzle_scales

TEST(InferRules, DequantizeNeedsAnMXValueAndAFloatResult) {
  EXPECT_THAT(errorIn(kX, "  %y = mx.dequantize %x out=bf16"),
              HasSubstr("mx.dequantize: operand #0 (%x): expected an MX value, got bf16[M,2048]"));
  EXPECT_THAT(
      errorIn(kX, "  %q = mx.quantize %x axis=1 elem=e4m3 block=32 mode=rceil\n  %y = mx.dequantize %q out=i32"),
      HasSubstr("3:3: rule broken: mx.dequantize: attribute out: 'i32' is not a result dtype (expected bf16 or f32)"));
}

TEST(InferRules, TransposePermIsAPermutation) {
  for (const char* perm : {"[0,2,2]", "[0,1]", "[0,1,3]", "[-1,0,1]", "[]"})
    EXPECT_THAT(errorIn(kXW, fmt::format("  %y = mx.transpose %w perm={}", perm)),
                HasSubstr("mx.transpose: attribute perm: " + std::string(perm) +
                          " is not a permutation of 0..2 (operand #0 (%w) has rank 3)"));
}

TEST(InferRules, TransposeOfMXNeedsPlainScales) {
  EXPECT_THAT(errorIn("%s: mx<e4m3,block=32,axis=1,scales=blocked128x4>[M,64]", "  %y = mx.transpose %s perm=[1,0]"),
              HasSubstr("mx.transpose: operand #0 (%s): an MX value with blocked128x4 scales cannot be transposed"));
}

TEST(InferRules, SwizzleScalesNeedsAnMXValueAndAKnownLayout) {
  EXPECT_THAT(errorIn(kX, "  %y = mx.swizzle_scales %x scales=packed_i32"),
              HasSubstr("mx.swizzle_scales: operand #0 (%x): expected an MX value, got bf16[M,2048]"));
  EXPECT_THAT(
      errorIn("%q: mx<e4m3,block=32,axis=1,scales=plain>[M,64]", "  %y = mx.swizzle_scales %q scales=blocked"),
      HasSubstr("attribute scales: unknown scale layout 'blocked' (expected plain, blocked128x4 or packed_i32)"));
}

// ---- mx.grouped_mm

std::string mmError(std::string_view args, std::string_view attrs, std::string_view operands = "%x, %w, %offs") {
  return errorIn(args, fmt::format("  %y = mx.grouped_mm {} {}", operands, attrs));
}

TEST(InferRules, GroupedMMDimsAgree) {
  EXPECT_THAT(
      mmError("%x: bf16[M,1024], %w: bf16[8,2048,512], %offs: i32[8]", "kind=2d3d out=bf16 a=mk b=ekn"),
      HasSubstr("2:3: rule broken: mx.grouped_mm: operand #1 (%w): K=2048 does not match operand #0 (%x) K=1024"));
  EXPECT_THAT(mmError("%x: bf16[M,K], %w: bf16[8,K2,512], %offs: i32[8]", "kind=2d3d out=bf16 a=mk b=ekn"),
              HasSubstr("operand #1 (%w): K=K2 does not match operand #0 (%x) K=K"));
  EXPECT_THAT(mmError("%x: bf16[M,K], %w: bf16[8,512,2048], %offs: i32[8]", "kind=2d3d out=bf16 a=mk b=enk"),
              HasSubstr("K=2048 does not match operand #0 (%x) K=K"));
  EXPECT_THAT(mmError("%x: bf16[M,2048], %w: bf16[8,1024,2048], %offs: i32[4]", "kind=2d3d out=bf16 a=mk b=enk"),
              HasSubstr("mx.grouped_mm: operand #2 (%offs): E=4 does not match operand #1 (%w) E=8"));
  EXPECT_THAT(mmError("%x: bf16[M,64], %w: bf16[T,32], %offs: i32[8]", "kind=2d2d out=f32 a=mk b=mn"),
              HasSubstr("mx.grouped_mm: operand #1 (%w): M=T does not match operand #0 (%x) M=M"));
  EXPECT_THAT(mmError("%x: bf16[M,1024], %w: bf16[1024,2048], %offs: i32[8]", "kind=2d3d out=bf16 a=mk b=ekn"),
              HasSubstr("operand #1 (%w): expected a 3-D tensor for b=ekn, got bf16[1024,2048]"));
}

TEST(InferRules, GroupedMMContractionIsWholeBlocks) {
  EXPECT_THAT(mmError("%x: mx<e4m3,block=32,axis=1,scales=plain>[M,1000], %w: "
                      "mx<e4m3,block=32,axis=2,scales=plain>[8,64,1000], %offs: i32[8]",
                      "kind=2d3d out=bf16 a=mk b=enk"),
              HasSubstr("mx.grouped_mm: operand #0 (%x): K=1000 is not divisible by block 32"));
  EXPECT_THAT(mmError("%x: bf16[M,1000], %w: bf16[8,64,1000], %offs: i32[8]",
                      "kind=2d3d out=bf16 a=mk b=enk qa=e4m3.b32.rceil qb=e4m3.b32.rceil"),
              HasSubstr("mx.grouped_mm: attribute qa: K=1000 of operand #0 (%x) is not divisible by block 32"));
}

TEST(InferRules, GroupedMMDtypes) {
  EXPECT_THAT(mmError("%x: i32[M,2048], %w: bf16[8,1024,2048], %offs: i32[8]", "kind=2d3d out=bf16 a=mk b=enk"),
              HasSubstr("operand #0 (%x): dtype i32 is not a matmul input (expected bf16, f32 or an MX value)"));
  EXPECT_THAT(mmError(kXW, "kind=2d3d out=e4m3 a=mk b=enk"), HasSubstr("attribute out: 'e4m3' is not a result dtype"));
  EXPECT_THAT(mmError("%x: bf16[M,2048], %w: bf16[8,1024,2048], %offs: f32[8]", "kind=2d3d out=bf16 a=mk b=enk"),
              HasSubstr("mx.grouped_mm: operand #2 (%offs): group offsets must be i32 of rank 1, got f32[8]"));
}

TEST(InferRules, GroupedMMLayoutsFitTheKind) {
  EXPECT_THAT(mmError(kXW, "kind=2d3d out=bf16 a=mk b=mk"),
              HasSubstr("mx.grouped_mm: attribute b: layout mk is not a 3-D operand layout (expected ekn, enk or pnk)"));
  EXPECT_THAT(mmError(kXW, "kind=2d3d out=bf16 a=km b=enk"),
              HasSubstr("attribute a: layout km is not supported for a of kind 2d3d (expected mk)"));
  EXPECT_THAT(mmError("%x: bf16[M,64], %w: bf16[M,32], %offs: i32[8]", "kind=2d2d out=f32 a=mk b=ekn"),
              HasSubstr("attribute b: layout ekn is not a 2-D layout of b (expected mn or nm)"));
  EXPECT_THAT(mmError("%x: bf16[M,64], %w: bf16[M,32], %offs: i32[8]", "kind=2d2d out=f32 a=enk b=mn"),
              HasSubstr("attribute a: layout enk is not a 2-D layout of a (expected mk or km)"));
  EXPECT_THAT(mmError(kXW, "kind=2d3d out=bf16 a=mk b=xy"), HasSubstr("attribute b: unknown layout 'xy'"));
  EXPECT_THAT(mmError(kXW, "kind=3d3d out=bf16 a=mk b=enk"),
              HasSubstr("attribute kind: unknown kind '3d3d' (expected 2d3d or 2d2d)"));
}

TEST(InferRules, GroupedMMOperandsAreBothQuantizedOrBothHighPrecision) {
  const std::string quantizeX = "  %qx = mx.quantize %x axis=1 elem=e4m3 block=32 mode=rceil\n";
  EXPECT_THAT(errorIn(kXW, quantizeX + "  %y = mx.grouped_mm %qx, %w, %offs kind=2d3d out=bf16 a=mk b=enk"),
              HasSubstr("3:3: rule broken: mx.grouped_mm: operand #1 (%w): high precision, but operand #0 (%qx) is "
                        "quantized (a and b are both quantized or both high precision)"));
  EXPECT_THAT(mmError(kXW, "kind=2d3d out=bf16 a=mk b=enk qb=e4m3.b32.rceil"),
              HasSubstr("operand #1 (%w): quantized, but operand #0 (%x) is high precision"));
  EXPECT_THAT(
      errorIn(
          kXW,
          quantizeX +
              "  %y = mx.grouped_mm %qx, %w, %offs kind=2d3d out=bf16 a=mk b=enk qa=e4m3.b32.rceil qb=e4m3.b32.rceil"),
      HasSubstr("mx.grouped_mm: attribute qa: operand #0 (%qx) is already quantized"));
  EXPECT_THAT(mmError(kXW, "kind=2d3d out=bf16 a=mk b=enk qa=e4m3.32.rceil qb=e4m3.b32.rceil"),
              HasSubstr("attribute qa: 'e4m3.32.rceil' is not a fused quantization"));
  EXPECT_THAT(mmError(kXW, "kind=2d3d out=bf16 a=mk b=enk qa=e4m3.b48.rceil qb=e4m3.b32.rceil"),
              HasSubstr("attribute qa: block 48 is not a power of two"));
}

TEST(InferRules, GroupedMMQuantizedAlongTheContractionWithPlainScales) {
  EXPECT_THAT(mmError("%x: mx<e4m3,block=32,axis=1,scales=plain>[M,2048], %w: "
                      "mx<e4m3,block=32,axis=1,scales=plain>[8,1024,2048], %offs: i32[8]",
                      "kind=2d3d out=bf16 a=mk b=enk"),
              HasSubstr("mx.grouped_mm: operand #1 (%w): quantized along axis 1, but its contraction dim K is axis 2"));
  EXPECT_THAT(mmError("%x: mx<e4m3,block=32,axis=1,scales=blocked128x4>[M,2048], %w: "
                      "mx<e4m3,block=32,axis=2,scales=plain>[8,1024,2048], %offs: i32[8]",
                      "kind=2d3d out=bf16 a=mk b=enk"),
              HasSubstr("operand #0 (%x): blocked128x4 scales: a matmul operand needs plain scales"));
  EXPECT_THAT(mmError("%x: mx<e4m3,block=32,axis=1,scales=plain>[M,64], %w: "
                      "mx<e4m3,block=32,axis=0,scales=plain>[M,32], %offs: i32[8]",
                      "kind=2d2d out=f32 a=mk b=mn"),
              HasSubstr("operand #0 (%x): quantized along axis 1, but its contraction dim M is axis 0"));
}

TEST(InferRules, Wgrad2d2dOperandsRestartBlocksAtTheSameOffsets) {
  const char* args = "%x: bf16[M,64], %gy: bf16[M,32], %offs: i32[8], %o2: i32[8]";
  EXPECT_THAT(
      errorIn(args,
              "  %qx = mx.quantize %x axis=0 elem=e4m3 block=32 mode=rceil\n"
              "  %qg = mx.quantize %gy, %offs axis=0 elem=e4m3 block=32 mode=rceil\n"
              "  %y = mx.grouped_mm %qx, %qg, %offs kind=2d2d out=f32 a=mk b=mn"),
      HasSubstr("4:3: rule broken: mx.grouped_mm: operand #0 (%qx): quantized by mx.quantize without group offsets"));
  EXPECT_THAT(errorIn(args,
                      "  %qx = mx.quantize %x, %offs axis=0 elem=e4m3 block=32 mode=rceil\n"
                      "  %qg = mx.quantize %gy, %o2 axis=0 elem=e4m3 block=32 mode=rceil\n"
                      "  %y = mx.grouped_mm %qx, %qg, %offs kind=2d2d out=f32 a=mk b=mn"),
              HasSubstr("operand #1 (%qg): quantized with group offsets %o2, not the matmul's %offs"));
}

}  // namespace
