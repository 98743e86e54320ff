// IR text in: ir::parse either rejects it with an mxjit::Error or returns a verified module whose
// printed text parses again to the same text (print . parse is the identity on printed programs).
#include "FuzzTarget.h"
#include "ir/Parser.h"
#include "ir/Printer.h"

#include <string>

using namespace mxjit;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string once;
  if (!fuzz::runOrReject([&] { once = ir::print(ir::parse(text)); })) return 0;
  std::string twice;
  try {
    twice = ir::print(ir::parse(once, "<printed>"));
  } catch (const Error& e) {
    fuzz::fail("the printed module does not parse: " + std::string(e.what()) + "\n--- printed:\n" + once);
  }
  if (twice != once) fuzz::fail("print(parse(print(m))) differs from print(m)\n--- once:\n" + once + "--- twice:\n" + twice);
  return 0;
}
