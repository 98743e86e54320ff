// The example programs of tests/ir/programs, read at test time (canonical text, one file per case).
#pragma once
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace mxjit::test {

struct Program {
  std::string name;  // file name, for failure messages
  std::string text;
};

inline std::vector<Program> irPrograms() {
  std::vector<Program> out;
  for (const auto& entry : std::filesystem::directory_iterator(MXJIT_IR_PROGRAMS)) {
    if (entry.path().extension() != ".mxir") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    out.push_back({entry.path().filename().string(), ss.str()});
  }
  std::sort(out.begin(), out.end(), [](const Program& a, const Program& b) { return a.name < b.name; });
  return out;
}

}  // namespace mxjit::test
