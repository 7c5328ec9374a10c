#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite. Optional argument: the
# CMake preset (dev by default; asan or tsan for the sanitizer runs).
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-dev}
scripts/setup.sh
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
ctest --preset "$preset"
