#!/usr/bin/env bash
# Configures (once) and builds mxjit into build/. Extra arguments are build targets (default: all).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${MXJIT_BUILD_DIR:-$root/build}"
[ -f "$build/build.ninja" ] || cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build "$build" -j "$(nproc)" "${targets[@]}"
