// .npy bytes in: npy::parseNpy either rejects them with an mxjit::Error or returns a tensor holding
// exactly numel * element size bytes, which npyHeader + those bytes parse back to unchanged.
#include "FuzzTarget.h"
#include "npy/Npy.h"

#include <cstring>
#include <string>
#include <vector>

using namespace mxjit;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  HostTensor t;
  if (!fuzz::runOrReject([&] { t = npy::parseNpy({data, size}, "fuzz.npy"); })) return 0;
  for (int64_t d : t.shape())
    if (d < 0) fuzz::fail("a parsed dimension is negative");
  if (t.nbytes() != t.numel() * dtypeSize(t.dtype())) fuzz::fail("the tensor's bytes disagree with its shape and dtype");

  std::string again = npy::npyHeader(t.view());
  if (again.size() % 64 != 0) fuzz::fail("npyHeader is not padded to 64 bytes");
  again.append(reinterpret_cast<const char*>(t.bytes()), static_cast<size_t>(t.nbytes()));
  HostTensor back;
  try {
    back = npy::parseNpy({reinterpret_cast<const uint8_t*>(again.data()), again.size()}, "rewritten.npy");
  } catch (const Error& e) {
    fuzz::fail("npyHeader + data does not parse: " + std::string(e.what()));
  }
  if (back.dtype() != t.dtype() || back.shape() != t.shape() || back.nbytes() != t.nbytes() ||
      (t.nbytes() > 0 && std::memcmp(back.bytes(), t.bytes(), static_cast<size_t>(t.nbytes())) != 0))
    fuzz::fail("npyHeader + data parses to another tensor");
  return 0;
}
