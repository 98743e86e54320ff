// Recursive descent over the token vector of Lexer.h. The grammar has no nesting deeper than a type inside
// an argument list, so recursion depth is fixed; every loop consumes a token or stops at End.
//
//   module    := function*
//   function  := 'func' @name '(' [arg (',' arg)*] ')' '->' (type | '(' type (',' type)* ')') '{' stmt* ret '}'
//   arg       := %name ':' type
//   stmt      := %name '=' opname [%v (',' %v)*] (key '=' (int | word | '[' ints ']'))*
//   ret       := 'return' %v (',' %v)*
//   type      := ('f32' | 'bf16' | 'i32' | 'mx' '<' elem ',block=' int ',axis=' int ',scales=' word '>') dims
#include "ir/Parser.h"

#include "ir/Builder.h"
#include "ir/Lexer.h"
#include "ir/OpSchema.h"
#include "ir/Verifier.h"
#include "mxjit/Error.h"

#include <algorithm>
#include <fmt/format.h>
#include <set>
#include <unordered_map>

namespace mxjit::ir {

namespace {

using TK = TokenKind;

std::string opNameList() {
  std::string out;
#define MXJIT_OP(Enum, Name, Operands, HasResult) \
  if (HasResult) out += (out.empty() ? "" : ", ") + std::string(Name);
#include "ir/OpKinds.def"
#undef MXJIT_OP
  return out;
}

bool isDimName(std::string_view s) {
  auto alpha = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; };
  return !s.empty() && alpha(s[0]) &&
         std::all_of(s.begin(), s.end(), [&](char c) { return alpha(c) || (c >= '0' && c <= '9'); });
}

class Parser {
public:
  Parser(std::string_view text, std::string_view name) : name_(name), toks_(tokenize(text, name)) {}

  Module run() {
    Module m;
    while (!at(TK::End)) parseFunction(m);
    try {
      verify(m);
    } catch (const Error& e) {
      // Parsing already checked every rule; this is a last line of defence, still reported as Parse.
      throw Error(ErrorKind::Parse, fmt::format("{}:{}", name_, e.what()));
    }
    return m;
  }

private:
  // ---- token access: peek never runs past the End token, next never moves past it.
  const Token& peek() const { return toks_[pos_]; }
  const Token& next() {
    const Token& t = toks_[pos_];
    if (pos_ + 1 < toks_.size()) ++pos_;
    return t;
  }
  bool at(TK k) const { return peek().kind == k; }
  bool atWord(std::string_view w) const { return at(TK::Word) && peek().text == w; }
  bool accept(TK k) {
    if (!at(k)) return false;
    next();
    return true;
  }
  [[noreturn]] void fail(const Token& t, std::string_view what) const {
    throw Error(ErrorKind::Parse, fmt::format("{}:{}:{}: {}", name_, t.line, t.col, what));
  }
  const Token& expect(TK k, std::string_view what) {
    if (!at(k)) fail(peek(), fmt::format("expected {} but found {}", what, describe(peek())));
    return next();
  }

  // ---- values in scope of the current function
  Value* use(const Token& t) const {
    const auto it = scope_.find(std::string(t.text));
    if (it == scope_.end()) fail(t, fmt::format("use of undefined value %{}", t.text));
    return it->second;
  }
  void checkNew(const Token& t) const {
    if (scope_.count(std::string(t.text))) fail(t, fmt::format("value %{} is defined twice", t.text));
  }

  void parseFunction(Module& m) {
    if (!atWord("func")) fail(peek(), fmt::format("expected 'func' but found {}", describe(peek())));
    const Token& funcTok = next();
    const Token& nameTok = expect(TK::FuncRef, "a function name (@name)");
    if (!functionNames_.insert(std::string(nameTok.text)).second)
      fail(nameTok, fmt::format("function @{} is defined twice", nameTok.text));
    auto f = std::make_unique<Function>();
    f->name = nameTok.text;
    f->loc = {funcTok.line, funcTok.col};
    scope_.clear();
    Builder b(*f);
    expect(TK::LParen, "'(' and the arguments");
    while (!accept(TK::RParen)) {
      const Token& argTok = expect(TK::ValueRef, "an argument (%name: type)");
      checkNew(argTok);
      expect(TK::Colon, fmt::format("':' after argument %{}", argTok.text));
      scope_[std::string(argTok.text)] = b.arg(std::string(argTok.text), parseType());
      if (at(TK::Comma) && pos_ + 1 < toks_.size() && toks_[pos_ + 1].kind == TK::RParen)
        fail(toks_[pos_ + 1], "expected another argument after ','");
      if (!accept(TK::Comma) && !at(TK::RParen)) fail(peek(), "expected ',' or ')' after argument type");
    }
    expect(TK::Arrow, "'->' and the result types");
    std::vector<TensorType> results;
    if (accept(TK::LParen)) {
      for (;;) {
        results.push_back(parseType());
        if (accept(TK::Comma)) continue;
        if (!at(TK::RParen)) fail(peek(), "expected ',' or ')' after result type");
        next();
        break;
      }
    } else {
      results.push_back(parseType());
    }
    expect(TK::LBrace, "'{' to open the function body");
    for (;;) {
      if (at(TK::RBrace)) fail(peek(), fmt::format("missing return in @{}", f->name));
      if (atWord("return")) break;
      if (!at(TK::ValueRef))
        fail(peek(), fmt::format("expected an op ('%name = ...'), 'return' or '}}' but found {}", describe(peek())));
      parseOp(*f);
    }
    parseReturn(*f, results);
    expect(TK::RBrace, "'}' after return (return ends the function)");
    m.functions.push_back(std::move(f));
  }

  void parseOp(Function& f) {
    const Token& resTok = next();
    checkNew(resTok);
    expect(TK::Equal, fmt::format("'=' after %{}", resTok.text));
    const Token& opTok = peek();
    if (!at(TK::Word)) fail(opTok, fmt::format("expected an op name ({}) but found {}", opNameList(), describe(opTok)));
    next();
    const auto kind = opKindNamed(opTok.text);
    if (kind == OpKind::Return) fail(opTok, "return produces no value (write 'return %x' on its own)");
    if (!kind) fail(opTok, fmt::format("unknown op {} (expected one of {})", describe(opTok), opNameList()));
    auto op = std::make_unique<Op>();
    op->kind = *kind;
    op->loc = {resTok.line, resTok.col};
    if (at(TK::ValueRef)) op->operands = parseValueList("an operand (%name)");
    if (const auto n = fixedOperandCount(*kind); n && op->operands.size() != static_cast<size_t>(*n))
      fail(opTok,
           fmt::format("{} expects {} operand{}, got {}", opTok.text, *n, *n == 1 ? "" : "s", op->operands.size()));
    // A word other than `return` after the operands can only be an attribute key.
    while (at(TK::Word) && !atWord("return")) parseAttr(*op);
    TensorType type;
    try {
      type = inferResultType(*op);
    } catch (const Error& e) {
      fail(resTok, fmt::format("rule broken: {}", e.what()));
    }
    op->result = f.newValue(std::string(resTok.text), std::move(type), op.get());
    scope_[op->result->name] = op->result;
    f.ops.push_back(std::move(op));
  }

  void parseAttr(Op& op) {
    const Token& keyTok = next();
    const std::string key(keyTok.text);
    const AttrSpec* spec = findAttrSpec(op.kind, key);
    if (!spec)
      fail(keyTok, fmt::format("unknown attribute {} for {} (expected {})", describe(keyTok), opName(op.kind),
                               attrKeyList(op.kind)));
    if (op.find(key)) fail(keyTok, fmt::format("attribute {} is given twice", key));
    expect(TK::Equal, fmt::format("'=' after attribute {}", key));
    const Token& valTok = peek();
    const TK want = spec->kind == AttrKind::Int ? TK::Int : spec->kind == AttrKind::Word ? TK::Word : TK::LBracket;
    if (!at(want))
      fail(valTok,
           fmt::format("attribute {} expects {} but found {}", key, attrKindName(spec->kind), describe(valTok)));
    AttrValue v;
    if (spec->kind == AttrKind::Int)
      v = next().intValue;
    else if (spec->kind == AttrKind::Word)
      v = std::string(next().text);
    else
      v = parseIntList();
    op.attrs.push_back({key, std::move(v)});
  }

  std::vector<int64_t> parseIntList() {
    expect(TK::LBracket, "'['");
    std::vector<int64_t> out;
    if (accept(TK::RBracket)) return out;
    for (;;) {
      out.push_back(expect(TK::Int, "an integer in the list").intValue);
      if (accept(TK::RBracket)) return out;
      if (!accept(TK::Comma))
        fail(peek(), fmt::format("expected ',' or ']' in the integer list but found {}", describe(peek())));
    }
  }

  std::vector<Value*> parseValueList(std::string_view what) {
    std::vector<Value*> out;
    do {
      out.push_back(use(expect(TK::ValueRef, what)));
    } while (accept(TK::Comma));
    return out;
  }

  void parseReturn(Function& f, const std::vector<TensorType>& declared) {
    const Token& retTok = next();
    std::vector<const Token*> valueToks;
    auto op = std::make_unique<Op>();
    op->kind = OpKind::Return;
    op->loc = {retTok.line, retTok.col};
    do {
      valueToks.push_back(&expect(TK::ValueRef, "a value to return (%name)"));
      op->operands.push_back(use(*valueToks.back()));
    } while (accept(TK::Comma));
    if (op->operands.size() != declared.size())
      fail(retTok, fmt::format("return gives {} value{} but the signature declares {}", op->operands.size(),
                               op->operands.size() == 1 ? "" : "s", declared.size()));
    for (size_t i = 0; i < declared.size(); ++i)
      if (op->operands[i]->type != declared[i])
        fail(*valueToks[i],
             fmt::format("return value #{} (%{}) has type {} but the signature declares {}", i, op->operands[i]->name,
                         typeString(op->operands[i]->type), typeString(declared[i])));
    f.ops.push_back(std::move(op));
  }

  // ---- types
  TensorType parseType() {
    const Token& t = peek();
    if (!at(TK::Word))
      fail(t, fmt::format("expected a type (f32[...], bf16[...], i32[...] or mx<...>[...]) but found {}", describe(t)));
    if (t.text == "mx") return parseMXType();
    TensorType type;
    if (t.text == "f32")
      type.dtype = DType::F32;
    else if (t.text == "bf16")
      type.dtype = DType::BF16;
    else if (t.text == "i32")
      type.dtype = DType::I32;
    else
      fail(t, fmt::format("unknown dtype {} (expected f32, bf16, i32 or mx<...>)", describe(t)));
    next();
    type.dims = parseDims();
    return type;
  }

  TensorType parseMXType() {
    next();
    expect(TK::Less, "'<' after mx");
    const Token& elemTok = expect(TK::Word, "an element format (e4m3 or e5m2)");
    MXEncoding mx;
    if (elemTok.text == "e4m3")
      mx.elem = ElemFormat::E4M3;
    else if (elemTok.text == "e5m2")
      mx.elem = ElemFormat::E5M2;
    else
      fail(elemTok, fmt::format("unknown element format {} (expected e4m3 or e5m2)", describe(elemTok)));
    const Token& blockTok = mxField("block", TK::Int, "an integer");
    if (blockTok.intValue < 2 || blockTok.intValue > 1024 || (blockTok.intValue & (blockTok.intValue - 1)) != 0)
      fail(blockTok, fmt::format("block {} is not a power of two in [2, 1024]", blockTok.intValue));
    mx.block = static_cast<int32_t>(blockTok.intValue);
    const Token& axisTok = mxField("axis", TK::Int, "an integer");
    const Token& scalesTok = mxField("scales", TK::Word, "a scale layout");
    const auto scales = parseScaleLayout(scalesTok.text);
    if (!scales)
      fail(scalesTok,
           fmt::format("unknown scale layout {} (expected plain, blocked128x4 or packed_i32)", describe(scalesTok)));
    mx.scales = *scales;
    expect(TK::Greater, "'>' to close mx<...>");
    TensorType type;
    type.dims = parseDims();
    if (axisTok.intValue < 0 || axisTok.intValue >= type.rank())
      fail(axisTok, fmt::format("axis {} is out of range for rank {}", axisTok.intValue, type.rank()));
    mx.axis = static_cast<int32_t>(axisTok.intValue);
    type.dtype = mx.elem == ElemFormat::E4M3 ? DType::E4M3 : DType::E5M2;
    type.mx = mx;
    return type;
  }

  // `,key=value` inside mx<...>, in the fixed order elem, block, axis, scales.
  const Token& mxField(std::string_view key, TK kind, std::string_view what) {
    expect(TK::Comma, fmt::format("',' and {}= in the mx type", key));
    if (!atWord(key)) fail(peek(), fmt::format("expected '{}=' in the mx type but found {}", key, describe(peek())));
    next();
    expect(TK::Equal, fmt::format("'=' after {}", key));
    return expect(kind, fmt::format("{} for {}", what, key));
  }

  std::vector<Dim> parseDims() {
    expect(TK::LBracket, "'[' and the dims");
    if (at(TK::RBracket)) fail(peek(), "a tensor type has at least one dim");
    std::vector<Dim> dims;
    for (;;) {
      const Token& t = peek();
      if (at(TK::Int)) {
        if (t.intValue < 0) fail(t, fmt::format("dim size {} is negative", t.intValue));
        dims.push_back(Dim::fixed(t.intValue));
      } else if (at(TK::Word) && isDimName(t.text)) {
        dims.push_back(Dim::named(std::string(t.text)));
      } else {
        fail(t, fmt::format("expected a dim (a size, or a name such as M) but found {}", describe(t)));
      }
      next();
      if (accept(TK::Comma)) continue;
      if (!at(TK::RBracket))
        fail(peek(), fmt::format("expected ',' or ']' after a dim but found {}", describe(peek())));
      next();
      return dims;
    }
  }

  std::string name_;
  std::vector<Token> toks_;
  size_t pos_ = 0;
  std::unordered_map<std::string, Value*> scope_;
  std::set<std::string> functionNames_;
};

}  // namespace

Module parse(std::string_view text, std::string_view name) { return Parser(text, name).run(); }

}  // namespace mxjit::ir
