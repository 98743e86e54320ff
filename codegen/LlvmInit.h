// One-time LLVM target initialisation (native target, asm printer and parser), thread-safe.
#pragma once

namespace mxjit::codegen {

void initializeLlvm();

}  // namespace mxjit::codegen
