// Linux hands out AMX tile state (XTILEDATA, 8 KiB per thread) only to processes that ask for it; the
// first tile instruction of one that did not is killed with SIGILL.
#pragma once

namespace mxjit::codegen {

/// Asks once per process (arch_prctl ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA); true if granted.
bool requestAmxTileState();

}  // namespace mxjit::codegen
