// specialize: the sizes known when the kernel is requested (G, N, K: everything but the dynamic dims,
// M by default) become static, so the plan and the code generator see constants. Sizes flow from the
// arguments to every result by re-inferring types in program order; any other symbolic dim left over
// would reach codegen without a value, so it is an error here, naming the dim.
#include "ir/Builder.h"
#include "mxjit/Error.h"
#include "passes/Passes.h"

#include <fmt/format.h>

namespace mxjit::passes {
namespace {

void requireOnlyDynamicSymbols(const ir::Value& v, const PassOptions& o) {
  for (size_t i = 0; i < v.type.dims.size(); ++i) {
    const ir::Dim& d = v.type.dims[i];
    if (!d.isStatic() && !o.dynamicDims.count(d.symbol))
      throw Error(ErrorKind::InvalidArgument,
                  fmt::format("specialize: dim {} of %{} is still symbolic ({}): bind it or mark it dynamic", i,
                              v.name, d.symbol));
  }
}

bool bindArgs(ir::Function& f, const PassOptions& o) {
  bool changed = false;
  for (ir::Value* arg : f.args)
    for (ir::Dim& d : arg->type.dims) {
      if (d.isStatic() || o.dynamicDims.count(d.symbol)) continue;
      const auto it = o.dimBindings.find(d.symbol);
      if (it == o.dimBindings.end()) continue;
      if (it->second < 0)
        throw Error(ErrorKind::InvalidArgument,
                    fmt::format("specialize: {}={} for %{}: a dim size must be non-negative", it->first,
                                it->second, arg->name));
      d = ir::Dim::fixed(it->second);
      changed = true;
    }
  return changed;
}

}  // namespace

bool specialize(ir::Module& m, const PassOptions& o) {
  bool changed = false;
  for (auto& f : m.functions) {
    changed |= bindArgs(*f, o);
    for (auto& op : f->ops)
      if (op->result) op->result->type = ir::inferResultType(*op);
    for (const ir::Value* arg : f->args) requireOnlyDynamicSymbols(*arg, o);
    for (auto& op : f->ops)
      if (op->result) requireOnlyDynamicSymbols(*op->result, o);
  }
  return changed;
}

}  // namespace mxjit::passes
