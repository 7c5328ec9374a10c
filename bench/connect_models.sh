#!/bin/sh
# Connect mode (TCP, --close fin): thread vs epoll at 1, 8 and 32 concurrent
# transactions (--flows K, one outstanding each), 3 repetitions interleaved,
# 2 s each. Prints one line per run: model flows transactions/s p50_ns p99_ns
# server_cpu_per_transaction_ns. Usage: bench/connect_models.sh BUILD/netbench
set -eu
NB=${1:-build/dev/netbench}
for rep in 1 2 3; do
  for flows in 1 8 32; do
    for model in thread epoll; do
      "$NB" --mode connect --proto tcp --model "$model" --flows "$flows" --duration 2s \
        --json -q 2>/dev/null |
        /usr/bin/python3 -c '
import json, sys
r = json.load(sys.stdin)["run"]
c = r["connect"]
l = r["latency"]["from_intended_send"]
print(r["config"]["model"], r["config"]["flows"], round(c["transactions_per_s"]),
      l["p50_ns"], l["p99_ns"], round(c["server_cpu_per_transaction_ns"]), sep="\t")'
    done
  done
done
