#include "ir/Lexer.h"

#include "mxjit/Error.h"

#include <charconv>
#include <fmt/format.h>

namespace mxjit::ir {

namespace {

bool isNameChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
}
bool isDigit(char c) { return c >= '0' && c <= '9'; }

// Messages quote at most this much of a token: fuzzed inputs can hold megabyte-long words.
constexpr size_t kQuoteLimit = 40;

std::string quote(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, kQuoteLimit)) {
    const auto u = static_cast<unsigned char>(c);
    out += u >= 0x20 && u < 0x7f ? std::string(1, c) : fmt::format("\\x{:02x}", u);
  }
  return s.size() > kQuoteLimit ? out + "..." : out;
}

class Lexer {
public:
  Lexer(std::string_view text, std::string_view name) : text_(text), name_(name) {}

  std::vector<Token> run() {
    std::vector<Token> out;
    for (;;) {
      skipSpaceAndComments();
      Token t;
      t.line = line_;
      t.col = col_;
      if (pos_ >= text_.size()) {
        out.push_back(t);
        return out;
      }
      lexOne(t);
      out.push_back(t);
    }
  }

private:
  [[noreturn]] void fail(const Token& at, std::string_view what) const {
    throw Error(ErrorKind::Parse, fmt::format("{}:{}:{}: {}", name_, at.line, at.col, what));
  }

  void advance(size_t n) {
    for (size_t i = 0; i < n && pos_ < text_.size(); ++i, ++pos_) {
      if (text_[pos_] == '\n')
        ++line_, col_ = 1;
      else
        ++col_;
    }
  }

  void skipSpaceAndComments() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        advance(1);
      } else if (c == '/' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '/') {
        while (pos_ < text_.size() && text_[pos_] != '\n') advance(1);
      } else {
        return;
      }
    }
  }

  size_t nameLength(size_t from) const {
    size_t n = 0;
    while (from + n < text_.size() && isNameChar(text_[from + n])) ++n;
    return n;
  }

  void lexOne(Token& t) {
    const char c = text_[pos_];
    static constexpr std::string_view kPunct = "()[]{}<>,:=";
    static constexpr TokenKind kPunctKinds[] = {TokenKind::LParen,   TokenKind::RParen,  TokenKind::LBracket,
                                                TokenKind::RBracket, TokenKind::LBrace,  TokenKind::RBrace,
                                                TokenKind::Less,     TokenKind::Greater, TokenKind::Comma,
                                                TokenKind::Colon,    TokenKind::Equal};
    if (const size_t p = kPunct.find(c); p != std::string_view::npos) {
      t.kind = kPunctKinds[p];
      t.text = text_.substr(pos_, 1);
      advance(1);
    } else if (c == '-' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '>') {
      t.kind = TokenKind::Arrow;
      t.text = text_.substr(pos_, 2);
      advance(2);
    } else if (c == '%' || c == '@') {
      const size_t n = nameLength(pos_ + 1);
      if (n == 0) fail(t, fmt::format("expected a name after '{}' ([A-Za-z0-9_.]+)", c));
      t.kind = c == '%' ? TokenKind::ValueRef : TokenKind::FuncRef;
      t.text = text_.substr(pos_ + 1, n);
      advance(n + 1);
    } else if (c == '-' || isNameChar(c)) {
      lexWordOrInt(t);
    } else {
      fail(t, fmt::format("unexpected character '{}'", quote(text_.substr(pos_, 1))));
    }
  }

  // A run of name characters is an integer when it is all digits (after an optional '-'), else a word:
  // "2d3d" and "e4m3.b32.rceil" are words.
  void lexWordOrInt(Token& t) {
    const bool negative = text_[pos_] == '-';
    const size_t start = pos_ + (negative ? 1 : 0);
    const size_t n = nameLength(start);
    const std::string_view body = text_.substr(start, n);
    bool allDigits = n > 0;
    for (char d : body) allDigits = allDigits && isDigit(d);
    t.text = text_.substr(pos_, n + (negative ? 1 : 0));
    if (!allDigits) {
      if (negative) fail(t, fmt::format("malformed integer '{}'", quote(t.text)));
      t.kind = TokenKind::Word;
    } else {
      t.kind = TokenKind::Int;
      const auto [end, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), t.intValue);
      if (ec != std::errc() || end != t.text.data() + t.text.size())
        fail(t, fmt::format("integer {} is out of range", quote(t.text)));
    }
    advance(t.text.size());
  }

  std::string_view text_, name_;
  size_t pos_ = 0;
  int line_ = 1, col_ = 1;
};

}  // namespace

std::string describe(const Token& t) {
  switch (t.kind) {
  case TokenKind::End: return "end of input";
  case TokenKind::ValueRef: return fmt::format("'%{}'", quote(t.text));
  case TokenKind::FuncRef: return fmt::format("'@{}'", quote(t.text));
  default: return fmt::format("'{}'", quote(t.text));
  }
}

std::vector<Token> tokenize(std::string_view text, std::string_view name) { return Lexer(text, name).run(); }

}  // namespace mxjit::ir
