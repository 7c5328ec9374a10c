#!/usr/bin/python3
"""--zerocopy and --skip-rx-copy against the default: interleaved paired runs.

Usage: bench/zerocopy.py NETBENCH [--rounds 3] [--duration 2s] [--prefix 'ip netns exec NS'] [--extra 'ARGS']
Prints one table row per (proto, size, variant): receiver Gbit/s median and
range over the rounds, sender and receiver CPU per message, and for
--zerocopy the completions (zero-copy vs copied). Rounds run every case once
in order, so that a slow spell of the machine hits every case alike.
"""
import json
import statistics
import subprocess
import sys

args = sys.argv[1:]
netbench = args[0]
rounds = int(args[args.index("--rounds") + 1]) if "--rounds" in args else 3
duration = args[args.index("--duration") + 1] if "--duration" in args else "2s"
prefix = args[args.index("--prefix") + 1].split() if "--prefix" in args else []
extra = args[args.index("--extra") + 1].split() if "--extra" in args else []

CASES = [("tcp", s, []) for s in ("1400", "64KiB", "1MiB")] + [("udp", "1400", ["--gso"])]
VARIANTS = [("default", []), ("zerocopy", ["--zerocopy"]), ("skip-rx-copy", ["--skip-rx-copy"])]

results = {}
for r in range(rounds):
    for proto, size, flags in CASES:
        for name, vflags in VARIANTS:
            cmd = prefix + [netbench, "--proto", proto, "--size", size, "--duration", duration,
                            "--json", "-q"] + flags + vflags + extra
            out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
            run = json.loads(out)["run"] if "run" in json.loads(out) else json.loads(out)["runs"][0]
            results.setdefault((proto, size, name), []).append(run)

def med_range(xs, fmt):
    return f"{fmt(statistics.median(xs))} ({fmt(min(xs))}-{fmt(max(xs))})"

print(f"| proto | size | variant | receiver Gbit/s, median (range) | sender CPU ns/msg | receiver CPU ns/msg | zero-copy / copied completions |")
print("| --- | --- | --- | --- | --- | --- | --- |")
for (proto, size, name), runs in results.items():
    gbps = [x["receiver"]["throughput_bps"] / 1e9 for x in runs]
    scpu = [x["sender"]["cost"]["cpu_per_message_ns"] for x in runs]
    rcpu = [x["receiver"]["cost"]["cpu_per_message_ns"] for x in runs]
    z = runs[-1]["sender"].get("zerocopy")
    zc = f"{z['zerocopy']} / {z['copied']}" if z else "-"
    label = size + (" --gso" if proto == "udp" else "")
    print(f"| {proto} | {label} | {name} | {med_range(gbps, lambda v: f'{v:.2f}')} | "
          f"{med_range(scpu, lambda v: f'{v:.0f}')} | {med_range(rcpu, lambda v: f'{v:.0f}')} | {zc} |")
