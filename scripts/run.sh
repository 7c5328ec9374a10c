#!/usr/bin/env bash
# Sets up, builds (release) and runs netbench. With no arguments it runs the
# main job; any arguments are passed to netbench instead.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release --target netbench >/dev/null
if (($# == 0)); then
  set -- --proto udp --model poll
fi
exec build/release/netbench "$@"
