// Reading and writing the CLI's .npy operands, with errors that name the flag and the file.
#pragma once
#include "support/HostTensor.h"

#include <initializer_list>
#include <string>

namespace mxjit::cli {

/// Reads the file given to --flag and checks its dtype is one of `allowed`.
HostTensor readOperand(const std::string& flag, const std::string& path, std::initializer_list<DType> allowed);

void writeOperand(const std::string& path, const TensorView& t);

}  // namespace mxjit::cli
