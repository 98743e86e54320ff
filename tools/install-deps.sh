#!/usr/bin/env bash
# Installs every Debian package mxjit needs to build and test. Idempotent: when everything is
# present it only asks dpkg and returns (well under a second).
set -euo pipefail

packages=(
  cmake ninja-build g++            # build
  llvm-19-dev clang-19             # the JIT (LLVM 19 ORC) and runtime helpers built to bitcode
  libfmt-dev                       # formatting
  libgtest-dev libgmock-dev        # tests
  python3-numpy                    # tools/golden_check.py drives the CLI in the test suite
  libdnnl-dev gnuplot-nox          # mxjit bench: the oneDNN bf16 peer; bench/plot.sh draws the roofline
  libclang-rt-19-dev libomp-19-dev # clang-19's libFuzzer and sanitizer runtimes, and its OpenMP
                                   # (tools/fuzz.sh builds with clang-19)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
