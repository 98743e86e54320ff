#!/usr/bin/env bash
# Builds mxjit under sanitizers in a build directory of its own and runs the tests there.
#
#   tools/sanitize.sh address [CTEST_ARGS...]   ASan + UBSan in build-asan/: the whole suite, leaks checked
#   tools/sanitize.sh thread  [CTEST_ARGS...]   TSan in build-tsan/: the concurrency tests
#
# CTEST_ARGS replace the default test selection (e.g. `-R Npy`). MXJIT_SANITIZE_TARGETS
# (space separated) builds only those targets instead of everything. Any sanitizer report ends the
# process that made it with an error, so the test fails and ctest prints the report.
#
# What is not instrumented: LLVM, libstdc++, libgomp, and the kernels the JIT generates (with the
# bitcode helpers linked into them). Kernel writes past a buffer are caught by the fuzz targets' guards.
#
# TSan and OpenMP: libgomp is not built with TSan, so TSan cannot see the futex-based barriers that
# order the work of a parallel region and reports races between the threads of every region (false
# positives). The thread run therefore sets OMP_NUM_THREADS=1: each op call runs its region on the
# calling thread, and TSan checks what the concurrency tests are about, the kernel cache, the JIT and
# the runtime under many concurrent callers. The OpenMP work split itself is covered by the ordinary
# suite (results equal the reference bit for bit at any thread count).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
kind="${1:-}"
[ $# -gt 0 ] && shift
case "$kind" in
  address) build="${MXJIT_BUILD_DIR:-$root/build-asan}" ;;
  thread) build="${MXJIT_BUILD_DIR:-$root/build-tsan}" ;;
  *) echo "usage: tools/sanitize.sh address|thread [ctest args...]" >&2; exit 2 ;;
esac

"$root/tools/install-deps.sh"
start=$SECONDS
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMXJIT_SANITIZE="$kind" >/dev/null
targets=()
for t in ${MXJIT_SANITIZE_TARGETS:-}; do targets+=(--target "$t"); done
cmake --build "$build" -j "$(nproc)" "${targets[@]}"
built=$SECONDS

cd "$build"
if [ "$kind" = address ]; then
  # Gtest discovery runs the test binaries too: they must be clean from the first run.
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  # Resident-memory measurements mean nothing under ASan (shadow memory, the freed-memory quarantine).
  [ $# -gt 0 ] || set -- -E "MemoryStaysFlat"
else
  export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"
  export OMP_NUM_THREADS=1
  [ $# -gt 0 ] || set -- -R "KernelCache|Concurrency"
fi
status=0
ctest --output-on-failure -j "$(nproc)" "$@" || status=$?
echo "sanitize.sh $kind: build $((built - start)) s, tests $((SECONDS - built)) s, ctest exit $status"
exit $status
