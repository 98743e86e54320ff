#include "ir/Builder.h"
#include "ir/Op.h"
#include "ir/Parser.h"
#include "ir/Printer.h"

#include "common/ErrorOf.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace mxjit;
using namespace mxjit::ir;
using mxjit::test::errorOf;
using ::testing::HasSubstr;

namespace {

TEST(Op, NamesComeFromTheOpList) {
  EXPECT_EQ(opName(OpKind::Quantize), "mx.quantize");
  EXPECT_EQ(opName(OpKind::Dequantize), "mx.dequantize");
  EXPECT_EQ(opName(OpKind::Transpose), "mx.transpose");
  EXPECT_EQ(opName(OpKind::SwizzleScales), "mx.swizzle_scales");
  EXPECT_EQ(opName(OpKind::GroupedMM), "mx.grouped_mm");
  EXPECT_EQ(opName(OpKind::Return), "return");
}

TEST(Op, TypedAttributeGetters) {
  Op op{OpKind::Quantize, {}, nullptr, {{"axis", int64_t{1}}, {"elem", std::string("e4m3")}}, {}};
  EXPECT_EQ(op.intAttr("axis"), 1);
  EXPECT_EQ(op.wordAttr("elem"), "e4m3");
  EXPECT_EQ(op.find("block"), nullptr);
  try {
    op.intAttr("elem");
    FAIL() << "expected an internal error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Internal);
    EXPECT_THAT(e.what(), HasSubstr("mx.quantize has no integer attribute 'elem'"));
  }
  EXPECT_THAT(errorOf([&] { op.listAttr("perm"); }), HasSubstr("no integer list attribute 'perm'"));
}

TEST(Op, SetAttrReplacesOrInsertsAtTheCanonicalPlace) {
  Op op{OpKind::GroupedMM, {}, nullptr, {}, {}};
  for (const char* k : {"kind", "out", "a", "b"}) op.setAttr(k, std::string("x"));
  op.setAttr("qb", std::string("e4m3.b32.rceil"));
  op.setAttr("qa", std::string("e5m2.b32.rceil"));  // added after qb, still prints before it
  op.setAttr("out", std::string("f32"));            // replaced in place
  std::vector<std::string> keys;
  for (const Attr& a : op.attrs) keys.push_back(a.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"kind", "out", "a", "b", "qa", "qb"}));
  EXPECT_EQ(op.wordAttr("out"), "f32");
  op.eraseAttr("qa");
  op.eraseAttr("missing");
  EXPECT_EQ(op.attrs.size(), 5u);
  EXPECT_EQ(op.find("qa"), nullptr);
}

const char* kChain = R"(func @f(%x: f32[M,64], %offs: i32[4]) -> f32[M,64] {
  %q = mx.quantize %x axis=1 elem=e4m3 block=32 mode=rceil
  %t = mx.transpose %q perm=[1,0]
  %d = mx.dequantize %t out=f32
  %keep = mx.quantize %x axis=1 elem=e5m2 block=32 mode=rceil
  %y = mx.dequantize %keep out=f32
  return %y
}
)";

TEST(Function, UsersAndReplaceAllUses) {
  Module m = parse(kChain);
  Function& f = *m.functions[0];
  Value* x = f.args[0];
  ASSERT_EQ(f.users(x).size(), 2u);
  EXPECT_EQ(f.users(x)[0]->result->name, "q");
  Value* q = f.ops[0]->result;
  Value* keep = f.ops[3]->result;
  f.replaceAllUses(keep, q);
  EXPECT_TRUE(f.users(keep).empty());
  EXPECT_EQ(f.users(q).size(), 2u);
}

TEST(Function, EraseDeadOpsRemovesWholeChainsButNeverReturn) {
  Module m = parse(kChain);
  Function& f = *m.functions[0];
  EXPECT_TRUE(f.eraseDeadOps());  // %d is dead, then %t, then %q
  EXPECT_EQ(print(f), R"(func @f(%x: f32[M,64], %offs: i32[4]) -> f32[M,64] {
  %keep = mx.quantize %x axis=1 elem=e5m2 block=32 mode=rceil
  %y = mx.dequantize %keep out=f32
  return %y
}
)");
  EXPECT_EQ(f.values.size(), 4u);  // the dead results are gone too
  EXPECT_FALSE(f.eraseDeadOps());
  ASSERT_EQ(f.ops.size(), 3u);
  EXPECT_EQ(f.ops.back()->kind, OpKind::Return);
}

TEST(Function, EraseDeadOpsLeavesOnlyReturnWhenNothingElseIsUsed) {
  Module m = parse(kChain);
  Function& f = *m.functions[0];
  f.ops.back()->operands = {f.args[0]};  // now everything but return is dead
  EXPECT_TRUE(f.eraseDeadOps());
  ASSERT_EQ(f.ops.size(), 1u);
  EXPECT_EQ(f.ops[0]->kind, OpKind::Return);
}

TEST(Function, NewValueIsOwnedByTheFunction) {
  Function f;
  Value* v = f.newValue("a", TensorType{DType::F32, {Dim::fixed(2)}, {}});
  EXPECT_EQ(v->def, nullptr);
  EXPECT_EQ(f.values.size(), 1u);
  EXPECT_TRUE(f.args.empty());
}

}  // namespace
