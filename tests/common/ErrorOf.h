// The message of the mxjit::Error a callable throws, or "(no error)": for asserting on substrings.
#pragma once
#include "mxjit/Error.h"

#include <string>

namespace mxjit::test {

template <class F> std::string errorOf(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace mxjit::test
