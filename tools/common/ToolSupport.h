// Small pieces the command-line compiler tools (mxjit-opt, mxjit-dump) share: comma lists, dim
// bindings, reading the input and writing the output.
#pragma once
#include "passes/Passes.h"

#include <string>
#include <string_view>
#include <vector>

namespace mxjit::tools {

std::vector<std::string_view> splitCommas(std::string_view s);
/// "K=2048,N=1024" into o.dimBindings; Error(Parse) naming the bad item.
void addBindings(std::string_view list, passes::PassOptions& o);
std::string readFile(const std::string& path);
/// To stdout when path is empty.
void writeOutput(const std::string& path, const std::string& text);

}  // namespace mxjit::tools
