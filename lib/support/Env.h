// The one table of MXJIT_* environment variables. Every read goes through envValue, which refuses names
// missing from the table, so the documentation (kEnvVars) cannot drift from the code.
#pragma once
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace mxjit {

struct EnvVar {
  std::string_view name, meaning;
};

std::span<const EnvVar> envVars();
/// The variable's value if set (and non-empty); Error(Internal) for a name not in the table.
std::optional<std::string> envValue(std::string_view name);

}  // namespace mxjit
