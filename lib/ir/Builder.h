// Building IR in C++ (the API, the passes and the parser use it): every op gets its result type by
// inference, so a built op is well typed or the build throws.
#pragma once
#include "ir/GemmAttrs.h"
#include "ir/Op.h"

namespace mxjit::ir {

/// The result type of `op` from its operands and attributes. Throws Error(InvalidArgument) whose message
/// names the op, the operand and the rule when they do not fit (the verifier reports the same messages
/// with line:col).
TensorType inferResultType(const Op& op);

class Builder {
public:
  explicit Builder(Function& f) : f_(f) {}

  /// New ops go before `op` (nullptr: at the end of the function).
  void setInsertionPoint(Op* before) { before_ = before; }

  Value* arg(std::string name, TensorType type);
  Value* quantize(Value* x, int64_t axis, ElemFormat elem, int32_t block, ScaleMode mode, Value* groupOffs = nullptr);
  Value* dequantize(Value* q, DType out);
  Value* transpose(Value* x, std::vector<int64_t> perm);
  Value* swizzleScales(Value* q, ScaleLayout layout);
  Value* groupedMM(Value* a, Value* b, Value* offs, GemmKind kind, DType out, OperandLayout aLayout,
                   OperandLayout bLayout, std::optional<FusedQuant> qa = std::nullopt,
                   std::optional<FusedQuant> qb = std::nullopt);
  void ret(std::vector<Value*> values);

  /// Inserts a fully formed op (attributes in canonical order), infers and names its result.
  Value* insert(std::unique_ptr<Op> op);

private:
  std::string freshName();
  Function& f_;
  Op* before_ = nullptr;
};

}  // namespace mxjit::ir
