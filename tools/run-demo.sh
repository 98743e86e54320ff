#!/usr/bin/env bash
# The main job from a fresh machine: install what is missing, build the CLI, run `mxjit demo`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/tools/install-deps.sh"
"$root/tools/build.sh" mxjit
exec "${MXJIT_BUILD_DIR:-$root/build}/tools/mxjit/mxjit" demo "$@"
