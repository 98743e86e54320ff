// Optional on-disk cache of compiled objects in a directory the user names. Each file carries a header
// (magic, format and LLVM versions, the full key, the target features' hash, the build: a hash of the
// plan and the helpers the objects came from, the object's size and checksum) and is loaded only when
// all of it matches; anything else is reported as a miss and recompiled. Files are written to a temporary name and renamed, so readers never see half a file.
#pragma once
#include "KernelSpec.h"

#include <optional>
#include <string>

namespace mxjit::runtime {

class ObjectDiskCache {
public:
  explicit ObjectDiskCache(std::string directory);

  /// The object for `spec` built as `build` says, or nullopt (no file, or a file that is truncated,
  /// corrupt, foreign or of another build).
  std::optional<std::string> load(const std::string& stem, const KernelSpec& spec, uint64_t build) const;
  /// Best effort: a cache that cannot be written never fails a compile.
  void store(const std::string& stem, const KernelSpec& spec, uint64_t build, const std::string& object) const;
  std::string pathFor(const std::string& stem, const KernelSpec& spec) const;

private:
  std::string directory_;
};

}  // namespace mxjit::runtime
