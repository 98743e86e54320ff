// Which engine runs a CLI command: the scalar reference or (once the compiler core lands) the JIT.
#pragma once
#include <string>

namespace mxjit::cli {

enum class Engine { Reference, Jit };

/// Parses --engine; throws Error(Parse) for unknown names and Error(Unsupported) for an engine this
/// build cannot run yet.
Engine parseEngine(const std::string& name);

}  // namespace mxjit::cli
