#include "ir/Builder.h"

#include "mxjit/Error.h"

#include <algorithm>
#include <unordered_set>

namespace mxjit::ir {

namespace {

std::unique_ptr<Op> makeOp(OpKind kind, std::vector<Value*> operands, std::vector<Attr> attrs) {
  auto op = std::make_unique<Op>();
  op->kind = kind;
  op->operands = std::move(operands);
  op->attrs = std::move(attrs);
  return op;
}

std::string word(std::string_view s) { return std::string(s); }

}  // namespace

Value* Builder::arg(std::string name, TensorType type) {
  Value* v = f_.newValue(std::move(name), std::move(type));
  f_.args.push_back(v);
  return v;
}

Value* Builder::quantize(Value* x, int64_t axis, ElemFormat elem, int32_t block, ScaleMode mode, Value* groupOffs) {
  std::vector<Value*> operands{x};
  if (groupOffs) operands.push_back(groupOffs);
  return insert(makeOp(OpKind::Quantize, std::move(operands),
                       {{"axis", axis},
                        {"elem", word(elemFormatName(elem))},
                        {"block", int64_t{block}},
                        {"mode", word(scaleModeName(mode))}}));
}

Value* Builder::dequantize(Value* q, DType out) {
  return insert(makeOp(OpKind::Dequantize, {q}, {{"out", word(dtypeName(out))}}));
}

Value* Builder::transpose(Value* x, std::vector<int64_t> perm) {
  return insert(makeOp(OpKind::Transpose, {x}, {{"perm", std::move(perm)}}));
}

Value* Builder::swizzleScales(Value* q, ScaleLayout layout) {
  return insert(makeOp(OpKind::SwizzleScales, {q}, {{"scales", word(scaleLayoutName(layout))}}));
}

Value* Builder::groupedMM(Value* a, Value* b, Value* offs, GemmKind kind, DType out, OperandLayout aLayout,
                          OperandLayout bLayout, std::optional<FusedQuant> qa, std::optional<FusedQuant> qb) {
  std::vector<Attr> attrs{{"kind", word(gemmKindName(kind))},
                          {"out", word(dtypeName(out))},
                          {"a", word(operandLayoutName(aLayout))},
                          {"b", word(operandLayoutName(bLayout))}};
  if (qa) attrs.push_back({"qa", fusedQuantText(*qa)});
  if (qb) attrs.push_back({"qb", fusedQuantText(*qb)});
  return insert(makeOp(OpKind::GroupedMM, {a, b, offs}, std::move(attrs)));
}

void Builder::ret(std::vector<Value*> values) { insert(makeOp(OpKind::Return, std::move(values), {})); }

Value* Builder::insert(std::unique_ptr<Op> op) {
  MXJIT_CHECK(op != nullptr);
  // Infer first: a failed build leaves the function untouched.
  std::optional<TensorType> type;
  if (op->kind != OpKind::Return) type = inferResultType(*op);
  auto pos = f_.ops.end();
  if (before_) {
    pos = std::find_if(f_.ops.begin(), f_.ops.end(), [&](const auto& o) { return o.get() == before_; });
    MXJIT_CHECK(pos != f_.ops.end());
  }
  if (type) op->result = f_.newValue(freshName(), std::move(*type), op.get());
  Value* result = op->result;
  f_.ops.insert(pos, std::move(op));
  return result;
}

// The smallest number not yet used as a value name in the function: %0, %1, ...
std::string Builder::freshName() {
  std::unordered_set<std::string_view> used;
  for (const auto& v : f_.values) used.insert(v->name);
  for (size_t n = 0;; ++n)
    if (std::string name = std::to_string(n); !used.count(name)) return name;
}

}  // namespace mxjit::ir
