#!/usr/bin/env bash
# Installs netbench's build and test dependencies from Debian's archive when
# any is missing. Idempotent; needs root (or sudo) only when it installs.
set -euo pipefail

packages=(
  build-essential cmake g++ pkg-config
  libcli11-dev nlohmann-json3-dev libbenchmark-dev libgtest-dev
  clang-format python3-matplotlib python3-jsonschema iproute2
  clang libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "setup: installing ${missing[*]}" >&2
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
