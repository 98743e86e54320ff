// What every fuzz target shares: the libFuzzer entry point (also called by Replay.cpp) and the one way a
// target reports a broken property. An mxjit::Error is the accepted answer to bad input, except an
// Internal one: that is a broken invariant, so a finding like a crash.
#pragma once
#include "mxjit/Error.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace mxjit::fuzz {

/// Prints the broken property and aborts, which libFuzzer records as a crash with the input.
[[noreturn]] inline void fail(std::string_view what) {
  std::fprintf(stderr, "fuzz: %.*s\n", static_cast<int>(what.size()), what.data());
  std::fflush(stderr);
  std::abort();
}

/// Runs `body`; true if it returned, false if it rejected the input with an mxjit::Error (not Internal).
template <class F> bool runOrReject(F&& body) {
  try {
    body();
    return true;
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::Internal) fail(std::string("internal error: ") + e.what());
    return false;
  }
}

}  // namespace mxjit::fuzz
