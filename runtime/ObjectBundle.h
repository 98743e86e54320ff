// A kernel's objects (one per stage) as one byte string, the payload the disk cache stores: a count,
// each object's size, then the objects back to back, all little-endian.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mxjit::runtime {

std::string bundleObjects(const std::vector<std::string>& objects);
/// nullopt when `bundle` is not exactly one bundle (short, sizes past its end, trailing bytes).
std::optional<std::vector<std::string>> unbundleObjects(std::string_view bundle);

}  // namespace mxjit::runtime
