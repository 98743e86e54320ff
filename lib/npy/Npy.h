// .npy read/write: how golden vectors from numpy/torchao come in and how results go out.
//
// Only what mxjit exchanges is supported: C-order arrays of
//   '<f4' <-> F32, '<i4' <-> I32, '<u2' <-> BF16 (bf16 travels as its uint16 bits),
//   '|u1' <-> U8 (also written for E4M3, E5M2 and E8M0: numpy has no fp8 dtype, so those come
//                 back as U8 and the caller reinterprets the bytes).
// Every problem is an Error(ErrorKind::Io, "<name>: <problem>") with one clear line.
#pragma once
#include "mxjit/Tensor.h"
#include "support/HostTensor.h"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace mxjit::npy {

/// Reads an .npy file (format versions 1.0, 2.0 and 3.0).
HostTensor readNpy(const std::string& path);

/// Parses .npy bytes held in memory; `name` stands for the source in messages. Safe on any input:
/// it never reads out of bounds and allocates only after the claimed size matches the bytes present.
HostTensor parseNpy(std::span<const uint8_t> bytes, std::string_view name);

/// Writes `t` as a version 1.0 .npy file (2.0 only if the header outgrows 64 KiB). The bytes go to a
/// temporary file in the same directory that is renamed over `path`, so a failure leaves no half file.
void writeNpy(const std::string& path, const TensorView& t);

/// The header writeNpy puts before the data (magic, version, length and the padded dict): its size is
/// a multiple of 64 bytes, as numpy does, so the data that follows is aligned.
std::string npyHeader(const TensorView& t);

}  // namespace mxjit::npy
