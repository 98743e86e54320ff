// Tokens of the IR text (README.md "Lexical form"). The whole input is split up front; the parser then
// walks the vector, so lookahead is an index and can never run past the End token.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mxjit::ir {

enum class TokenKind : uint8_t {
  Word,      // e4m3, mx.quantize, 2d3d, e4m3.b32.rceil, M, func, return
  Int,       // 32, -1
  ValueRef,  // %name (text without '%')
  FuncRef,   // @name (text without '@')
  LParen,
  RParen,
  LBracket,
  RBracket,
  LBrace,
  RBrace,
  Less,
  Greater,
  Comma,
  Colon,
  Equal,
  Arrow,
  End,
};

struct Token {
  TokenKind kind = TokenKind::End;
  std::string_view text;  // a view into the input (the name only, for % and @)
  int64_t intValue = 0;
  int line = 1, col = 1;
};

/// What a message calls the token: "'axis'", "'%x'", "end of input".
std::string describe(const Token& t);

/// Splits `text`; skips whitespace and `//` comments. Throws Error(Parse) "<name>:<line>:<col>: ..." for a
/// character no token starts with, an empty %/@ name or an integer out of range.
std::vector<Token> tokenize(std::string_view text, std::string_view name);

}  // namespace mxjit::ir
