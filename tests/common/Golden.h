// Where the torchao golden vectors live, and a skip when a checkout has none beside it.
#pragma once
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace mxjit::test {

inline std::string goldenDir() {
  if (const char* env = std::getenv("MXJIT_GOLDEN_DIR")) return env;
  return MXJIT_GOLDEN_DIR;
}

inline std::string goldenCase(const std::string& name) { return goldenDir() + "/" + name; }

}  // namespace mxjit::test

/// Skips (visibly) when the golden set is absent: a clone without ../shared cannot check against torchao.
#define MXJIT_REQUIRE_GOLDEN()                                                                  \
  do {                                                                                          \
    if (!std::filesystem::exists(::mxjit::test::goldenDir() + "/manifest.json"))             \
      GTEST_SKIP() << "no golden vectors at " << ::mxjit::test::goldenDir();                 \
  } while (0)
