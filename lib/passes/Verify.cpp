// verify: the IR rules of lib/ir/README.md, as a pass so a pipeline can check its input first.
#include "ir/Verifier.h"
#include "passes/Passes.h"

namespace mxjit::passes {

bool verify(ir::Module& m, const PassOptions&) {
  ir::verify(m);
  return false;
}

}  // namespace mxjit::passes
