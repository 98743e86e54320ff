#include "ToolSupport.h"

#include "mxjit/Error.h"

#include <fmt/format.h>

#include <charconv>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace mxjit::tools {

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
