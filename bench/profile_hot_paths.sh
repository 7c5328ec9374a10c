#!/usr/bin/env bash
# Profiles netbench's hot paths with perf software events (no hardware
# counters on the VMs): per case, perf stat (task-clock, context switches)
# and perf record -g on cpu-clock, then the user/kernel split, the top
# symbols and the top netbench (user-space) symbols. Loopback, every run
# bounded. Needs perf (Debian: linux-perf) and build/release/netbench.
#
#   bench/profile_hot_paths.sh [SECONDS] > results/profile_raw.txt
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${NETBENCH:-$ROOT/build/release/netbench}
T=${1:-3}
command -v perf >/dev/null || { echo "profile: perf missing (apt-get install linux-perf)" >&2; exit 1; }
[[ -x $BIN ]] || { echo "profile: no $BIN (cmake --preset release && cmake --build --preset release)" >&2; exit 1; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

CASES=(
  "tcp_stream_128KiB|--proto tcp --size 128KiB"
  "udp_stream_64B|--proto udp --size 64"
  "udp_stream_64B_batch_coalesce|--proto udp --size 64 --batch 32 --buffer 4MiB --coalesce 100us"
  "udp_stream_64B_stats_counts|--proto udp --size 64 --stats counts"
  "udp_echo_64B|--proto udp --mode echo --size 64"
  "tcp_echo_64B|--proto tcp --mode echo --size 64"
)
for c in "${CASES[@]}"; do
  name=${c%%|*}
  read -ra args <<<"${c#*|}"
  echo "=== $name: netbench ${args[*]} --duration ${T}s"
  timeout $((T + 30)) perf stat -e task-clock,context-switches,cpu-migrations,page-faults \
    -o "$WORK/stat" -- "$BIN" "${args[@]}" --duration "${T}s" -q --json >"$WORK/out.json" 2>/dev/null
  grep -E "task-clock|context-switches|seconds (user|sys)" "$WORK/stat" | sed 's/^ */  /'
  /usr/bin/python3 - "$WORK/out.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["run"]
rx, tx = r["receiver"], r["sender"]
per = lambda side: (side["cost"]["user_s"] + side["cost"]["sys_s"]) / max(1, side["messages"]) * 1e9
print("  receiver %.0f msg/s, sender CPU %.0f ns/msg (user %.2f s, sys %.2f s), receiver CPU %.0f ns/msg "
      "(user %.2f s, sys %.2f s), receiver wake-ups %d" % (rx["messages_per_s"], per(tx), tx["cost"]["user_s"],
      tx["cost"]["sys_s"], per(rx), rx["cost"]["user_s"], rx["cost"]["sys_s"], rx["cost"]["wakeups"]))
lat = (r.get("latency") or {}).get("from_actual_send")
if r["config"]["mode"] == "echo" and lat:
    print("  RTT p50 %.1f us, p99 %.1f us" % (lat["p50_ns"] / 1e3, lat["p99_ns"] / 1e3))
PY
  timeout $((T + 30)) perf record -q -F 1999 -e cpu-clock -g -o "$WORK/perf.data" -- \
    "$BIN" "${args[@]}" --duration "${T}s" -q >/dev/null 2>&1
  echo "  -- where the samples are (dso):"
  perf report -i "$WORK/perf.data" --no-children --sort dso --stdio 2>/dev/null |
    grep -E "^ +[0-9.]+%" | head -4
  echo "  -- top symbols (self):"
  perf report -i "$WORK/perf.data" --no-children --sort sym --stdio 2>/dev/null |
    grep -E "^ +[0-9.]+%" | head -12
  echo "  -- top netbench symbols (self):"
  perf report -i "$WORK/perf.data" --no-children --dsos netbench --sort sym --stdio 2>/dev/null |
    grep -E "^ +[0-9.]+%" | head -6
  echo
done
