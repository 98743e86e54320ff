#include "ir/Lexer.h"

#include "common/ErrorOf.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace mxjit;
using namespace mxjit::ir;
using mxjit::test::errorOf;
using ::testing::HasSubstr;

namespace {

std::vector<TokenKind> kinds(const std::vector<Token>& ts) {
  std::vector<TokenKind> out;
  for (const Token& t : ts) out.push_back(t.kind);
  return out;
}

TEST(Lexer, SplitsAnOpLine) {
  const auto ts = tokenize("%y = mx.grouped_mm %a, %b perm=[0,-1] qa=e4m3.b32.rceil kind=2d3d", "t");
  using K = TokenKind;
  EXPECT_EQ(kinds(ts), (std::vector<K>{K::ValueRef, K::Equal,    K::Word, K::ValueRef, K::Comma, K::ValueRef, K::Word,
                                       K::Equal,    K::LBracket, K::Int,  K::Comma,    K::Int,   K::RBracket, K::Word,
                                       K::Equal,    K::Word,     K::Word, K::Equal,    K::Word,  K::End}));
  EXPECT_EQ(ts[0].text, "y");
  EXPECT_EQ(ts[2].text, "mx.grouped_mm");
  EXPECT_EQ(ts[11].intValue, -1);
  EXPECT_EQ(ts[15].text, "e4m3.b32.rceil");
  EXPECT_EQ(ts[18].text, "2d3d");
}

TEST(Lexer, SignaturePunctuation) {
  using K = TokenKind;
  EXPECT_EQ(kinds(tokenize("func @f(%x: mx<e4m3,block=32>[M]) -> (f32[4]) {}", "t")),
            (std::vector<K>{K::Word, K::FuncRef,  K::LParen, K::ValueRef, K::Colon,  K::Word,    K::Less,
                            K::Word, K::Comma,    K::Word,   K::Equal,    K::Int,    K::Greater, K::LBracket,
                            K::Word, K::RBracket, K::RParen, K::Arrow,    K::LParen, K::Word,    K::LBracket,
                            K::Int,  K::RBracket, K::RParen, K::LBrace,   K::RBrace, K::End}));
}

TEST(Lexer, SkipsCommentsAndTracksLinesAndColumns) {
  const auto ts = tokenize("// header\n  %a // tail\n\t\t@b\n", "t");
  ASSERT_EQ(ts.size(), 3u);
  EXPECT_EQ(ts[0].line, 2);
  EXPECT_EQ(ts[0].col, 3);
  EXPECT_EQ(ts[1].line, 3);
  EXPECT_EQ(ts[1].col, 3);
  EXPECT_EQ(ts[2].kind, TokenKind::End);
  EXPECT_EQ(ts[2].line, 4);
  EXPECT_EQ(ts[2].col, 1);
  EXPECT_EQ(tokenize("", "t").size(), 1u);
}

TEST(Lexer, DescribesTokensForMessages) {
  const auto ts = tokenize("%x @f axis", "t");
  EXPECT_EQ(describe(ts[0]), "'%x'");
  EXPECT_EQ(describe(ts[1]), "'@f'");
  EXPECT_EQ(describe(ts[2]), "'axis'");
  EXPECT_EQ(describe(ts[3]), "end of input");
  const std::string longWord(100, 'a');
  EXPECT_EQ(describe(tokenize(longWord, "t")[0]), "'" + std::string(40, 'a') + "...'");
}

TEST(Lexer, ErrorsCarryNameLineAndColumn) {
  EXPECT_THAT(errorOf([] { tokenize("%a\n  $", "in.mxir"); }), HasSubstr("in.mxir:2:3: unexpected character '$'"));
  EXPECT_THAT(errorOf([] { tokenize("  % x", "t"); }), HasSubstr("t:1:3: expected a name after '%'"));
  EXPECT_THAT(errorOf([] { tokenize("@", "t"); }), HasSubstr("t:1:1: expected a name after '@'"));
  EXPECT_THAT(errorOf([] { tokenize("x=-3a", "t"); }), HasSubstr("t:1:3: malformed integer '-3a'"));
  EXPECT_THAT(errorOf([] { tokenize("x=-", "t"); }), HasSubstr("t:1:3: malformed integer '-'"));
  EXPECT_THAT(errorOf([] { tokenize("9223372036854775808", "t"); }),
              HasSubstr("t:1:1: integer 9223372036854775808 is out of range"));
  EXPECT_EQ(tokenize("-9223372036854775808", "t")[0].intValue, INT64_MIN);
  EXPECT_THAT(errorOf([] { tokenize("a / b", "t"); }), HasSubstr("t:1:3: unexpected character '/'"));
}

}  // namespace
