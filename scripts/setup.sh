#!/usr/bin/env bash
# Installs netbench's build and test dependencies from Debian's archive when
# any is missing. Idempotent; needs root (or sudo) only when it installs.
set -euo pipefail

# Every package a build or a test needs. The tests call: python3 with
# jsonschema and matplotlib (tests/app, scripts/ci_sweep.sh), timeout
# (coreutils), and for the netns validation (tests/system/netns) ip, tc,
# bridge and ss (iproute2), iptables, sysctl (procps), taskset (util-linux).
# A test whose tool is missing skips (77), and CI=true fails on a skip.
packages=(
  build-essential cmake g++ pkg-config
  libcli11-dev nlohmann-json3-dev libbenchmark-dev libgtest-dev liburing-dev
  clang-format python3 python3-matplotlib python3-jsonschema
  iproute2 iptables procps util-linux coreutils
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
