// The message of the mxjit::Error a callable throws: for asserting on substrings.
#pragma once
#include "mxjit/Error.h"

#include <gtest/gtest.h>

#include <string>

namespace mxjit::test {

/// The message, or "(no error)" when f returns normally.
template <class F> std::string errorOf(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

/// The message, also expecting the error to be of `kind`; a test failure (and "") when f throws nothing.
template <class F> std::string errorOf(F&& f, ErrorKind kind) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), kind) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no mxjit::Error thrown";
  return "";
}

}  // namespace mxjit::test
