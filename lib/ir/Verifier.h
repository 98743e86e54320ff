// Checks that a module is well formed: every op's operands and attributes satisfy its rules, types
// match inference, values are defined before use, each function ends in one return whose operands
// match the signature. Throws Error(InvalidArgument) "line:col: <op>: operand #i (%name): <rule>".
#pragma once
#include "ir/Op.h"

namespace mxjit::ir {

void verify(const Module& m);

}  // namespace mxjit::ir
