// The passes, in pipeline order: this header is the table of contents. Each pass is a plain function
// over a module that returns whether it changed anything; each lives in its own file named for its verb.
#pragma once
#include "ir/Op.h"

#include <map>
#include <set>
#include <span>
#include <string>
#include <string_view>

namespace mxjit::passes {

struct PassOptions {
  std::map<std::string, int64_t> dimBindings;  // specialize: sizes of named dims known at the call
  std::set<std::string> dynamicDims = {"M"};    // specialize: dims that stay runtime values
};

bool verify(ir::Module& m, const PassOptions& o);               // Verify.cpp: throws on ill-formed IR
bool expandRecipe(ir::Module& m, const PassOptions& o);         // ExpandRecipe.cpp
bool canonicalizeLayouts(ir::Module& m, const PassOptions& o);  // CanonicalizeLayouts.cpp
bool foldRelayouts(ir::Module& m, const PassOptions& o);        // FoldRelayouts.cpp
bool fuseQuantize(ir::Module& m, const PassOptions& o);         // FuseQuantize.cpp
bool specialize(ir::Module& m, const PassOptions& o);           // Specialize.cpp

struct PassInfo {
  const char* name;  // as in --passes= and dump file names: "canonicalize-layouts"
  const char* why;   // one line: what it does and why it sits where it does
  bool (*run)(ir::Module&, const PassOptions&);
};

/// Every pass in pipeline order (Pipeline.cpp).
std::span<const PassInfo> pipeline();
const PassInfo* findPass(std::string_view name);  // nullptr if unknown

}  // namespace mxjit::passes
