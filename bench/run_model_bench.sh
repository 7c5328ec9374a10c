#!/usr/bin/env bash
# Runs bench_models (server I/O models under load, Google Benchmark) from a
# Release build and writes its JSON to results/bench_models.json; the console
# table goes to stdout. About a minute on the 2-vCPU VM. Draw it with
#   plots/plot.py results/bench_models.json -o plots/
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT="$ROOT/results/bench_models.json"
BIN=""

usage() {
  cat <<EOF
Usage: bench/run_model_bench.sh [-b BENCH_MODELS] [-o FILE] [-- BENCHMARK_ARGS...]
  -b PATH   bench_models binary (default build/release/bench/bench_models,
            built with the release preset if missing)
  -o FILE   JSON results (default results/bench_models.json), written only
            if the run succeeds
Arguments after -- go to the benchmark, e.g. -- --benchmark_filter=BM_Echo/udp
EOF
}
while getopts "b:o:h" opt; do
  case $opt in
    b) BIN=$OPTARG ;; o) OUT=$OPTARG ;; h) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))

if [[ -z $BIN ]]; then
  BIN="$ROOT/build/release/bench/bench_models"
  if [[ ! -x $BIN ]]; then
    echo "run_model_bench: building bench_models (release preset)" >&2
    (cd "$ROOT" && timeout 1800 cmake --preset release >&2 &&
      timeout 1800 cmake --build --preset release --target bench_models >&2) ||
      { echo "run_model_bench: build failed" >&2; exit 1; }
  fi
fi
[[ -x $BIN ]] || { echo "run_model_bench: no bench_models binary at $BIN" >&2; exit 1; }

mkdir -p "$(dirname "$OUT")"
# The benchmark writes FILE.tmp; a failed or interrupted run leaves FILE as it was.
timeout 900 "$BIN" --benchmark_out="$OUT.tmp" --benchmark_out_format=json "$@" ||
  { rc=$?; rm -f "$OUT.tmp"; echo "run_model_bench: bench_models failed (exit $rc)" >&2; exit 1; }
mv "$OUT.tmp" "$OUT"
echo "run_model_bench: wrote $OUT" >&2
