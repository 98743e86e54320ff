// Umbrella header of the mxjit public API.
#pragma once
#include "mxjit/DType.h"
#include "mxjit/Error.h"
#include "mxjit/Ops.h"
#include "mxjit/PackedWeights.h"
#include "mxjit/Recipe.h"
#include "mxjit/Runtime.h"
#include "mxjit/Tensor.h"
