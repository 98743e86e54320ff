#!/usr/bin/env bash
# The whole test suite from a fresh machine: install what is missing, build everything, run ctest.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/tools/install-deps.sh"
"$root/tools/build.sh"
cd "${MXJIT_BUILD_DIR:-$root/build}"
exec ctest --output-on-failure -j "$(nproc)"
