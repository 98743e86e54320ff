// The one exception type of mxjit: user mistakes name the argument, the value and the rule broken.
#pragma once
#include <stdexcept>
#include <string>
#include <string_view>

namespace mxjit {

enum class ErrorKind {
  InvalidArgument,  // a value breaks a documented rule (offs decreasing, K not divisible by block)
  ShapeMismatch,    // tensor shapes disagree
  DTypeMismatch,    // a tensor has the wrong element type
  Unsupported,      // a valid request mxjit does not implement (recipe, layout, target)
  Io,               // file missing, unreadable or malformed
  Parse,            // malformed text (flags, IR)
  Internal,         // a broken invariant inside mxjit: a bug, reported with file:line
};

std::string_view errorKindName(ErrorKind k);

class Error : public std::runtime_error {
public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

private:
  ErrorKind kind_;
};

/// Raise an internal error naming the source location; use through MXJIT_CHECK.
[[noreturn]] void internalError(const char* file, int line, std::string_view what);

}  // namespace mxjit

/// Invariant check for bugs inside mxjit (never for user input: that gets a named Error).
#define MXJIT_CHECK(cond)                                                                   \
  do {                                                                                     \
    if (!(cond)) ::mxjit::internalError(__FILE__, __LINE__, "check failed: " #cond);       \
  } while (0)
