#!/usr/bin/env bash
# Installs netbench's build and test dependencies from Debian's archive when
# any is missing. Idempotent; needs root (or sudo) only when it installs.
set -euo pipefail

# Every package a build or a test needs. The tests call: python3 with
# jsonschema and matplotlib (tests/app, scripts/ci_sweep.sh), timeout
# (coreutils), and for the netns validation (tests/system/netns) ip, tc,
# bridge and ss (iproute2), iptables, sysctl (procps), taskset and unshare
# (util-linux); the fleet test (tests/system/netns/fleet_test.py)
# ansible-playbook (ansible-core: the playbooks use ansible.builtin modules only), sshd, ssh and ssh-keygen (openssh-server and
# its openssh-client), and systemd-analyze when the host has systemd.
# A test whose tool is missing skips (77), and CI=true fails on a skip.
packages=(
  build-essential cmake g++ pkg-config
  libcli11-dev nlohmann-json3-dev libbenchmark-dev libgtest-dev liburing-dev
  clang-format python3 python3-matplotlib python3-jsonschema
  iproute2 iptables procps util-linux coreutils
  clang libclang-rt-14-dev
  ansible-core openssh-server
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
# openssh-server's maintainer scripts would start and enable a system-wide
# sshd: the fleet test runs its own sshd processes inside namespaces and
# nothing here should listen on port 22. A policy-rc.d that forbids every
# start (exit 101) is in place for the install, unless one exists already.
policy=/usr/sbin/policy-rc.d
made_policy=0
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\n# netbench scripts/setup.sh: no service starts during this install\nexit 101\n' |
    "${sudo_cmd[@]}" tee "$policy" >/dev/null
  "${sudo_cmd[@]}" chmod 0755 "$policy"
  made_policy=1
fi
rc=0
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || rc=$?
if ((made_policy)); then
  "${sudo_cmd[@]}" rm -f "$policy"
fi
((rc == 0)) || exit "$rc"
# Where systemd runs, the package enabled ssh.service for the next boot:
# disable and stop it (a no-op without systemd, e.g. in a container).
if [[ " ${missing[*]} " == *" openssh-server "* ]] && command -v systemctl >/dev/null &&
  [[ -d /run/systemd/system ]]; then
  "${sudo_cmd[@]}" systemctl disable --now ssh.service ssh.socket >/dev/null 2>&1 || true
fi
