#!/usr/bin/env bash
# A short sweep of every model over TCP and UDP, its JSON validated against
# the schema, and the comparison charts drawn from it and checked. CI runs
# this after the tests; it needs a built netbench (default: the dev build).
set -euo pipefail
cd "$(dirname "$0")/.."
netbench=${1:-build/dev/netbench}
out=build/ci-sweep
rm -rf "$out"
mkdir -p "$out/plots"

# Every model (named in the schema, which a test holds equal to the C++ list
# kModels) x 2 protocols x 3 flow counts x 2 modes: 60 points with the five
# models, each repeated 3 times in a shuffled interleaved order, 0.4 s each
# (~2-2.5 min), so that every chart point has a 95% CI (error bars).
models=$(/usr/bin/python3 -c '
import json, sys
schema = json.load(open(sys.argv[1]))
print(",".join(schema["definitions"]["config"]["properties"]["model"]["enum"]))' docs/netbench.schema.json)
"$netbench" sweep --proto tcp,udp --model "$models" --flows 1,4,16 \
  --mode stream,echo --duration 400ms --repeat 3 --seed 1 -q -o "$out/sweep.json"

# TCP vs UDP against offered rate (1400 B, 6 points), 8 repetitions of 0.3 s:
# enough for an A/A comparison of 4 against 4 below.
"$netbench" sweep --proto tcp,udp --model epoll --size 1400 --rate 50k,200k,0 \
  --duration 300ms --repeat 8 --seed 2 -q -o "$out/rates.json"

# Connect mode (a connection per transaction) over every model, flows x
# outstanding (20 points, 3 repetitions of 0.3 s; ~40 s).
"$netbench" sweep --proto tcp --model "$models" --mode connect --flows 1,4 --outstanding 1,4 \
  --duration 300ms --repeat 3 --seed 3 -q -o "$out/connect.json"

for doc in "$out/sweep.json" "$out/rates.json" "$out/connect.json"; do
  /usr/bin/python3 - "$doc" docs/netbench.schema.json <<'PY'
import json, sys
import jsonschema
doc = json.load(open(sys.argv[1]))
jsonschema.validate(doc, json.load(open(sys.argv[2])))
s = doc["sweep"]
print(f"ci_sweep: {sys.argv[1]}: {s['completed']}/{s['points']} points completed, valid")
if s["completed"] != s["points"]:
    sys.exit("ci_sweep: some points did not complete")
PY
done

# The chart scripts' own tests (statistics, chart plan, drawing and checking).
/usr/bin/python3 -m unittest discover -s plots -p 'test_*.py'
/usr/bin/python3 plots/plot.py "$out/sweep.json" "$out/rates.json" -o "$out/plots"
/usr/bin/python3 plots/check_plots.py "$out/sweep.json" "$out/rates.json" -d "$out/plots" \
  --require throughput_vs_flows --require latency_vs_flows_stream \
  --require latency_vs_flows_echo --require server_cpu_vs_flows --require fairness_vs_flows \
  --require loss_goodput_vs_rate --require best_model --require-error-bars
/usr/bin/python3 plots/plot.py "$out/connect.json" -o "$out/plots/connect"
/usr/bin/python3 plots/check_plots.py "$out/connect.json" -d "$out/plots/connect" \
  --require connect_vs_concurrency --require best_model --require-error-bars
# The peer-comparison chart, from the committed results (the peers
# themselves are never needed in CI).
/usr/bin/python3 plots/plot_peers.py results/peers.json -o "$out/plots" >/dev/null
for ext in png svg; do
  [[ -s $out/plots/peers_ratio.$ext ]] || { echo "ci_sweep: no peers_ratio.$ext" >&2; exit 1; }
done

# A/A: the rates sweep's odd repetitions against its even ones, on the real
# tool. Noise may well call something "worse" (exit 6): that must not fail
# CI; a crash or any other failure must.
/usr/bin/python3 scripts/split_repetitions.py "$out/rates.json" "$out/aa_a.json" "$out/aa_b.json"
status=0
"$netbench" compare "$out/aa_a.json" "$out/aa_b.json" || status=$?
if [[ $status -ne 0 && $status -ne 6 ]]; then
  echo "ci_sweep: netbench compare failed with exit status $status" >&2
  exit 1
fi
echo "ci_sweep: A/A compare exit status $status (6 = noise called a change; not a failure here)"
