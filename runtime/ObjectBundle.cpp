#include "ObjectBundle.h"

#include <cstdint>

namespace mxjit::runtime {
namespace {

void putU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

bool takeU64(std::string_view& in, uint64_t& v) {
  if (in.size() < 8) return false;
  v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t(static_cast<unsigned char>(in[i])) << (8 * i);
  in.remove_prefix(8);
  return true;
}

}  // namespace

std::string bundleObjects(const std::vector<std::string>& objects) {
  std::string out;
  putU64(out, objects.size());
  for (const std::string& object : objects) putU64(out, object.size());
  for (const std::string& object : objects) out += object;
  return out;
}

std::optional<std::vector<std::string>> unbundleObjects(std::string_view bundle) {
  uint64_t count = 0;
  if (!takeU64(bundle, count) || count > bundle.size() / 8) return std::nullopt;
  std::vector<uint64_t> sizes(count);
  for (uint64_t& size : sizes)
    if (!takeU64(bundle, size)) return std::nullopt;
  std::vector<std::string> objects;
  for (uint64_t size : sizes) {
    if (size > bundle.size()) return std::nullopt;
    objects.emplace_back(bundle.substr(0, size));
    bundle.remove_prefix(size);
  }
  if (!bundle.empty()) return std::nullopt;
  return objects;
}

}  // namespace mxjit::runtime
