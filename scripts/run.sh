#!/usr/bin/env bash
# Sets up, builds (release) and runs netbench. With no arguments it runs the
# main job; any arguments are passed to netbench instead. The output is
# netbench's alone: setup and build go to build/run.log, which is printed
# only if they fail.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build
log=build/run.log
if ! { scripts/setup.sh &&
  cmake --preset release &&
  cmake --build --preset release --target netbench; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "run.sh: setup or build failed; the log above is in $log" >&2
  exit 1
fi
if (($# == 0)); then
  set -- --proto udp --model poll
fi
exec build/release/netbench "$@"
