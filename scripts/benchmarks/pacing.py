#!/usr/bin/env python3
"""Pacing trade-off: --pacing sleep (default) vs spin at 10k, 50k, 200k msg/s.

Paired runs on loopback (UDP, one flow, 2 s each, bounded by `timeout`),
RUNS runs per cell, medians of: the sender's CPU share (sender.pacing.
sender_cpu_share, 1.0 = one core), pacing lateness p50/p99, achieved rate
and its error against the target. Prints a Markdown table (results/pacing.md)
and checks issue 14's targets for the default at 50k msg/s: achieved rate
within 0.5% of the target and the sender under a third of a core (exit 1
if missed). Stdlib only.
Usage: scripts/benchmarks/pacing.py [NETBENCH] [--runs 3]
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys

RATES = [10_000, 50_000, 200_000]
MODES = ["sleep", "spin"]


def one(netbench: str, rate: int, mode: str) -> dict:
    p = subprocess.run(["timeout", "30", netbench, "--proto", "udp", "--rate", str(rate),
                        "--pacing", mode, "--duration", "2s", "--json"],
                       capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise SystemExit(f"netbench failed ({p.returncode}): {p.stderr}")
    pacing = json.loads(p.stdout)["run"]["sender"]["pacing"]
    return {"cpu": pacing["sender_cpu_share"],
            "p50": pacing["lateness"]["p50_ns"] / 1e3,
            "p99": pacing["lateness"]["p99_ns"] / 1e3,
            "achieved": pacing["achieved_msgs_per_s"]}


def main() -> int:
    args = sys.argv[1:]
    runs = 3
    if "--runs" in args:
        i = args.index("--runs")
        runs = int(args[i + 1])
        del args[i:i + 2]
    netbench = args[0] if args else "build/dev/netbench"
    print("| rate (msg/s) | pacing | sender CPU (share of a core) | lateness p50 | "
          "lateness p99 | achieved msg/s | error vs target |")
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    ok = True
    for rate in RATES:
        for mode in MODES:
            rs = [one(netbench, rate, mode) for _ in range(runs)]
            m = {k: statistics.median(r[k] for r in rs) for k in rs[0]}
            err = (m["achieved"] - rate) / rate * 100
            print(f"| {rate:,} | {mode} | {m['cpu']:.3f} | {m['p50']:.1f} us | "
                  f"{m['p99']:.1f} us | {m['achieved']:,.0f} | {err:+.2f}% |", flush=True)
            if rate == 50_000 and mode == "sleep":
                ok = ok and m["cpu"] < 1 / 3 and abs(err) <= 0.5
    print(f"\ntarget (sleep at 50k: CPU < 0.333, rate within 0.5%): {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
