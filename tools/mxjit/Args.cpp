#include "Args.h"

#include "mxjit/Error.h"

#include <fmt/format.h>

#include <charconv>

namespace mxjit::cli {

Args::Args(std::span<char* const> argv, std::set<std::string> declared) {
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string flag = argv[i];
    if (flag.rfind("--", 0) != 0 || !declared.count(flag.substr(2))) {
      std::string known;
      for (const auto& d : declared) known += (known.empty() ? "--" : ", --") + d;
      throw Error(ErrorKind::Parse, fmt::format("unknown argument '{}' (expected one of {})", flag, known));
    }
    if (i + 1 >= argv.size()) throw Error(ErrorKind::Parse, fmt::format("{} needs a value", flag));
    if (!values_.emplace(flag.substr(2), argv[++i]).second)
      throw Error(ErrorKind::Parse, fmt::format("{} is given more than once", flag));
  }
}

std::string Args::required(const std::string& flag) const {
  auto it = values_.find(flag);
  if (it == values_.end()) throw Error(ErrorKind::Parse, fmt::format("missing required flag --{}", flag));
  return it->second;
}

std::optional<std::string> Args::optional(const std::string& flag) const {
  auto it = values_.find(flag);
  return it == values_.end() ? std::nullopt : std::optional(it->second);
}

std::string Args::valueOr(const std::string& flag, const std::string& fallback) const {
  return optional(flag).value_or(fallback);
}

int Args::intOr(const std::string& flag, int fallback) const {
  const auto text = optional(flag);
  if (!text) return fallback;
  int value = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size())
    throw Error(ErrorKind::Parse, fmt::format("--{} expects an integer, got '{}'", flag, *text));
  return value;
}

}  // namespace mxjit::cli
