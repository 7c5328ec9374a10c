#!/usr/bin/env bash
# netbench against iperf3, iperf2, nuttcp, qperf and sockperf on loopback.
# This wrapper builds netbench (release preset) if it is missing and, as root,
# installs the missing peers with apt-get (for measurement only: nothing else
# in the project needs them); bench/compare_peers.py runs the measurements,
# writes results/peers.json and results/peers.md and draws plots/peers_ratio.
#
#   bench/compare_peers.sh                 # 5 repetitions x 3 s (about 13 min)
#   bench/compare_peers.sh --quick         # 1 x 1 s: does everything run? (about 1 min)
#   bench/compare_peers.sh --help
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=/usr/bin/python3 # Debian's python; the python3 first on PATH may be a pyenv shim

binary="" want_help=0
for ((i = 1; i <= $#; i++)); do
  case ${!i} in
    -h | --help) want_help=1 ;;
    -b | --binary) j=$((i + 1)); binary=${!j:-} ;;
    --binary=*) binary=${!i#--binary=} ;;
  esac
done
if ((!want_help)) && [[ -z $binary ]] && [[ ! -x $ROOT/build/release/netbench ]]; then
  echo "compare_peers: building netbench (release preset)" >&2
  (cd "$ROOT" && timeout 1800 cmake --preset release &&
    timeout 1800 cmake --build --preset release --target netbench) >&2 ||
    { echo "compare_peers: netbench build failed" >&2; exit 1; }
fi

if ((!want_help)); then
  missing=()
  for pkg in iperf3:iperf3 iperf:iperf nuttcp:nuttcp qperf:qperf sockperf:sockperf; do
    command -v "${pkg%%:*}" >/dev/null || missing+=("${pkg#*:}")
  done
  if ((${#missing[@]})); then
    if ((EUID == 0)); then
      DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y "${missing[@]}" >&2 ||
        echo "compare_peers: installing ${missing[*]} failed; their rows record failures" >&2
    else
      echo "compare_peers: ${missing[*]} missing and not root; their rows record failures" >&2
    fi
  fi
fi

exec "$PY" "$ROOT/bench/compare_peers.py" "$@"
