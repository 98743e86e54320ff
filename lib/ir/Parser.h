// Text -> IR. Every error is Error(Parse) with "<name>:<line>:<col>: <what was expected or which rule>".
// The parsed module is verified before it is returned.
#pragma once
#include "ir/Op.h"

#include <string_view>

namespace mxjit::ir {

Module parse(std::string_view text, std::string_view name = "<input>");

}  // namespace mxjit::ir
