#!/usr/bin/env bash
# The whole test suite from a fresh machine: install what is missing, build everything, run ctest;
# then the fast tests again under ASan + UBSan in a build of their own (tools/sanitize.sh).
#
# MXJIT_CI_SANITIZE=0 skips the sanitizer stage (e.g. for a quick local run).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/tools/install-deps.sh"
"$root/tools/build.sh"
(cd "${MXJIT_BUILD_DIR:-$root/build}" && ctest --output-on-failure -j "$(nproc)")
[ "${MXJIT_CI_SANITIZE:-1}" = 0 ] && exit 0
# Fast tests: all but the JIT sweep and the quality gates (hundreds of kernels on code paths the other
# tests cover) and the resident-memory test (meaningless under ASan).
exec "$root/tools/sanitize.sh" address -E "Sweep/|QualityGate|MemoryStaysFlat"
