#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) with clang in build/fuzz and runs each
# for SECONDS (default 60) on a scratch copy of its committed seed corpus
# (fuzz/corpus/<target>/). Fails if any target crashes; crash inputs are left
# in build/fuzz/artifacts/<target>/.
#   scripts/fuzz.sh [SECONDS]
set -euo pipefail

seconds=${1:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build/fuzz
targets=(fuzz_wire_header fuzz_frame_decoder fuzz_control fuzz_sender_codec)

CC=${CC:-clang} CXX=${CXX:-clang++} cmake -S "$root" -B "$build" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNETBENCH_FUZZ=ON \
  -DNETBENCH_ENABLE_TESTING=OFF -DNETBENCH_ENABLE_BENCHMARKS=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target "${targets[@]}"

status=0
for t in "${targets[@]}"; do
  work=$build/corpus/$t
  artifacts=$build/artifacts/$t
  rm -rf "$work"
  mkdir -p "$work" "$artifacts"
  cp "$root/fuzz/corpus/$t/"* "$work/"
  echo "fuzz: $t for ${seconds}s" >&2
  if ! "$build/fuzz/$t" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "$work" 2>"$build/$t.log"; then
    echo "fuzz: $t FAILED (log: $build/$t.log, inputs: $artifacts/)" >&2
    tail -n 40 "$build/$t.log" >&2
    status=1
  else
    grep -E "^#[0-9]+.*DONE|stat::number_of_executed_units" "$build/$t.log" >&2 || true
  fi
done
exit "$status"
