// Which engine runs a CLI command: the JIT (default) or the scalar reference.
#pragma once
#include <string>

namespace mxjit::cli {

enum class Engine { Reference, Jit };

/// Parses --engine; throws Error(Parse) for unknown names.
Engine parseEngine(const std::string& name);

}  // namespace mxjit::cli
