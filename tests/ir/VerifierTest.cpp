// The verifier catches what a careless pass leaves behind; messages carry "line:col: " when the op came
// from text, and name the op, the operand or attribute, and the rule.
#include "ir/Builder.h"
#include "ir/Parser.h"
#include "ir/Verifier.h"

#include "common/ErrorOf.h"
#include "common/ReadmeProgram.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace mxjit;
using namespace mxjit::ir;
using mxjit::test::errorOf;
using mxjit::test::kReadmeMoeUp;
using ::testing::HasSubstr;
using ::testing::StartsWith;

namespace {

std::string verifyError(const Module& m) {
  return errorOf([&] { verify(m); });
}

TEST(Verifier, AcceptsParsedAndBuiltModules) {
  const Module m = parse(kReadmeMoeUp);
  EXPECT_NO_THROW(verify(m));
  EXPECT_NO_THROW(verify(Module{}));
}

TEST(Verifier, ErrorsAreInvalidArgument) {
  Module m = parse(kReadmeMoeUp);
  m.functions[0]->ops.pop_back();
  EXPECT_EQ(errorOf([&] { verify(m); }, ErrorKind::InvalidArgument), "1:1: function @moe_up does not end in return");
}

TEST(Verifier, ReinfersEveryRuleAfterAPassEditsAttributes) {
  Module m = parse(kReadmeMoeUp);
  Function& f = *m.functions[0];
  f.ops[0]->setAttr("block", int64_t{48});
  EXPECT_EQ(verifyError(m), "2:3: mx.quantize: attribute block: 48 is not a power of two in [2, 1024]");
  f.ops[0]->setAttr("block", int64_t{32});
  f.ops[3]->setAttr("b", std::string("mk"));
  EXPECT_EQ(verifyError(m),
            "5:3: mx.grouped_mm: attribute b: layout mk is not a 3-D operand layout (expected ekn, enk or pnk)");
  f.ops[3]->setAttr("b", std::string("enk"));  // the transposed weight is [E,K,N]: K no longer matches
  EXPECT_EQ(verifyError(m), "5:3: mx.grouped_mm: operand #1 (%qw): K=1024 does not match operand #0 (%qx) K=2048");
}

TEST(Verifier, StoredTypesMustMatchInference) {
  Module m = parse(kReadmeMoeUp);
  m.functions[0]->ops[1]->result->type.dims[1] = Dim::fixed(999);
  EXPECT_THAT(verifyError(m), HasSubstr("3:3: mx.transpose: result %wt has type bf16[8,999,1024] but its operands and "
                                        "attributes give bf16[8,2048,1024]"));
}

TEST(Verifier, ValuesAreDefinedBeforeUse) {
  Module m = parse(kReadmeMoeUp);
  std::swap(m.functions[0]->ops[0], m.functions[0]->ops[3]);
  EXPECT_EQ(verifyError(m), "5:3: mx.grouped_mm: operand #0 (%qx): used before it is defined in @moe_up");
}

TEST(Verifier, ValuesBelongToTheirFunction) {
  Module m = parse(kReadmeMoeUp + std::string("\n") + "func @g(%a: f32[4]) -> f32[4] {\n  return %a\n}\n");
  m.functions[1]->ops.back()->operands[0] = m.functions[0]->args[0];
  EXPECT_EQ(verifyError(m), "10:3: return: operand #0 (%x): used before it is defined in @g");
  m.functions[1]->ops.back()->operands[0] = nullptr;
  EXPECT_EQ(verifyError(m), "10:3: return: operand #0 is null");
}

TEST(Verifier, ExactlyOneReturnAtTheEnd) {
  Module m = parse(kReadmeMoeUp);
  Function& f = *m.functions[0];
  Builder(f).transpose(f.args[0], {1, 0});  // appended after the return
  EXPECT_THAT(verifyError(m), HasSubstr("1:1: function @moe_up does not end in return"));
  Builder(f).ret({f.args[0]});
  EXPECT_EQ(verifyError(m), "6:3: return: must be the last op of @moe_up (exactly one return, at the end)");
  f.ops.erase(f.ops.begin() + 5, f.ops.end());
  f.ops.back()->operands.clear();
  EXPECT_EQ(verifyError(m), "6:3: return: a function returns at least one value");
}

TEST(Verifier, NamesAreUniqueAndPrintable) {
  Module m = parse(kReadmeMoeUp);
  Function& f = *m.functions[0];
  f.ops[1]->result->name = "qx";
  EXPECT_EQ(verifyError(m), "3:3: value %qx is defined twice in @moe_up");
  f.ops[1]->result->name = "w t";
  EXPECT_EQ(verifyError(m), "3:3: result name '%w t' is not [A-Za-z0-9_.]+");
  f.ops[1]->result->name = "wt";
  Module twin = parse(kReadmeMoeUp);
  m.functions.push_back(std::move(twin.functions[0]));
  EXPECT_EQ(verifyError(m), "1:1: function @moe_up is defined twice");
}

TEST(Verifier, ArgumentsAreWellFormed) {
  Function f;
  f.name = "f";
  Builder b(f);
  Value* x =
      b.arg("x", TensorType{DType::E4M3, {Dim::fixed(64)}, MXEncoding{ElemFormat::E4M3, 0, 0, ScaleLayout::Plain}});
  b.ret({x});
  Module m;
  m.functions.push_back(std::make_unique<Function>(std::move(f)));
  // Built without text: no "line:col: " prefix.
  EXPECT_EQ(verifyError(m), "argument %x has a malformed type: block 0 is not a power of two in [2, 1024]");
}

TEST(Verifier, BuiltOpsWithoutLocationsHaveNoPrefix) {
  Module m;
  m.functions.push_back(std::make_unique<Function>());
  Function& f = *m.functions[0];
  f.name = "f";
  Builder b(f);
  Value* q =
      b.quantize(b.arg("x", TensorType{DType::F32, {Dim::fixed(64)}, {}}), 0, ElemFormat::E4M3, 32, ScaleMode::Even);
  b.ret({q});
  EXPECT_NO_THROW(verify(m));
  f.ops[0]->setAttr("axis", int64_t{3});
  EXPECT_THAT(verifyError(m), StartsWith("mx.quantize: attribute axis: 3 is out of range"));
}

}  // namespace
