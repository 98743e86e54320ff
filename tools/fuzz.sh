#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang-19 (ASan + UBSan + coverage) into build-fuzz/
# and runs each for SECONDS (default 600), one after the other.
#
#   tools/fuzz.sh [SECONDS] [TARGET...]      targets: fuzz_ir_parser fuzz_npy fuzz_ops (default: all)
#
# Each target starts from its seeds (tests/fuzz/corpus/<target>/) and the inputs earlier runs found
# (build-fuzz/corpus/<target>/, which grows from run to run). A crash, leak, timeout, out-of-memory or
# sanitizer report stops that target; the input is copied to tests/fuzz/regressions/<target>/, where
# the ctest fuzz.<target> replays it from then on (fix the bug, keep the file). Exit status 1 if any
# target found something. Runs under `nice` (set MXJIT_FUZZ_NICE=0 to not).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${1:-600}"
[ $# -gt 0 ] && shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_ir_parser fuzz_npy fuzz_ops)
build="${MXJIT_FUZZ_BUILD_DIR:-$root/build-fuzz}"
niceness="${MXJIT_FUZZ_NICE:-10}"

"$root/tools/install-deps.sh"
start=$SECONDS
[ -f "$build/build.ninja" ] ||
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-19 \
        -DMXJIT_FUZZ=ON -DMXJIT_SANITIZE=address -DMXJIT_BUILD_TESTS=OFF >/dev/null
build_targets=()
for t in "${targets[@]}"; do build_targets+=(--target "$t"); done
nice -n "$niceness" cmake --build "$build" -j "$(nproc)" "${build_targets[@]}"
echo "fuzz.sh: build $((SECONDS - start)) s"

# Per-target libFuzzer flags: fuzz_ops compiles a kernel on each new cache key (tens of ms), and its
# inputs need only a few dozen bytes.
declare -A extra=(
  [fuzz_ir_parser]="-dict=$root/tests/fuzz/ir_parser.dict -max_len=4096 -timeout=20"
  [fuzz_npy]="-max_len=4096 -timeout=20"
  [fuzz_ops]="-max_len=256 -timeout=60"
)
export ASAN_OPTIONS="detect_leaks=1:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
failed=()
for t in "${targets[@]}"; do
  work="$build/corpus/$t" artifacts="$build/artifacts/$t"
  mkdir -p "$work" "$artifacts"
  log="$build/$t.log"
  echo "fuzz.sh: $t for ${seconds} s (log: $log)"
  status=0
  # shellcheck disable=SC2086  # extra flags are word lists
  nice -n "$niceness" "$build/tests/fuzz/$t" -max_total_time="$seconds" -rss_limit_mb=4096 \
       -print_final_stats=1 -artifact_prefix="$artifacts/" ${extra[$t]} "$work" "$root/tests/fuzz/corpus/$t" \
       >"$log" 2>&1 || status=$?
  grep -E "^(stat::number_of_executed_units|stat::new_units_added|stat::peak_rss_mb)|^#[0-9]+ +DONE" "$log" | sed "s/^/  /" || true
  found=()
  for f in "$artifacts"/crash-* "$artifacts"/leak-* "$artifacts"/timeout-* "$artifacts"/oom-*; do
    [ -e "$f" ] || continue
    mkdir -p "$root/tests/fuzz/regressions/$t"
    cp "$f" "$root/tests/fuzz/regressions/$t/"
    rm "$f"
    found+=("tests/fuzz/regressions/$t/$(basename "$f")")
  done
  if [ "$status" -ne 0 ] || [ ${#found[@]} -gt 0 ]; then
    failed+=("$t")
    echo "fuzz.sh: $t FAILED (exit $status); kept: ${found[*]:-none}. The report:"
    grep -E -A40 "^==[0-9]+==ERROR|^fuzz: |runtime error:|Deadly signal|ERROR: libFuzzer" "$log" | head -80 | sed "s/^/  /" || true
  fi
done
echo "fuzz.sh: done in $((SECONDS - start)) s; ${#failed[@]} of ${#targets[@]} targets found problems ${failed[*]:-}"
[ ${#failed[@]} -eq 0 ]
