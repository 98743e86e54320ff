// Umbrella header of the mxjit public API.
#pragma once
#include "mxjit/DType.h"
#include "mxjit/Error.h"
#include "mxjit/Recipe.h"
#include "mxjit/Tensor.h"
