// Random edits of the example programs: parse either succeeds or throws mxjit::Error, never crashes or
// hangs; whatever parses prints to text that parses back to the same text.
#include "ir/Parser.h"
#include "ir/Printer.h"

#include "Programs.h"
#include "mxjit/Error.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <random>

using namespace mxjit;
using namespace mxjit::ir;

namespace {

// Bytes that matter to the grammar are drawn more often than arbitrary ones.
constexpr std::string_view kInteresting = "%@=,:()[]{}<>-/ \n\t0123456789abekmnx._";

std::string mutate(std::string text, std::mt19937& rng) {
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  auto randomByte = [&]() -> char {
    return pick(4) == 0 ? static_cast<char>(pick(256)) : kInteresting[pick(kInteresting.size())];
  };
  const size_t edits = pick(2) == 0 ? 1 : 2 + pick(3);
  for (size_t e = 0; e < edits && !text.empty(); ++e) {
    const size_t at = pick(text.size());
    switch (pick(6)) {
    case 0: text[at] = randomByte(); break;
    case 1: text.erase(at, 1 + pick(8)); break;
    case 2: text.insert(at, 1, randomByte()); break;
    case 3: text.resize(at); break;
    case 4: text.insert(at, text.substr(pick(text.size()), 1 + pick(40))); break;  // duplicate a slice
    default: {
      // Swap the next digit run for another number: shapes, blocks and axes reach every rule.
      static constexpr const char* kNumbers[] = {"0",  "1",  "2",    "3",    "-1",   "31",   "32",
                                                 "48", "64", "1000", "1024", "2048", "4096", "9223372036854775807"};
      const size_t begin = text.find_first_of("0123456789", at);
      if (begin == std::string::npos) break;
      const size_t end = std::min(text.find_first_not_of("0123456789", begin), text.size());
      text.replace(begin, end - begin, kNumbers[pick(std::size(kNumbers))]);
    }
    }
  }
  return text;
}

TEST(Robustness, RandomEditsParseOrThrowMxjitError) {
  const auto programs = test::irPrograms();
  ASSERT_FALSE(programs.empty());
  std::mt19937 rng(20240611);
  int parsed = 0, rejected = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::string text = mutate(programs[static_cast<size_t>(i) % programs.size()].text, rng);
    try {
      const std::string once = print(parse(text));
      ++parsed;
      ASSERT_EQ(print(parse(once)), once) << "input:\n" << text;
    } catch (const Error& e) {
      ++rejected;
      ASSERT_EQ(e.kind(), ErrorKind::Parse) << e.what() << "\ninput:\n" << text;
    } catch (const std::exception& e) {
      FAIL() << "not an mxjit::Error: " << e.what() << "\ninput:\n" << text;
    }
  }
  // Both outcomes must be exercised, or the mutations are too gentle or too harsh to test anything.
  EXPECT_GT(parsed, 200);
  EXPECT_GT(rejected, 5000);  // roughly 3% of the edits still parse
  std::printf("robustness: %d parsed, %d rejected\n", parsed, rejected);
}

TEST(Robustness, HostileShapesOfInput) {
  const std::string deep(100000, '[');
  const std::string manyArgs = [] {
    std::string s = "func @f(";
    for (int i = 0; i < 5000; ++i) s += "%a" + std::to_string(i) + ": f32[1],";
    return s;
  }();
  for (const std::string& text :
       {deep, manyArgs, std::string("func"), std::string("func @f("), std::string(1, '\0'),
        std::string("func @f(%x: f32[9223372036854775807]) -> f32[9223372036854775807] {\n  return %x\n}\n")}) {
    try {
      parse(text);
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Parse);
    }
  }
}

}  // namespace
