#!/usr/bin/python3
"""Sender threads: netbench --sender-threads 1 and 2 against iperf3 -P on
loopback, and pacing accuracy with K sender threads.

  bench/sender_threads.py                      # 5 repetitions, about 6 minutes
  bench/sender_threads.py -r 3 -t 2 --quick    # 2 flows only, a check that it runs

(a) Throughput: for 2 and 4 flows, TCP 128 KiB and UDP 1400 B streams,
netbench with one and with two sender threads (paired run, epoll) and iperf3
with -P FLOWS (one thread per stream since 3.16; Debian 12's 3.12 runs its
streams on one thread). Each repetition runs every contestant once, in an
order shuffled with --seed, so that drift over time favours none. Reported:
the median, min and max over repetitions of received throughput (UDP:
delivered datagrams/s too), and netbench's sender CPU per message and the
spread of messages over its threads.

(b) Pacing: --rate 100k over 4 flows with K = 1..4 sender threads, constant
and Poisson: the achieved rate's error against the target and the p99
pacing lateness (median and range over repetitions).

Loopback only; every run is bounded by a timeout. Writes OUT.json and
OUT.md (default results/sender_threads). Needs iperf3 for (a); without it
those rows say so.
"""

import argparse
import datetime
import json
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from compare_peers import Failed, parse_iperf3  # noqa: E402  (the same reading as the peer table)

HOST = "127.0.0.1"


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def netbench_run(binary, args, timeout):
    p = subprocess.run([binary, *args, "-q", "--json"], capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError(f"netbench exited {p.returncode}: {p.stderr.strip()[-300:]}")
    return json.loads(p.stdout)["run"]


def iperf3_run(proto, size, flows, secs):
    port = free_port()
    server = subprocess.Popen(["timeout", str(secs + 30), "iperf3", "-s", "-1", "-B", HOST, "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(50):  # until it listens (a probe connection would be its one client)
            if subprocess.run(["ss", "-Hlnt", f"sport = :{port}"], capture_output=True, text=True,
                              timeout=5).stdout.strip():
                break
            time.sleep(0.1)
        cmd = ["iperf3", "-c", HOST, "-p", str(port), "-t", str(secs), "-J", "-l", str(size), "-P", str(flows)]
        if proto == "udp":
            cmd += ["-u", "-b", "0"]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=secs + 30)
    finally:
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    m = parse_iperf3("udp_stream" if proto == "udp" else "tcp_stream", size, p.stdout, "")
    out = {"gbps": m["goodput_gbps"]}
    if "msgs_per_s" in m:
        out["msgs_per_s"] = m["msgs_per_s"]
    return out


def netbench_throughput(binary, proto, size, flows, threads, secs):
    r = netbench_run(binary, ["--proto", proto, "--size", str(size), "--flows", str(flows), "--model", "epoll",
                              "--sender-threads", str(threads), "--duration", f"{secs}s"]
                     + (["--batch", "32", "--buffer", "4MiB"] if proto == "udp" else []), secs + 60)
    out = {"gbps": r["receiver"]["throughput_bps"] / 1e9,
           "sender_cpu_per_msg_ns": r["sender"]["cost"]["cpu_per_message_ns"],
           "thread_messages": [t["messages"] for t in r["sender"]["threads"]]}
    if proto == "udp":
        out["msgs_per_s"] = r["receiver"]["messages_per_s"]
    return out


def pacing(binary, threads, pattern, secs):
    r = netbench_run(binary, ["--proto", "udp", "--size", "64", "--flows", "4", "--rate", "100k",
                              "--pattern", pattern, "--sender-threads", str(threads), "--duration", f"{secs}s"],
                     secs + 60)
    p = r["sender"]["pacing"]
    return {"rate_error": p["achieved_msgs_per_s"] / p["target_msgs_per_s"] - 1,
            "lateness_p99_ns": p["lateness"]["p99_ns"], "sender_cpu_share": p["sender_cpu_share"]}


def spread(values):
    v = [x for x in values if x is not None]
    if not v:
        return None
    return {"n": len(v), "median": statistics.median(v), "min": min(v), "max": max(v)}


def fmt(s, scale=1.0, digits=2, unit=""):
    if s is None:
        return "n/a"
    return (f"{s['median'] * scale:.{digits}f}{unit} [{s['min'] * scale:.{digits}f}, "
            f"{s['max'] * scale:.{digits}f}]")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-b", "--binary", default=os.path.join(ROOT, "build", "release", "netbench"))
    ap.add_argument("-r", "--repetitions", type=int, default=5)
    ap.add_argument("-t", "--seconds", type=int, default=3, help="per throughput run (pacing: 2)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help="2 flows only, pacing K = 1, 2")
    ap.add_argument("-o", "--output", default=os.path.join(ROOT, "results", "sender_threads"))
    a = ap.parse_args()
    have_iperf3 = shutil.which("iperf3") is not None
    flow_counts = (2,) if a.quick else (2, 4)
    contestants = []
    for flows in flow_counts:
        for proto, size in (("tcp", 131072), ("udp", 1400)):
            for k in (1, 2):
                contestants.append(("throughput", proto, size, flows, f"netbench K={k}", k))
            contestants.append(("throughput", proto, size, flows, f"iperf3 -P {flows}", 0))
    for k in ((1, 2) if a.quick else (1, 2, 3, 4)):
        for pattern in ("constant", "poisson"):
            contestants.append(("pacing", "udp", 64, 4, f"K={k} {pattern}", k))
    rng = random.Random(a.seed)
    results = {c: [] for c in contestants}
    for rep in range(a.repetitions):
        order = contestants[:]
        rng.shuffle(order)
        for c in order:
            kind, proto, size, flows, label, k = c
            try:
                if kind == "pacing":
                    m = pacing(a.binary, k, label.split()[1], 2)
                elif k == 0:
                    m = iperf3_run(proto, size, flows, a.seconds) if have_iperf3 else None
                else:
                    m = netbench_throughput(a.binary, proto, size, flows, k, a.seconds)
            except (Failed, RuntimeError, subprocess.TimeoutExpired, KeyError, ValueError) as e:
                print(f"  {label} {proto} {flows} flows: failed: {e}", file=sys.stderr)
                m = None
            results[c].append(m)
            print(f"rep {rep + 1}/{a.repetitions} {kind} {proto} {flows} flows {label}: "
                  f"{json.dumps(m) if m else 'failed'}", file=sys.stderr, flush=True)
    rows = []
    for c, ms in results.items():
        kind, proto, size, flows, label, k = c
        ok = [m for m in ms if m]
        row = {"kind": kind, "proto": proto, "size": size, "flows": flows, "contestant": label,
               "sender_threads": k, "runs": len(ms), "completed": len(ok)}
        for key in ("gbps", "msgs_per_s", "sender_cpu_per_msg_ns", "rate_error", "lateness_p99_ns",
                    "sender_cpu_share"):
            if any(key in m for m in ok):
                row[key] = spread([m.get(key) for m in ok])
        if any("thread_messages" in m for m in ok):
            # The busiest thread's share of the messages: 1/K when balanced.
            row["busiest_thread_share"] = spread([max(m["thread_messages"]) / max(1, sum(m["thread_messages"]))
                                                  for m in ok])
        rows.append(row)
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "")
    doc = {"schema": "netbench-sender-threads/1",
           "command": " ".join(["bench/sender_threads.py"] + sys.argv[1:]),
           "machine": {"nproc": len(os.sched_getaffinity(0)), "kernel": platform.release(), "cpu_model": cpu,
                       "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")},
           "repetitions": a.repetitions, "seconds": a.seconds, "seed": a.seed, "rows": rows}
    with open(a.output + ".json", "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    md = [f"# Sender threads ({doc['machine']['date']}, {cpu}, {doc['machine']['nproc']} CPUs)", "",
          f"Command: `{doc['command']}`; every figure is the median [min, max] of {a.repetitions} "
          f"interleaved repetitions (seed {a.seed}), {a.seconds} s each.", "",
          "## Throughput: netbench K sender threads against iperf3 -P", "",
          "| proto | flows | contestant | Gbit/s | msg/s (UDP) | sender CPU/msg | busiest thread's share |",
          "| --- | ---: | --- | ---: | ---: | ---: | ---: |"]
    for r in rows:
        if r["kind"] != "throughput":
            continue
        md.append(f"| {r['proto']} {r['size']} B | {r['flows']} | {r['contestant']} | {fmt(r.get('gbps'))} | "
                  f"{fmt(r.get('msgs_per_s'), 1e-3, 1, 'k')} | {fmt(r.get('sender_cpu_per_msg_ns'), 1e-3, 2, ' us')} | "
                  f"{fmt(r.get('busiest_thread_share'), 100, 0, '%')} |")
    md += ["", "## Pacing: --rate 100k over 4 UDP flows, 64 B, 2 s", "",
           "| sender threads, pattern | rate error | lateness p99 | sender CPU (share of a core) |",
           "| --- | ---: | ---: | ---: |"]
    for r in rows:
        if r["kind"] == "pacing":
            md.append(f"| {r['contestant']} | {fmt(r.get('rate_error'), 100, 3, '%')} | "
                      f"{fmt(r.get('lateness_p99_ns'), 1e-3, 0, ' us')} | {fmt(r.get('sender_cpu_share'), 100, 0, '%')} |")
    with open(a.output + ".md", "w") as f:
        f.write("\n".join(md) + "\n")
    print("\n".join(md))
    failed = [r for r in rows if r["completed"] == 0 and not (r["sender_threads"] == 0 and not have_iperf3)]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
