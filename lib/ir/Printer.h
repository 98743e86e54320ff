// IR -> text. print(parse(t)) == t for every canonical program.
#pragma once
#include "ir/Op.h"

#include <string>

namespace mxjit::ir {

std::string print(const Module& m);
std::string print(const Function& f);
std::string print(const Op& op);  // one line, no indentation or newline

}  // namespace mxjit::ir
