#!/usr/bin/env bash
# Fails if clang-format would change any C++ source of the project.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.h' '*.cpp.in' '*.hpp.in' | grep -v '\.in$')
if ((${#files[@]} == 0)); then
  echo "check_format: no sources" >&2
  exit 1
fi
clang-format --dry-run -Werror "${files[@]}"
echo "check_format: ${#files[@]} files formatted"
