#include "ObjectDiskCache.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

#ifndef MXJIT_LLVM_VERSION_MAJOR
#define MXJIT_LLVM_VERSION_MAJOR 0
#endif

namespace mxjit::runtime {
namespace {

constexpr char kMagic[8] = {'M', 'X', 'J', 'I', 'T', 'O', 'B', 'J'};
constexpr uint32_t kFormatVersion = 3;  // 2: the payload is an object bundle (ObjectBundle.h); 3: build fingerprint

struct Header {
  char magic[8];
  uint32_t formatVersion;
  uint32_t llvmMajor;
  KernelSpec spec;
  uint64_t build;
  uint64_t objectSize;
  uint64_t objectChecksum;
};

}  // namespace

ObjectDiskCache::ObjectDiskCache(std::string directory) : directory_(std::move(directory)) {
  std::error_code ec;
  std::filesystem::create_directories(directory_, ec);
}

std::string ObjectDiskCache::pathFor(const std::string& stem, const KernelSpec& spec) const {
  return fmt::format("{}/{}-{:016x}.mxo", directory_, stem, KernelSpecHash{}(spec));
}

std::optional<std::string> ObjectDiskCache::load(const std::string& stem, const KernelSpec& spec, uint64_t build) const {
  std::ifstream in(pathFor(stem, spec), std::ios::binary);
  if (!in) return std::nullopt;
  Header h;
  if (!in.read(reinterpret_cast<char*>(&h), sizeof h)) return std::nullopt;  // truncated header
  if (std::memcmp(h.magic, kMagic, sizeof kMagic) != 0 || h.formatVersion != kFormatVersion ||
      h.llvmMajor != MXJIT_LLVM_VERSION_MAJOR || !(h.spec == spec) || h.build != build || h.objectSize > (1ull << 30))
    return std::nullopt;  // foreign, older, another key's or another build's file
  std::string object(h.objectSize, '\0');
  if (!in.read(object.data(), static_cast<std::streamsize>(h.objectSize))) return std::nullopt;
  if (in.peek() != std::char_traits<char>::eof()) return std::nullopt;  // trailing bytes
  if (fnv1a(object.data(), object.size()) != h.objectChecksum) return std::nullopt;  // corrupt
  return object;
}

void ObjectDiskCache::store(const std::string& stem, const KernelSpec& spec, uint64_t build, const std::string& object) const {
  Header h;
  std::memset(&h, 0, sizeof h);
  std::memcpy(h.magic, kMagic, sizeof kMagic);
  h.formatVersion = kFormatVersion;
  h.llvmMajor = MXJIT_LLVM_VERSION_MAJOR;
  h.spec = spec;
  h.build = build;
  h.objectSize = object.size();
  h.objectChecksum = fnv1a(object.data(), object.size());
  const std::string path = pathFor(stem, spec);
  const std::string temp = fmt::format("{}.tmp{}", path, ::getpid());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) return;
    out.write(reinterpret_cast<const char*>(&h), sizeof h);
    out.write(object.data(), static_cast<std::streamsize>(object.size()));
    if (!out.flush()) {
      std::error_code ec;
      std::filesystem::remove(temp, ec);
      return;
    }
  }
  std::error_code ec;
  std::filesystem::rename(temp, path, ec);
  if (ec) std::filesystem::remove(temp, ec);
}

}  // namespace mxjit::runtime
