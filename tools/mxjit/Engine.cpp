#include "Engine.h"

#include "mxjit/Error.h"

#include <fmt/format.h>

namespace mxjit::cli {

Engine parseEngine(const std::string& name) {
  if (name == "reference") return Engine::Reference;
  if (name == "jit") return Engine::Jit;
  throw Error(ErrorKind::Parse, fmt::format("unknown --engine '{}' (expected reference or jit)", name));
}

}  // namespace mxjit::cli
