#include "LlvmInit.h"

#include <llvm/Support/TargetSelect.h>

#include <mutex>

namespace mxjit::codegen {

void initializeLlvm() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    llvm::InitializeNativeTargetAsmParser();
  });
}

}  // namespace mxjit::codegen
