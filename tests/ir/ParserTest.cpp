// Text in -> text out: every example program round-trips exactly; sloppy spellings print canonically;
// every malformed input is an Error(Parse) naming "<name>:<line>:<col>" of the offending token.
#include "ir/Parser.h"
#include "ir/Printer.h"

#include "Programs.h"
#include "common/ErrorOf.h"
#include "common/ReadmeProgram.h"
#include "mxjit/Error.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>

using namespace mxjit;
using namespace mxjit::ir;
using mxjit::test::kReadmeMoeUp;
using ::testing::HasSubstr;
using ::testing::StartsWith;

namespace {

// The Parse error message of `text`, failing the test for any other outcome.
std::string parseError(const std::string& text, std::string_view name = "<input>") {
  SCOPED_TRACE("parsing:\n" + text);
  return test::errorOf([&] { parse(text, name); }, ErrorKind::Parse);
}

TEST(Parser, ExampleProgramsRoundTripExactly) {
  const auto programs = test::irPrograms();
  ASSERT_GE(programs.size(), 9u);
  for (const auto& p : programs) {
    SCOPED_TRACE(p.name);
    EXPECT_EQ(print(parse(p.text, p.name)), p.text);
  }
}

TEST(Parser, ReadmeExampleIsOneOfThePrograms) {
  const Module m = parse(kReadmeMoeUp);
  ASSERT_EQ(m.functions.size(), 1u);
  const Function& f = *m.functions[0];
  EXPECT_EQ(f.name, "moe_up");
  EXPECT_EQ(f.args.size(), 3u);
  ASSERT_EQ(f.ops.size(), 5u);
  EXPECT_EQ(f.ops[3]->kind, OpKind::GroupedMM);
  EXPECT_EQ(f.ops[3]->loc.line, 5);
  EXPECT_EQ(f.ops[3]->loc.col, 3);
  EXPECT_EQ(typeString(f.ops[2]->result->type), "mx<e4m3,block=32,axis=1,scales=plain>[8,2048,1024]");
  EXPECT_EQ(print(m), kReadmeMoeUp);
}

TEST(Parser, SloppySpellingPrintsCanonically) {
  const char* sloppy = R"(// A comment before the function
func   @moe_up ( %x :bf16[ M , 2048 ],%w: bf16[8,1024,2048] ,
              %offs: i32[8])->bf16[M,1024]{   // trailing comment
  %qx=mx.quantize %x   axis = 1 elem=e4m3 block=32 mode=rceil

	%wt = mx.transpose %w perm=[ 0 , 2 , 1 ]
  %qw = mx.quantize %wt axis=1 elem=e4m3 block=32 mode=rceil // comment
      // a comment line
  %y = mx.grouped_mm %qx,%qw , %offs kind=2d3d out=bf16 a=mk b=ekn
  return %y }   // no newline at the end)";
  EXPECT_EQ(print(parse(sloppy)), kReadmeMoeUp);
}

TEST(Parser, SingleResultInParenthesesAndEmptyModule) {
  EXPECT_EQ(print(parse("func @f(%x: f32[4]) -> (f32[4]) { return %x }")),
            "func @f(%x: f32[4]) -> f32[4] {\n  return %x\n}\n");
}

TEST(Parser, AttributesKeepTheOrderWritten) {
  const char* text = R"(func @f(%x: f32[64]) -> mx<e4m3,block=32,axis=0,scales=plain>[64] {
  %q = mx.quantize %x mode=rceil block=32 elem=e4m3 axis=0
  return %q
}
)";
  EXPECT_EQ(print(parse(text)), text);
}

TEST(Parser, ModuleOfNothingIsEmpty) {
  EXPECT_TRUE(parse("").functions.empty());
  EXPECT_TRUE(parse("  // only a comment\n\n").functions.empty());
}

TEST(Parser, MalformedSignatures) {
  const std::pair<const char*, const char*> cases[] = {  // text, the start of its error
      {"func @f(%x: bf16[M,64] %w: f32[2]) -> f32[2] {\n  return %w\n}\n",
       "<input>:1:24: expected ',' or ')' after argument type"},
      {"func @f(%x: f16[4]) -> f32[4] {\n  return %x\n}\n",
       "<input>:1:13: unknown dtype 'f16' (expected f32, bf16, i32 or mx<...>)"},
      {"func @f(%x: f32[4]) f32[4] {\n  return %x\n}\n",
       "<input>:1:21: expected '->' and the result types but found 'f32'"},
      {"func @f(%x: f32[]) -> f32[4] {\n  return %x\n}\n", "<input>:1:17: a tensor type has at least one dim"},
      {"func @f(%x: f32[4,-2]) -> f32[4] {\n  return %x\n}\n", "<input>:1:19: dim size -2 is negative"},
      {"func @f(%x: mx<e4m3,block=32,axis=2,scales=plain>[4,64]) -> f32[4] {\n  return %x\n}\n",
       "<input>:1:35: axis 2 is out of range for rank 2"},
      {"func @f(%x: mx<e4m3,block=24,axis=0,scales=plain>[4,64]) -> f32[4] {\n  return %x\n}\n",
       "<input>:1:27: block 24 is not a power of two in [2, 1024]"},
      {"func @f(%x: mx<e4m3,axis=0,block=32,scales=plain>[4]) -> f32[4] {\n  return %x\n}\n",
       "<input>:1:21: expected 'block=' in the mx type but found 'axis'"},
      {"func @f(%x: f32[4],) -> f32[4] {\n  return %x\n}\n", "<input>:1:20: expected another argument after ','"},
      {"func f(%x: f32[4]) -> f32[4] {\n  return %x\n}\n",
       "<input>:1:6: expected a function name (@name) but found 'f'"},
      {"fun @f(%x: f32[4]) -> f32[4] {\n  return %x\n}\n", "<input>:1:1: expected 'func'"},
  };
  for (const auto& [text, error] : cases) EXPECT_THAT(parseError(text), HasSubstr(error));
}

TEST(Parser, MalformedOps) {
  // Each op is line 2 of a function that returns %y.
  const std::pair<const char*, const char*> cases[] = {  // op line, the start of its error
      {"  %y = mx.quantise %x axis=1 elem=e4m3 block=32 mode=rceil",
       "<input>:2:8: unknown op 'mx.quantise' (expected one of mx.quantize, mx.dequantize, "
       "mx.transpose, mx.swizzle_scales, mx.grouped_mm)"},
      {"  %y = mx.dequantize %q out=f32", "<input>:2:22: use of undefined value %q"},
      {"  %x = mx.transpose %x perm=[1,0]", "<input>:2:3: value %x is defined twice"},
      {"  %y = mx.quantize %x axis=1 elem=e4m3 block=e4m3 mode=rceil",
       "<input>:2:46: attribute block expects an integer but found 'e4m3'"},
      {"  %y = mx.transpose %x perm=1", "<input>:2:29: attribute perm expects an integer list but found '1'"},
      {"  %y = mx.transpose %x perm=[1,0] axis=1",
       "<input>:2:35: unknown attribute 'axis' for mx.transpose (expected perm)"},
      {"  %y = mx.transpose %x perm=[1,0] perm=[1,0]", "<input>:2:35: attribute perm is given twice"},
      {"  %y = mx.transpose %x perm=[1;0]", "<input>:2:31: unexpected character ';'"},
      {"  %y = mx.transpose %x perm=[1 0]", "<input>:2:32: expected ',' or ']' in the integer list but found '0'"},
      {"  %y = mx.transpose %x perm=[99999999999999999999]",
       "<input>:2:30: integer 99999999999999999999 is out of range"},
      {"  %y = mx.transpose %x, %x perm=[1,0]", "<input>:2:8: mx.transpose expects 1 operand, got 2"},
      {"  %y = mx.transpose %x, perm=[1,0]", "<input>:2:25: expected an operand (%name) but found 'perm'"},
      {"  %y = return %x", "<input>:2:8: return produces no value"},
      {"  %y mx.transpose %x perm=[1,0]", "<input>:2:6: expected '=' after %y"},
      {"  %y = mx.transpose %x perm [1,0]", "<input>:2:29: expected '=' after attribute perm"},
      {"  y = mx.transpose %x perm=[1,0]",
       "<input>:2:3: expected an op ('%name = ...'), 'return' or '}' but found 'y'"},
      {"  %y = mx.quantize %x axis=1 elem=e4m3 block=48 mode=rceil",
       "<input>:2:3: rule broken: mx.quantize: attribute block: 48 is not a power of two in [2, 1024]"},
  };
  for (const auto& [op, error] : cases)
    EXPECT_THAT(parseError("func @f(%x: bf16[M,64]) -> bf16[64,M] {\n" + std::string(op) + "\n  return %y\n}\n"),
                HasSubstr(error));
}

TEST(Parser, MalformedBodies) {
  const std::string head = "func @f(%x: bf16[M,64]) -> bf16[M,64] {\n";
  EXPECT_THAT(parseError(head + "  %y = mx.transpose %x perm=[0,1]\n}\n"),
              HasSubstr("<input>:3:1: missing return in @f"));
  EXPECT_THAT(parseError(head + "  return %x\n  %y = mx.transpose %x perm=[0,1]\n}\n"),
              HasSubstr("<input>:3:3: expected '}' after return (return ends the function) but found '%y'"));
  EXPECT_THAT(parseError(head + "  return %x\n  return %x\n}\n"), HasSubstr("<input>:3:3: expected '}' after return"));
  EXPECT_THAT(parseError(head + "  return %x\n"),
              HasSubstr("<input>:3:1: expected '}' after return (return ends the function) but found end of input"));
  EXPECT_THAT(parseError(head + "  return\n}\n"),
              HasSubstr("<input>:3:1: expected a value to return (%name) but found '}'"));
  EXPECT_THAT(parseError(head + "  return %x, %x\n}\n"),
              HasSubstr("<input>:2:3: return gives 2 values but the signature declares 1"));
  EXPECT_THAT(parseError("func @f(%x: bf16[M,64]) -> f32[M,64] {\n  return %x\n}\n"),
              HasSubstr("<input>:2:10: return value #0 (%x) has type bf16[M,64] but the signature declares f32[M,64]"));
  const std::string one = head + "  return %x\n}\n";
  EXPECT_THAT(parseError(one + "\n" + one, "two.mxir"), HasSubstr("two.mxir:5:6: function @f is defined twice"));
  EXPECT_THAT(parseError(head + "  return %x\n}\n}\n"), HasSubstr("<input>:4:1: expected 'func' but found '}'"));
  EXPECT_THAT(parseError("func @f(%x: f32[4]) -> f32[4] {\n  return %\n}\n"),
              HasSubstr("<input>:2:10: expected a name after '%'"));
  EXPECT_THAT(parseError("func @f(%x: f32[4]) -> f32[4] {\n  return %x \x01\n}\n"),
              HasSubstr("<input>:2:13: unexpected character '\\x01'"));
}

TEST(Parser, ErrorsNameTheInput) {
  EXPECT_THAT(parseError("func @f(%x: f16[4]) -> f32[4] {\n  return %x\n}\n", "moe.mxir"),
              StartsWith("moe.mxir:1:13: "));
}

}  // namespace
