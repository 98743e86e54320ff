// A kernel's per-stage objects travel to and from the disk cache as one bundle: the round trip keeps
// every byte and order, and anything that is not exactly one bundle is refused (a disk-cache miss).
#include "ObjectBundle.h"

#include <gtest/gtest.h>

using namespace mxjit::runtime;

namespace {

TEST(ObjectBundle, RoundTripKeepsOrderAndBytes) {
  const std::vector<std::vector<std::string>> cases = {
      {}, {"only"}, {"first", "", std::string("\0\x01\xff binary", 10)}, {std::string(5000, 'x'), "y"}};
  for (const auto& objects : cases) {
    const auto back = unbundleObjects(bundleObjects(objects));
    ASSERT_TRUE(back.has_value()) << objects.size();
    EXPECT_EQ(*back, objects);
  }
}

TEST(ObjectBundle, RefusesEveryTruncationAndTrailingBytes) {
  const std::string bundle = bundleObjects({"pack_b object", "gemm object"});
  for (size_t n = 0; n < bundle.size(); ++n) EXPECT_FALSE(unbundleObjects(bundle.substr(0, n)).has_value()) << n;
  EXPECT_FALSE(unbundleObjects(bundle + "!").has_value());
}

TEST(ObjectBundle, RefusesSizesPastTheEnd) {
  std::string bundle = bundleObjects({"abc"});
  bundle[8] = '\x7f';  // the first object's size, now far past the bytes that follow
  EXPECT_FALSE(unbundleObjects(bundle).has_value());
  std::string count = bundleObjects({});
  count[7] = '\x10';  // a count of 2^60 objects
  EXPECT_FALSE(unbundleObjects(count).has_value());
}

}  // namespace
