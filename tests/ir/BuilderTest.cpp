#include "ir/Builder.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"

#include "common/ErrorOf.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace mxjit;
using namespace mxjit::ir;
using mxjit::test::errorOf;
using ::testing::HasSubstr;

namespace {

TensorType plain(DType t, std::vector<Dim> dims) { return TensorType{t, std::move(dims), std::nullopt}; }
const Dim M = Dim::named("M");
Dim n(int64_t v) { return Dim::fixed(v); }

TEST(Builder, BuildsTheReadmeProgram) {
  Module m;
  m.functions.push_back(std::make_unique<Function>());
  Function& f = *m.functions[0];
  f.name = "moe_up";
  Builder b(f);
  Value* x = b.arg("x", plain(DType::BF16, {M, n(2048)}));
  Value* w = b.arg("w", plain(DType::BF16, {n(8), n(1024), n(2048)}));
  Value* offs = b.arg("offs", plain(DType::I32, {n(8)}));
  Value* qx = b.quantize(x, 1, ElemFormat::E4M3, 32, ScaleMode::RCeil);
  Value* wt = b.transpose(w, {0, 2, 1});
  Value* qw = b.quantize(wt, 1, ElemFormat::E4M3, 32, ScaleMode::RCeil);
  Value* y = b.groupedMM(qx, qw, offs, GemmKind::G2d3d, DType::BF16, OperandLayout::MK, OperandLayout::EKN);
  b.ret({y});
  EXPECT_EQ(print(m), R"(func @moe_up(%x: bf16[M,2048], %w: bf16[8,1024,2048], %offs: i32[8]) -> bf16[M,1024] {
  %0 = mx.quantize %x axis=1 elem=e4m3 block=32 mode=rceil
  %1 = mx.transpose %w perm=[0,2,1]
  %2 = mx.quantize %1 axis=1 elem=e4m3 block=32 mode=rceil
  %3 = mx.grouped_mm %0, %2, %offs kind=2d3d out=bf16 a=mk b=ekn
  return %3
}
)");
  EXPECT_EQ(qw->def, f.ops[2].get());
  EXPECT_EQ(y->type, plain(DType::BF16, {M, n(1024)}));
  verify(m);
}

TEST(Builder, FusedQuantizeAndOtherOpsPrintInCanonicalOrder) {
  Function f;
  f.name = "g";
  Builder b(f);
  Value* x = b.arg("x", plain(DType::F32, {M, n(512)}));
  Value* gy = b.arg("gy", plain(DType::BF16, {M, n(256)}));
  Value* offs = b.arg("offs", plain(DType::I32, {Dim::named("E")}));
  const FusedQuant q{ElemFormat::E4M3, 32, ScaleMode::RCeil};
  Value* gw = b.groupedMM(x, gy, offs, GemmKind::G2d2d, DType::F32, OperandLayout::MK, OperandLayout::MN, q, q);
  Value* qx = b.quantize(x, 0, ElemFormat::E5M2, 32, ScaleMode::Even, offs);
  Value* s = b.swizzleScales(qx, ScaleLayout::Blocked128x4);
  Value* d = b.dequantize(qx, DType::BF16);
  b.ret({gw, s, d});
  EXPECT_EQ(
      print(f),
      R"(func @g(%x: f32[M,512], %gy: bf16[M,256], %offs: i32[E]) -> (f32[E,512,256], mx<e5m2,block=32,axis=0,scales=blocked128x4>[M,512], bf16[M,512]) {
  %0 = mx.grouped_mm %x, %gy, %offs kind=2d2d out=f32 a=mk b=mn qa=e4m3.b32.rceil qb=e4m3.b32.rceil
  %1 = mx.quantize %x, %offs axis=0 elem=e5m2 block=32 mode=even
  %2 = mx.swizzle_scales %1 scales=blocked128x4
  %3 = mx.dequantize %1 out=bf16
  return %0, %2, %3
}
)");
}

TEST(Builder, FreshNamesSkipNamesInUse) {
  Function f;
  Builder b(f);
  Value* x = b.arg("0", plain(DType::F32, {n(64)}));
  b.arg("2", plain(DType::F32, {n(64)}));
  EXPECT_EQ(b.quantize(x, 0, ElemFormat::E4M3, 32, ScaleMode::Floor)->name, "1");
  EXPECT_EQ(b.quantize(x, 0, ElemFormat::E4M3, 32, ScaleMode::Floor)->name, "3");
}

TEST(Builder, InsertionPointPutsOpsBeforeAGivenOp) {
  Function f;
  Builder b(f);
  Value* x = b.arg("x", plain(DType::F32, {n(64)}));
  Value* q = b.quantize(x, 0, ElemFormat::E4M3, 32, ScaleMode::Floor);
  b.ret({q});
  b.setInsertionPoint(f.ops.back().get());
  Value* d = b.dequantize(q, DType::F32);
  ASSERT_EQ(f.ops.size(), 3u);
  EXPECT_EQ(f.ops[1]->result, d);
  EXPECT_EQ(f.ops[2]->kind, OpKind::Return);
  b.setInsertionPoint(nullptr);
  b.transpose(x, {0});
  EXPECT_EQ(f.ops.back()->kind, OpKind::Transpose);
}

TEST(Builder, AFailedBuildThrowsAndLeavesTheFunctionUntouched) {
  Function f;
  Builder b(f);
  Value* x = b.arg("x", plain(DType::BF16, {M, n(1000)}));
  try {
    b.quantize(x, 1, ElemFormat::E4M3, 32, ScaleMode::RCeil);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
    EXPECT_STREQ(e.what(), "mx.quantize: operand #0 (%x): dim 1 (1000) is not divisible by block 32");
  }
  EXPECT_TRUE(f.ops.empty());
  EXPECT_EQ(f.values.size(), 1u);
  EXPECT_THAT(errorOf([&] { b.dequantize(x, DType::F32); }), HasSubstr("expected an MX value"));
}

}  // namespace
