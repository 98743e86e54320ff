// inferResultType: every rule of README.md "Ops", one function per op kind. Messages name the op, then
// the operand or attribute, then the rule: "mx.quantize: operand #0 (%x): dim 1 (1000) is not ...".
#include "ir/Builder.h"
#include "ir/OpSchema.h"
#include "mxjit/Error.h"

#include <fmt/format.h>

namespace mxjit::ir {

namespace {

bool sameDim(const Dim& a, const Dim& b) {
  return a.isStatic() == b.isStatic() && (a.isStatic() ? a.size == b.size : a.symbol == b.symbol);
}

bool isPowerOfTwoBlock(int64_t b) { return b >= 2 && b <= 1024 && (b & (b - 1)) == 0; }

DType elemDType(ElemFormat f) { return f == ElemFormat::E4M3 ? DType::E4M3 : DType::E5M2; }

/// Reads one op's operands and attributes and raises its rule errors.
class OpRules {
public:
  explicit OpRules(const Op& op) : op_(op) {}

  [[noreturn]] void fail(std::string_view rule) const {
    throw Error(ErrorKind::InvalidArgument, fmt::format("{}: {}", opName(op_.kind), rule));
  }
  [[noreturn]] void operandFail(size_t i, std::string_view rule) const {
    fail(fmt::format("operand #{} ({}): {}", i, ref(i), rule));
  }
  [[noreturn]] void attrFail(std::string_view key, std::string_view rule) const {
    fail(fmt::format("attribute {}: {}", key, rule));
  }

  std::string ref(size_t i) const { return "%" + op_.operands.at(i)->name; }

  void checkOperands(size_t min, size_t max, std::string_view shape) const {
    const size_t n = op_.operands.size();
    if (n < min || n > max)
      fail(fmt::format("expects {} operand{} ({}), got {}",
                       min == max ? fmt::format("{}", min) : fmt::format("{} or {}", min, max), max == 1 ? "" : "s",
                       shape, n));
    for (size_t i = 0; i < n; ++i) {
      if (!op_.operands[i]) fail(fmt::format("operand #{} is null", i));
      // A malformed operand type (block 0, axis past the rank) would poison every rule below.
      if (std::string e = typeError(op_.operands[i]->type); !e.empty()) operandFail(i, "malformed type: " + e);
    }
  }

  // Keys known to the op, of the right kind, each at most once, every required one present.
  void checkAttrs() const {
    for (size_t i = 0; i < op_.attrs.size(); ++i) {
      const Attr& a = op_.attrs[i];
      const AttrSpec* spec = findAttrSpec(op_.kind, a.key);
      if (!spec) attrFail(a.key, fmt::format("unknown for {} (expected {})", opName(op_.kind), attrKeyList(op_.kind)));
      if (attrKindOf(a.value) != spec->kind) attrFail(a.key, fmt::format("expects {}", attrKindName(spec->kind)));
      for (size_t j = 0; j < i; ++j)
        if (op_.attrs[j].key == a.key) attrFail(a.key, "given twice");
    }
    for (const AttrSpec& s : attrSpecs(op_.kind))
      if (s.required && !op_.find(s.key)) attrFail(s.key, "missing");
  }

  const TensorType& type(size_t i) const { return op_.operands[i]->type; }
  int64_t intAttr(std::string_view k) const { return std::get<int64_t>(*op_.find(k)); }
  const std::string& word(std::string_view k) const { return std::get<std::string>(*op_.find(k)); }
  const std::vector<int64_t>& list(std::string_view k) const { return std::get<std::vector<int64_t>>(*op_.find(k)); }

  ElemFormat elem(std::string_view k) const {
    const std::string& w = word(k);
    if (w == "e4m3") return ElemFormat::E4M3;
    if (w == "e5m2") return ElemFormat::E5M2;
    attrFail(k, fmt::format("unknown element format '{}' (expected e4m3 or e5m2)", w));
  }
  int32_t block(std::string_view k) const {
    const int64_t b = intAttr(k);
    if (!isPowerOfTwoBlock(b)) attrFail(k, fmt::format("{} is not a power of two in [2, 1024]", b));
    return static_cast<int32_t>(b);
  }
  ScaleMode mode(std::string_view k) const {
    const std::string& w = word(k);
    for (ScaleMode m : {ScaleMode::Floor, ScaleMode::RCeil, ScaleMode::Ceil, ScaleMode::Even})
      if (w == scaleModeName(m)) return m;
    attrFail(k, fmt::format("unknown scale mode '{}' (expected floor, rceil, ceil or even)", w));
  }
  DType outDType(std::string_view k) const {
    const std::string& w = word(k);
    if (w == "bf16") return DType::BF16;
    if (w == "f32") return DType::F32;
    attrFail(k, fmt::format("'{}' is not a result dtype (expected bf16 or f32)", w));
  }
  void checkOffs(size_t i) const {
    const TensorType& t = type(i);
    if (t.mx || t.dtype != DType::I32 || t.rank() != 1)
      operandFail(i, fmt::format("group offsets must be i32 of rank 1, got {}", typeString(t)));
  }
  void checkMX(size_t i) const {
    if (!type(i).mx) operandFail(i, fmt::format("expected an MX value, got {}", typeString(type(i))));
  }

private:
  const Op& op_;
};

TensorType inferQuantize(const Op& op, const OpRules& r) {
  r.checkOperands(1, 2, "%x or %x, %offs");
  const TensorType& x = r.type(0);
  if (x.mx || (x.dtype != DType::F32 && x.dtype != DType::BF16))
    r.operandFail(0, fmt::format("expected a plain f32 or bf16 tensor, got {}", typeString(x)));
  const int64_t axis = r.intAttr("axis");
  if (axis < 0 || axis >= x.rank())
    r.attrFail("axis", fmt::format("{} is out of range for operand #0 ({}) of rank {}", axis, r.ref(0), x.rank()));
  const ElemFormat elem = r.elem("elem");
  const int32_t block = r.block("block");
  r.mode("mode");
  if (op.operands.size() == 2) {
    r.checkOffs(1);  // group restarts: each group pads its last block, so no divisibility rule
  } else {
    const Dim& d = x.dims[static_cast<size_t>(axis)];
    if (d.isStatic() && d.size % block != 0)
      r.operandFail(0, fmt::format("dim {} ({}) is not divisible by block {}", axis, d.size, block));
  }
  return TensorType{elemDType(elem), x.dims, MXEncoding{elem, block, static_cast<int32_t>(axis), ScaleLayout::Plain}};
}

TensorType inferDequantize(const OpRules& r) {
  r.checkOperands(1, 1, "%q");
  r.checkMX(0);
  return TensorType{r.outDType("out"), r.type(0).dims, std::nullopt};
}

TensorType inferTranspose(const OpRules& r) {
  r.checkOperands(1, 1, "%x");
  const TensorType& x = r.type(0);
  const std::vector<int64_t>& perm = r.list("perm");
  std::vector<bool> seen(x.dims.size(), false);
  bool ok = perm.size() == x.dims.size();
  for (int64_t p : perm) {
    if (!ok || p < 0 || p >= x.rank() || seen[static_cast<size_t>(p)]) {
      ok = false;
      break;
    }
    seen[static_cast<size_t>(p)] = true;
  }
  if (!ok) {
    std::string text;
    for (int64_t p : perm) text += (text.empty() ? "" : ",") + std::to_string(p);
    r.attrFail("perm", fmt::format("[{}] is not a permutation of 0..{} (operand #0 ({}) has rank {})", text,
                                   x.rank() - 1, r.ref(0), x.rank()));
  }
  TensorType out = x;
  for (size_t i = 0; i < perm.size(); ++i) out.dims[i] = x.dims[static_cast<size_t>(perm[i])];
  if (x.mx) {
    // Blocked or packed scales are tied to the old dim order; only plain scales can follow a transpose.
    if (x.mx->scales != ScaleLayout::Plain)
      r.operandFail(0, fmt::format("an MX value with {} scales cannot be transposed (scales must be plain)",
                                   scaleLayoutName(x.mx->scales)));
    for (size_t i = 0; i < perm.size(); ++i)
      if (perm[i] == x.mx->axis) out.mx->axis = static_cast<int32_t>(i);
  }
  return out;
}

TensorType inferSwizzleScales(const OpRules& r) {
  r.checkOperands(1, 1, "%q");
  r.checkMX(0);
  const auto layout = parseScaleLayout(r.word("scales"));
  if (!layout)
    r.attrFail("scales",
               fmt::format("unknown scale layout '{}' (expected plain, blocked128x4 or packed_i32)", r.word("scales")));
  TensorType out = r.type(0);
  out.mx->scales = *layout;
  return out;
}

OperandLayout layoutAttr(const OpRules& r, std::string_view key) {
  const auto l = parseOperandLayout(r.word(key));
  if (!l) r.attrFail(key, fmt::format("unknown layout '{}' (expected mk, km, ekn, enk, mn, nm or pnk)", r.word(key)));
  return *l;
}

std::optional<FusedQuant> fusedAttr(const Op& op, const OpRules& r, std::string_view key) {
  if (!op.find(key)) return std::nullopt;
  const auto q = parseFusedQuant(r.word(key));
  if (!q)
    r.attrFail(key, fmt::format("'{}' is not a fused quantization (expected elem.bBLOCK.mode, e.g. e4m3.b32.rceil)",
                                r.word(key)));
  if (!isPowerOfTwoBlock(q->block))
    r.attrFail(key, fmt::format("block {} is not a power of two in [2, 1024]", q->block));
  return q;
}

// A named recipe stands for the qa/qb it will expand to (expand-recipe); it cannot sit beside them.
std::pair<std::optional<FusedQuant>, std::optional<FusedQuant>> operandQuants(const Op& op, const OpRules& r) {
  auto qa = fusedAttr(op, r, "qa"), qb = fusedAttr(op, r, "qb");
  if (!op.find("recipe")) {
    if (op.find("role")) r.attrFail("role", "needs a recipe attribute");
    return {qa, qb};
  }
  if (qa || qb) r.attrFail("recipe", "cannot be combined with qa/qb (expand-recipe turns the recipe into them)");
  QuantRecipe recipe;
  try {
    recipe = recipePreset(r.word("recipe"));
  } catch (const Error& e) {
    r.attrFail("recipe", e.what());
  }
  if (!op.find("role")) r.attrFail("recipe", "needs a role attribute (fwd, dgrad or wgrad)");
  const auto role = parseGemmRole(r.word("role"));
  if (!role) r.attrFail("role", fmt::format("unknown role '{}' (expected fwd, dgrad or wgrad)", r.word("role")));
  for (int i = 0; i < 2; ++i) {
    if (r.type(i).mx) continue;  // prequantized operands pass through
    (i == 0 ? qa : qb) = recipeOperandQuant(recipe, *role, i);
  }
  return {qa, qb};
}

void checkLayoutKinds(const OpRules& r, GemmKind kind, OperandLayout la, OperandLayout lb) {
  using L = OperandLayout;
  if (kind == GemmKind::G2d3d) {
    if (la != L::MK)
      r.attrFail("a",
                 fmt::format("layout {} is not supported for a of kind 2d3d (expected mk)", operandLayoutName(la)));
    if (lb != L::EKN && lb != L::ENK && lb != L::PNK)
      r.attrFail("b",
                 fmt::format("layout {} is not a 3-D operand layout (expected ekn, enk or pnk)", operandLayoutName(lb)));
  } else {
    if (la != L::MK && la != L::KM)
      r.attrFail("a", fmt::format("layout {} is not a 2-D layout of a (expected mk or km)", operandLayoutName(la)));
    if (lb != L::MN && lb != L::NM)
      r.attrFail("b", fmt::format("layout {} is not a 2-D layout of b (expected mn or nm)", operandLayoutName(lb)));
  }
}

void checkRank(const OpRules& r, size_t i, int64_t rank, OperandLayout l) {
  if (r.type(i).rank() != rank)
    r.operandFail(i, fmt::format("expected a {}-D tensor for {}={}, got {}", rank, i == 0 ? "a" : "b",
                                 operandLayoutName(l), typeString(r.type(i))));
}

// An operand is MX, plain bf16/f32 with a fused quantization, or plain bf16/f32 (high precision).
void checkPrecision(const OpRules& r, size_t i, std::string_view key, const std::optional<FusedQuant>& fused) {
  const TensorType& t = r.type(i);
  if (t.mx && fused) r.attrFail(key, fmt::format("operand #{} ({}) is already quantized", i, r.ref(i)));
  if (!t.mx && t.dtype != DType::BF16 && t.dtype != DType::F32)
    r.operandFail(
        i, fmt::format("dtype {} is not a matmul input (expected bf16, f32 or an MX value)", dtypeName(t.dtype)));
}

// Quantized operands are quantized along the contraction dim; a 2d3d contraction is whole blocks.
void checkContraction(const OpRules& r, size_t i, int64_t axis, std::string_view dimName, const Dim& dim,
                      std::string_view fusedKey, const std::optional<FusedQuant>& fused, bool needWholeBlocks) {
  const TensorType& t = r.type(i);
  if (t.mx) {
    if (t.mx->axis != axis)
      r.operandFail(
          i, fmt::format("quantized along axis {}, but its contraction dim {} is axis {}", t.mx->axis, dimName, axis));
    if (t.mx->scales != ScaleLayout::Plain)
      r.operandFail(i, fmt::format("{} scales: a matmul operand needs plain scales", scaleLayoutName(t.mx->scales)));
  }
  const int64_t block = t.mx ? t.mx->block : fused ? fused->block : 0;
  if (!needWholeBlocks || block == 0 || !dim.isStatic() || dim.size % block == 0) return;
  if (t.mx) r.operandFail(i, fmt::format("{}={} is not divisible by block {}", dimName, dim.size, block));
  r.attrFail(fusedKey, fmt::format("{}={} of operand #{} ({}) is not divisible by block {}", dimName, dim.size, i,
                                   r.ref(i), block));
}

// 2d2d quantizes along M with a fresh run of blocks per group: an operand made by mx.quantize must carry
// the matmul's own %offs.
void checkGroupRestarts(const Op& op, const OpRules& r, size_t i) {
  const Value* v = op.operands[i];
  if (!v->type.mx || !v->def || v->def->kind != OpKind::Quantize) return;
  const Op& q = *v->def;
  if (q.operands.size() < 2)
    r.operandFail(i, fmt::format("quantized by mx.quantize without group offsets; 2d2d needs blocks restarting at "
                                 "each group (mx.quantize ..., {})",
                                 r.ref(2)));
  if (q.operands[1] != op.operands[2])
    r.operandFail(i, fmt::format("quantized with group offsets %{}, not the matmul's {}",
                                 q.operands[1] ? q.operands[1]->name : "?", r.ref(2)));
}

// Panel-packed weights (b=pnk) are MX codes in 32-k chunks and 32-k scale records.
void checkPanelPacked(const OpRules& r, const TensorType& b) {
  if (!b.mx) r.operandFail(1, fmt::format("b=pnk holds panel-packed MX codes; got {}", typeString(b)));
  if (b.mx->block % 32 != 0) r.operandFail(1, fmt::format("b=pnk needs a block that is a multiple of 32, got {}", b.mx->block));
  if (b.dims[2].isStatic() && b.dims[2].size % 32 != 0)
    r.operandFail(1, fmt::format("b=pnk needs K a multiple of 32, got {}", b.dims[2].size));
}

TensorType inferGroupedMM(const Op& op, const OpRules& r) {
  r.checkOperands(3, 3, "%a, %b, %offs");
  const auto kind = parseGemmKind(r.word("kind"));
  if (!kind) r.attrFail("kind", fmt::format("unknown kind '{}' (expected 2d3d or 2d2d)", r.word("kind")));
  const DType out = r.outDType("out");
  const OperandLayout la = layoutAttr(r, "a"), lb = layoutAttr(r, "b");
  const auto [qa, qb] = operandQuants(op, r);
  checkLayoutKinds(r, *kind, la, lb);
  const bool is3d = *kind == GemmKind::G2d3d;
  checkRank(r, 0, 2, la);
  checkRank(r, 1, is3d ? 3 : 2, lb);
  r.checkOffs(2);
  checkPrecision(r, 0, "qa", qa);
  checkPrecision(r, 1, "qb", qb);
  const TensorType &a = r.type(0), &b = r.type(1), &offs = r.type(2);
  const bool aQuantized = a.mx || qa, bQuantized = b.mx || qb;
  if (aQuantized != bQuantized)
    r.operandFail(1, fmt::format("{}, but operand #0 ({}) is {} (a and b are both quantized or both high precision)",
                                 bQuantized ? "quantized" : "high precision", r.ref(0),
                                 aQuantized ? "quantized" : "high precision"));
  if (is3d) {
    const size_t bK = lb == OperandLayout::EKN ? 1 : 2;
    const Dim &M = a.dims[0], &K = a.dims[1], &E = b.dims[0], &N = b.dims[3 - bK];
    if (!sameDim(b.dims[bK], K))
      r.operandFail(
          1, fmt::format("K={} does not match operand #0 ({}) K={}", dimString(b.dims[bK]), r.ref(0), dimString(K)));
    if (!sameDim(offs.dims[0], E))
      r.operandFail(
          2, fmt::format("E={} does not match operand #1 ({}) E={}", dimString(offs.dims[0]), r.ref(1), dimString(E)));
    checkContraction(r, 0, 1, "K", K, "qa", qa, true);
    checkContraction(r, 1, static_cast<int64_t>(bK), "K", K, "qb", qb, true);
    if (lb == OperandLayout::PNK) checkPanelPacked(r, b);
    return TensorType{out, {M, N}, std::nullopt};
  }
  const size_t aM = la == OperandLayout::MK ? 0 : 1, bM = lb == OperandLayout::MN ? 0 : 1;
  const Dim &M = a.dims[aM], &K = a.dims[1 - aM], &N = b.dims[1 - bM];
  if (!sameDim(b.dims[bM], M))
    r.operandFail(
        1, fmt::format("M={} does not match operand #0 ({}) M={}", dimString(b.dims[bM]), r.ref(0), dimString(M)));
  checkContraction(r, 0, static_cast<int64_t>(aM), "M", M, "qa", qa, false);
  checkContraction(r, 1, static_cast<int64_t>(bM), "M", M, "qb", qb, false);
  checkGroupRestarts(op, r, 0);
  checkGroupRestarts(op, r, 1);
  return TensorType{out, {offs.dims[0], K, N}, std::nullopt};
}

}  // namespace

TensorType inferResultType(const Op& op) {
  const OpRules r(op);
  r.checkAttrs();
  switch (op.kind) {
  case OpKind::Quantize: return inferQuantize(op, r);
  case OpKind::Dequantize: return inferDequantize(r);
  case OpKind::Transpose: return inferTranspose(r);
  case OpKind::SwizzleScales: return inferSwizzleScales(r);
  case OpKind::GroupedMM: return inferGroupedMM(op, r);
  case OpKind::Return: break;
  }
  throw Error(ErrorKind::Internal, fmt::format("{} has no result type", opName(op.kind)));
}

}  // namespace mxjit::ir
