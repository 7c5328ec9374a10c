#!/usr/bin/env bash
# Compare netbench with the peer tools users already trust (iperf3, sockperf)
# on loopback. Rows are interleaved: each repetition runs every row's peer and
# then netbench back to back, so drifting machine load hits both alike; the
# table reports medians over the repetitions and the JSON keeps every sample.
set -uo pipefail # no -e: a failed measurement is recorded, never fatal

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=/usr/bin/python3 # Debian's python; the python3 first on PATH may be a pyenv shim
HOST=127.0.0.1
BASE_PORT=15201
R=5 T=3 MODEL=epoll BIN="" OUT="$ROOT/results/peers.json"

usage() {
  cat <<EOF
Usage: bench/compare_peers.sh [-r N] [-t SECONDS] [-m MODEL] [-b NETBENCH] [-o FILE]
  -r N        repetitions (default 5)
  -t SECONDS  duration of every measurement, whole seconds (default 3)
  -m MODEL    netbench receiver model: thread, select, poll, epoll (default epoll)
  -b PATH     netbench binary (default build/release/netbench, built if missing)
  -o FILE     JSON results (default results/peers.json); the markdown table
              goes next to it with a .md extension
NETBENCH_ARGS in the environment is appended to every netbench command.
Exits non-zero only if netbench itself fails; peer failures are recorded.
EOF
}
while getopts "r:t:m:b:o:h" opt; do
  case $opt in
    r) R=$OPTARG ;; t) T=$OPTARG ;; m) MODEL=$OPTARG ;;
    b) BIN=$OPTARG ;; o) OUT=$OPTARG ;; h) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
# iperf3 -t only takes whole seconds, so T does too.
[[ $R =~ ^[1-9][0-9]*$ && $T =~ ^[1-9][0-9]*$ ]] ||
  { echo "compare_peers: -r and -t take positive integers" >&2; exit 2; }
read -ra EXTRA <<<"${NETBENCH_ARGS:-}"
MD="${OUT%.json}.md"
# Generous bounds: NETBENCH_ARGS may add a warm-up; servers outlive their client.
CLIENT_TIMEOUT=$((2 * T + 30))
SERVER_TIMEOUT=$((CLIENT_TIMEOUT + 15))

if [[ -z $BIN ]]; then
  BIN="$ROOT/build/release/netbench"
  if [[ ! -x $BIN ]]; then
    echo "compare_peers: building netbench" >&2
    (cd "$ROOT" && timeout 1800 cmake --preset release &&
      timeout 1800 cmake --build --preset release --target netbench) >&2 ||
      { echo "compare_peers: netbench build failed" >&2; exit 1; }
  fi
fi
[[ -x $BIN ]] || { echo "compare_peers: no netbench binary at $BIN" >&2; exit 1; }

missing=()
for tool in iperf3 sockperf; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if ((${#missing[@]})); then
  if ((EUID == 0)); then
    DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y "${missing[@]}" >&2 ||
      echo "compare_peers: installing ${missing[*]} failed; their rows record failures" >&2
  else
    echo "compare_peers: ${missing[*]} missing and not root; skipping those peers" >&2
  fi
fi

# Fixed ports for the peer servers, checked free for TCP and UDP now so that a
# stray listener cannot answer in place of our server: PORT for iperf3, PORT+1
# for sockperf, which binds without SO_REUSEADDR and so would trip over the
# TIME_WAIT sockets that iperf3 leaves on its port.
PORT=$("$PY" - "$HOST" "$BASE_PORT" <<'EOF'
import socket, sys
host, base = sys.argv[1], int(sys.argv[2])
for port in range(base, base + 200, 2):
    try:
        for p in (port, port + 1):
            for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
                with socket.socket(socket.AF_INET, kind) as s:
                    s.bind((host, p))
    except OSError:
        continue
    print(port)
    sys.exit(0)
sys.exit(1)
EOF
) || { echo "compare_peers: no free port pair from $BASE_PORT" >&2; exit 1; }
SP_PORT=$((PORT + 1))

WORK=$(mktemp -d)
SERVER_PID=""
cleanup() {
  [[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# Parsing and the report live in Python: `record` parses one run's output into
# samples.jsonl (a parse failure is a failed sample), `report` writes the files.
cat >"$WORK/helper.py" <<'EOF'
import datetime, json, os, platform, re, statistics, sys

METRICS = {  # key: (label, unit, which way is better)
    "goodput_gbps": ("goodput", "Gbit/s", "higher"),
    "msgs_per_s": ("received", "msgs/s", "higher"),
    "rtt_p50_us": ("RTT p50", "µs", "lower"),
    "rtt_p99_us": ("RTT p99", "µs", "lower"),
}
KIND_METRICS = {"tcp_stream": ["goodput_gbps"], "udp_stream": ["msgs_per_s", "goodput_gbps"],
                "echo": ["rtt_p50_us", "rtt_p99_us"]}

def load(out):
    try:
        return json.loads(out)
    except ValueError:
        raise RuntimeError("no JSON output") from None

def netbench(kind, out):
    doc = load(out)
    run = doc.get("run")
    if doc.get("error") or not run:
        raise RuntimeError(doc.get("error") or "no run in document")
    if not run.get("complete"):
        raise RuntimeError("run incomplete: " + run.get("error", ""))
    if kind == "echo":
        lat = run["latency"]["from_actual_send"]
        if not lat["count"]:
            raise RuntimeError("no RTT samples")
        return {"rtt_p50_us": lat["p50_ns"] / 1e3, "rtt_p99_us": lat["p99_ns"] / 1e3}
    rx = run["receiver"]
    m = {"goodput_gbps": rx["throughput_bps"] / 1e9}
    if kind == "udp_stream":
        m["msgs_per_s"] = rx["messages_per_s"]
    return m

def iperf3(kind, out):
    doc = load(out)
    if doc.get("error"):
        raise RuntimeError(doc["error"])
    end = doc["end"]
    m = {"goodput_gbps": end["sum_received"]["bits_per_second"] / 1e9}
    if kind == "udp_stream":
        # Delivered = sent minus the server's loss count (iperf3 3.12's
        # sum_received.packets is not a receive count).
        s = end["sum"]
        m["msgs_per_s"] = (s["packets"] - s["lost_packets"]) / s["seconds"]
    return m

def sockperf(kind, out):
    p = dict(re.findall(r"percentile (50|99)\.000 =\s*([0-9.]+)", out))
    if set(p) != {"50", "99"}:
        raise RuntimeError("no percentiles in output")
    # sockperf reports half the round trip.
    return {"rtt_p50_us": 2 * float(p["50"]), "rtt_p99_us": 2 * float(p["99"])}

def record(path, row, kind, tool, rep, rc, outf, errf, cmd, server):
    out, err, rc = open(outf, errors="replace").read(), open(errf, errors="replace").read(), int(rc)
    s = {"row": row, "kind": kind, "tool": tool, "rep": int(rep.split("/")[0]), "command": cmd,
         "server_command": server or None, "exit_status": rc, "ok": False}
    problems = []
    if rc in (125, 127):  # set by sample(): server did not start, tool missing
        problems.append(err)
    else:
        if rc:
            problems.append("exit status %d%s" % (rc, " (timed out)" if rc == 124 else ""))
        try:
            s["metrics"] = {"netbench": netbench, "iperf3": iperf3, "sockperf": sockperf}[tool](kind, out)
        except KeyError as e:
            problems.append("no %s in output" % e)
        except Exception as e:  # whatever else the output lacks, the sample failed
            problems.append(str(e) or type(e).__name__)
        if problems:
            problems += err.strip().splitlines()[-3:]
    if problems:
        s.pop("metrics", None)
        s["error"] = " ".join(re.sub(r"\x1b\[[0-9;]*m", "", "; ".join(problems)).split())[:400]
        shown = "FAILED: " + s["error"]
    else:
        s["ok"] = True
        shown = " ".join("%s=%.4g" % kv for kv in sorted(s["metrics"].items()))
    with open(path, "a") as f:
        f.write(json.dumps(s) + "\n")
    print("[%s] %-18s %-8s %s" % (rep, row, tool, shown), file=sys.stderr)

def fmt(metric, v):
    return "—" if v is None else "{:,.0f}".format(v) if metric == "msgs_per_s" else "%.4g" % v

def report(path, out_json, out_md):
    samples = [json.loads(l) for l in open(path)] if os.path.exists(path) else []
    env = os.environ
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "")
    rows, order = {}, []
    for s in samples:
        if s["row"] not in rows:
            order.append(s["row"])
            rows[s["row"]] = {"row": s["row"], "kind": s["kind"], "peer": None,
                              "peer_command": None, "peer_server_command": None, "netbench_command": None}
        r = rows[s["row"]]
        if s["tool"] == "netbench":
            r["netbench_command"] = r["netbench_command"] or s["command"]
        else:
            r["peer"] = s["tool"]
            r["peer_command"] = r["peer_command"] or s["command"]
            r["peer_server_command"] = r["peer_server_command"] or s["server_command"]
    lines = ["| row | metric | peer | peer median | netbench median | netbench/peer | ok runs (peer, netbench) |",
             "| --- | --- | --- | ---: | ---: | ---: | --- |"]
    for name in order:
        r = rows[name]
        r["metrics"] = []
        n = lambda tool: "%d/%d" % (sum(s["ok"] for s in samples if s["row"] == name and s["tool"] == tool),
                                    sum(s["row"] == name and s["tool"] == tool for s in samples))
        for m in KIND_METRICS[r["kind"]]:
            label, unit, better = METRICS[m]
            vals = {side: [s["metrics"][m] for s in samples if s["row"] == name and s["ok"]
                           and (s["tool"] == "netbench") == (side == "netbench")]
                    for side in ("peer", "netbench")}
            med = {k: statistics.median(v) if v else None for k, v in vals.items()}
            ratio = med["netbench"] / med["peer"] if med["peer"] and med["netbench"] is not None else None
            r["metrics"].append({"metric": m, "unit": unit, "better": better, "peer_median": med["peer"],
                                 "netbench_median": med["netbench"], "ratio_netbench_over_peer": ratio,
                                 "peer_samples": vals["peer"], "netbench_samples": vals["netbench"]})
            lines.append("| %s | %s %s | %s | %s | %s | %s | %s, %s |" % (
                name, label, unit, r["peer"], fmt(m, med["peer"]), fmt(m, med["netbench"]),
                "—" if ratio is None else "%.2f (%s is better)" % (ratio, better), n(r["peer"]), n("netbench")))
    failures = [s for s in samples if not s["ok"]]
    doc = {"schema": "netbench-peers/1",
           "machine": {"nproc": len(os.sched_getaffinity(0)), "kernel": platform.release(), "cpu_model": cpu,
                       "hostname": platform.node(),
                       "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")},
           "settings": {"repetitions": int(env["CP_REPS"]), "duration_s": int(env["CP_SECONDS"]),
                        "model": env["CP_MODEL"], "netbench_args": env["CP_NETBENCH_ARGS"],
                        "host": "127.0.0.1", "iperf3_port": int(env["CP_PORT"]),
                        "sockperf_port": int(env["CP_PORT"]) + 1,
                        "order": "interleaved: per repetition, each row's peer then netbench"},
           "tools": {"netbench": env["CP_V_NETBENCH"], "iperf3": env["CP_V_IPERF3"], "sockperf": env["CP_V_SOCKPERF"]},
           "rows": [rows[n] for n in order], "samples": samples, "failures": len(failures)}
    m = doc["machine"]
    head = ["# netbench vs peers (loopback, medians of %s x %ss, model %s)" % (env["CP_REPS"], env["CP_SECONDS"], env["CP_MODEL"]),
            "", "%s; %d CPUs; kernel %s; %s" % (m["cpu_model"], m["nproc"], m["kernel"], m["date"]),
            "%s; %s; %s" % (env["CP_V_NETBENCH"], env["CP_V_IPERF3"], env["CP_V_SOCKPERF"]), ""]
    tail = [""] + ["Failed: rep %d %s %s: %s" % (s["rep"], s["row"], s["tool"], s["error"]) for s in failures]
    text = "\n".join(head + lines + (tail if failures else [])) + "\n"
    with open(out_json, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    with open(out_md, "w") as f:
        f.write(text)
    print(text + "\nwrote %s and %s" % (out_json, out_md))
    return 1 if any(s["tool"] == "netbench" for s in failures) else 0

if __name__ == "__main__":
    sys.exit(record(*sys.argv[2:]) if sys.argv[1] == "record" else report(*sys.argv[2:]))
EOF

# start_server SOCK PORT CMD...: wait until the server's socket (SOCK t|u) shows
# in `ss`; a client started early would measure a refusal, not the tool.
start_server() {
  local sock=$1 port=$2; shift 2
  timeout "$SERVER_TIMEOUT" "$@" >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 50); do
    ss -Hln"$sock" "sport = :$port" 2>/dev/null | grep -q . && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  return 1
}
# Killing the timeout wrapper forwards the signal to the server; waiting for it
# guarantees the port is free before the next measurement.
stop_server() {
  [[ -n $SERVER_PID ]] || return 0
  kill "$SERVER_PID" 2>/dev/null
  wait "$SERVER_PID" 2>/dev/null
  SERVER_PID=""
}

# sample ROW KIND TOOL REP SERVER_CMD CMD...: run one bounded measurement and
# append it (parsed, or its failure) to samples.jsonl. A non-empty SERVER_CMD
# (for the record) means: start the server spec set up (SERVER, SOCK, SPORT).
sample() {
  local row=$1 kind=$2 tool=$3 rep=$4 server=$5 rc=0; shift 5
  : >"$WORK/out"; : >"$WORK/err"
  if ! command -v "$1" >/dev/null; then
    echo "$1 not installed" >"$WORK/err"; rc=127
  elif [[ -n $server ]] && ! start_server "$SOCK" "$SPORT" "${SERVER[@]}"; then
    { echo "server did not start: $server"; cat "$WORK/server.log"; } >"$WORK/err"; rc=125
  else
    timeout "$CLIENT_TIMEOUT" "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
  fi
  stop_server
  "$PY" "$WORK/helper.py" record "$WORK/samples.jsonl" "$row" "$kind" "$tool" \
    "$rep/$R" "$rc" "$WORK/out" "$WORK/err" "$*" "$server"
}

ROWS=(tcp_stream_128KiB tcp_stream_1400B udp_stream_64B udp_stream_1400B udp_echo_64B tcp_echo_64B)
# spec ROW: sets KIND, SOCK, SPORT, SERVER, CLIENT (peer) and NB (netbench flags).
spec() {
  local iperf=(iperf3 -c "$HOST" -p "$PORT" -t "$T" -J)
  local iperf_srv=(iperf3 -s -1 -B "$HOST" -p "$PORT")
  local sp=(sockperf ping-pong -i "$HOST" -p "$SP_PORT" -m 64 -t "$T")
  local sp_srv=(sockperf sr -i "$HOST" -p "$SP_PORT")
  SOCK=t SPORT=$PORT
  case $1 in
    tcp_stream_128KiB) KIND=tcp_stream SERVER=("${iperf_srv[@]}") CLIENT=("${iperf[@]}" -l 128K)
      NB=(--proto tcp --size 128KiB) ;;
    tcp_stream_1400B) KIND=tcp_stream SERVER=("${iperf_srv[@]}") CLIENT=("${iperf[@]}" -l 1400)
      NB=(--proto tcp --size 1400) ;;
    udp_stream_64B) KIND=udp_stream SERVER=("${iperf_srv[@]}") CLIENT=("${iperf[@]}" -u -b 0 -l 64)
      NB=(--proto udp --size 64) ;;
    udp_stream_1400B) KIND=udp_stream SERVER=("${iperf_srv[@]}") CLIENT=("${iperf[@]}" -u -b 0 -l 1400)
      NB=(--proto udp --size 1400) ;;
    udp_echo_64B) KIND=echo SOCK=u SPORT=$SP_PORT SERVER=("${sp_srv[@]}") CLIENT=("${sp[@]}")
      NB=(--proto udp --mode echo --size 64) ;;
    tcp_echo_64B) KIND=echo SPORT=$SP_PORT SERVER=("${sp_srv[@]}" --tcp) CLIENT=("${sp[@]}" --tcp)
      NB=(--proto tcp --mode echo --size 64) ;;
  esac
}

for ((rep = 1; rep <= R; rep++)); do
  for row in "${ROWS[@]}"; do
    spec "$row"
    sample "$row" "$KIND" "${CLIENT[0]}" "$rep" "${SERVER[*]}" "${CLIENT[@]}"
    sample "$row" "$KIND" netbench "$rep" "" "$BIN" "${NB[@]}" --model "$MODEL" \
      --duration "${T}s" -q --json "${EXTRA[@]}"
  done
done

version() {
  if command -v "$1" >/dev/null; then timeout 5 "$@" 2>&1 | head -n 1; else echo "$1 not installed"; fi
}
mkdir -p "$(dirname "$OUT")" "$(dirname "$MD")"
CP_REPS=$R CP_SECONDS=$T CP_MODEL=$MODEL CP_PORT=$PORT CP_NETBENCH_ARGS="${NETBENCH_ARGS:-}" \
  CP_V_NETBENCH=$(version "$BIN" --version) CP_V_IPERF3=$(version iperf3 --version) \
  CP_V_SOCKPERF=$(version sockperf --version) \
  "$PY" "$WORK/helper.py" report "$WORK/samples.jsonl" "$OUT" "$MD"
