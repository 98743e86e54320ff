#include "ToolSupport.h"

#include "mxjit/Error.h"

#include <fmt/format.h>

#include <charconv>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <sstream>

namespace mxjit::tools {

int runTool(const char* name, const char* usage, int argc, char** argv, int (*run)(int, char**)) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    std::fputs(usage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  try {
    return run(argc, argv);
  } catch (const Error& e) {
    fmt::print(stderr, "{}: error: {}\n", name, e.what());
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}: internal error: {}\n", name, e.what());
  }
  return 1;
}

std::optional<std::string_view> FlagReader::value(std::string_view flag) {
  const std::string_view a = arg();
  if (a.size() > flag.size() && a.substr(0, flag.size()) == flag && a[flag.size()] == '=')
    return a.substr(flag.size() + 1);
  if (a != flag) return std::nullopt;
  if (i_ + 1 >= argc_) throw Error(ErrorKind::Parse, fmt::format("{} needs a value", flag));
  return std::string_view(argv_[++i_]);
}

void FlagReader::takeInput(std::string& input) const {
  const std::string_view a = arg();
  if (a.starts_with("-")) throw Error(ErrorKind::Parse, fmt::format("unknown flag '{}' (see --help)", a));
  if (!input.empty()) throw Error(ErrorKind::Parse, fmt::format("more than one input file ('{}', '{}')", input, a));
  input = std::string(a);
}

std::vector<std::string_view> splitCommas(std::string_view s) {
  std::vector<std::string_view> parts;
  if (s.empty()) return parts;
  for (size_t start = 0;;) {
    const size_t comma = s.find(',', start);
    parts.push_back(s.substr(start, comma - start));
    if (comma == std::string_view::npos) return parts;
    start = comma + 1;
  }
}

void addBindings(std::string_view list, mxjit::passes::PassOptions& o) {
  for (std::string_view item : splitCommas(list)) {
    const size_t eq = item.find('=');
    int64_t size = 0;
    const char* end = item.data() + item.size();
    if (eq == 0 || eq == std::string_view::npos ||
        std::from_chars(item.data() + eq + 1, end, size) != std::from_chars_result{end, std::errc()})
      throw Error(ErrorKind::Parse, fmt::format("--bind: expected NAME=SIZE, got '{}'", item));
    o.dimBindings[std::string(item.substr(0, eq))] = size;
  }
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::Io, fmt::format("cannot read '{}'", path));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void writeOutput(const std::string& path, const std::string& text) {
  if (path.empty()) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return;
  }
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw Error(ErrorKind::Io, fmt::format("cannot write '{}'", path));
}

}  // namespace mxjit::tools
