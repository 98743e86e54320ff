// Flag parsing for the mxjit CLI: `--name value` pairs only, every flag declared up front, so a typo
// or a missing value is one clear error rather than a silently ignored argument.
#pragma once
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>

namespace mxjit::cli {

class Args {
public:
  /// Parses argv[first..]; throws Error(Parse) on an undeclared flag, a missing value or a repeat.
  Args(std::span<char* const> argv, std::set<std::string> declared);

  std::string required(const std::string& flag) const;
  std::optional<std::string> optional(const std::string& flag) const;
  std::string valueOr(const std::string& flag, const std::string& fallback) const;
  bool has(const std::string& flag) const { return values_.count(flag) != 0; }
  /// An integer flag; throws Error(Parse) naming the flag if the text is not an integer.
  int intOr(const std::string& flag, int fallback) const;

private:
  std::map<std::string, std::string> values_;
};

}  // namespace mxjit::cli
