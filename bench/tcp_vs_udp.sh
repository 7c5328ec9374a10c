#!/bin/sh
# The textbook claims about TCP and UDP, measured on this machine: writes
# results/tcp_vs_udp.{md,json} and plots/tcp_vs_udp.png (~4 min, needs root
# for the namespaced hosts). Usage: bench/tcp_vs_udp.sh [BUILD/netbench] [--reps N]
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
NB=${1:-$HERE/../build/release/netbench}
[ $# -gt 0 ] && shift
exec /usr/bin/python3 "$HERE/tcp_vs_udp.py" --netbench "$NB" "$@"
