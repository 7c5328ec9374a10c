#!/usr/bin/env python3
"""Fan-out (--receivers with --multicast or --broadcast) on a bridge, with
an injected drop at one receiver only (issue 18, item 2).

    host namespace                      bridge namespace
    s0 10.78.0.1/24 ──── veth ──── s0p ─┐
    r0 (no address) ──── veth ──── r0p ─┼─ br0 (multicast snooping off)
    r1 (no address) ──── veth ──── r1p ─┤
    r2 (no address) ──── veth ──── r2p ─┘

One paired netbench runs in the host namespace: its sender sends out of s0
(--bind 10.78.0.1), the bridge floods each datagram to r0, r1 and r2, and
receiver i listens on ri only (--receiver-dev r0,r1,r2), so every receiver
gets its own copy from the wire. An iptables rule drops 5% of the UDP that
comes in on r1 (statistic, random). netbench must show that loss at
receiver 1 alone, within 0.3 points of 5% (100,000 messages: the binomial
standard deviation is 0.07 points), and none at receivers 0 and 2, for
multicast and for broadcast. The aggregate must be the receivers' sum.

The receivers' interfaces have no address, and the datagrams' source is an
address of the same namespace: accept_local and no reverse-path filter let
the kernel take them in (both set in the test's own namespace only).

Needs root, 'ip netns' and iptables: skips (77) otherwise, except under
CI=true, where a skip is a failure. Stdlib only; about 25 s.
Usage: fanout_test.py NETBENCH [OUTDIR]  (OUTDIR: keep each run's JSON
document there, fanout_multicast.json and fanout_broadcast.json)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import topology  # noqa: E402  (the namespace naming and stale cleanup)

HOST = f"{topology.PREFIX}{os.getpid()}-fanouth"
BRIDGE = f"{topology.PREFIX}{os.getpid()}-fanoutb"
SENDER_ADDR = "10.78.0.1"
RECEIVERS = ["r0", "r1", "r2"]
DROPPED = 1  # the receiver whose ingress drops
DROP = 0.05
COUNT = 100_000
TOLERANCE = 0.003  # ±0.3 points


def skip(why: str) -> None:
    print(f"skipped: {why}", file=sys.stderr)
    sys.exit(1 if os.environ.get("CI") == "true" else 77)


def sh(*args: str) -> str:
    return topology.sh(list(args))


def build() -> None:
    sh("ip", "netns", "add", HOST)
    sh("ip", "netns", "add", BRIDGE)
    sh("ip", "-n", BRIDGE, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0")
    sh("ip", "-n", BRIDGE, "link", "set", "br0", "up")
    for name in ["s0", *RECEIVERS]:
        sh("ip", "-n", HOST, "link", "add", name, "type", "veth", "peer", "name", name + "p",
           "netns", BRIDGE)
        sh("ip", "-n", BRIDGE, "link", "set", name + "p", "master", "br0", "up")
        sh("ip", "-n", HOST, "link", "set", name, "up")
    sh("ip", "-n", HOST, "link", "set", "lo", "up")
    sh("ip", "-n", HOST, "addr", "add", f"{SENDER_ADDR}/24", "dev", "s0")
    for key, value in [("net.ipv4.conf.all.accept_local", "1"),
                       ("net.ipv4.conf.all.rp_filter", "0"),
                       ("net.ipv4.conf.default.rp_filter", "0")]:
        sh("ip", "netns", "exec", HOST, "sysctl", "-qw", f"{key}={value}")
    for name in RECEIVERS:
        sh("ip", "netns", "exec", HOST, "sysctl", "-qw", f"net.ipv4.conf.{name}.rp_filter=0")
        sh("ip", "netns", "exec", HOST, "sysctl", "-qw", f"net.ipv4.conf.{name}.accept_local=1")
    sh("ip", "netns", "exec", HOST, "iptables", "-w", "-A", "INPUT", "-i", RECEIVERS[DROPPED],
       "-p", "udp", "-m", "statistic", "--mode", "random", "--probability", str(DROP), "-j",
       "DROP")


def dropped_by_iptables() -> int:
    out = sh("ip", "netns", "exec", HOST, "iptables", "-w", "-L", "INPUT", "-v", "-x", "-n", "-Z")
    for line in out.splitlines():
        words = line.split()
        if len(words) > 2 and words[0].isdigit() and words[2] == "DROP":
            return int(words[0])
    return -1


def run(netbench: str, how: list[str], outdir: str | None) -> dict:
    dropped_by_iptables()  # -Z: from zero
    args = ["ip", "netns", "exec", HOST, "timeout", "60", netbench, "--proto", "udp",
            "--receivers", str(len(RECEIVERS)), *how, "--bind", SENDER_ADDR, "--receiver-dev",
            ",".join(RECEIVERS), "--count", str(COUNT), "--rate", "12k", "--size", "100",
            "--buffer", "8MiB", "--json"]
    p = subprocess.run(args, capture_output=True, text=True, timeout=90)
    if p.returncode != 0:
        raise AssertionError(f"netbench {' '.join(how)} exited {p.returncode}: "
                             f"{p.stderr.strip()}")
    doc = json.loads(p.stdout)
    if outdir:
        with open(os.path.join(outdir, f"fanout_{how[0][2:]}.json"), "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1)
    return doc["run"]


def main() -> int:
    if len(sys.argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    netbench = sys.argv[1]
    outdir = sys.argv[2] if len(sys.argv) == 3 else None
    ok, why = topology.netns_permitted()
    if not ok:
        skip(why)
    if shutil.which("iptables") is None:
        skip("iptables is not installed (scripts/setup.sh installs it)")
    topology.remove_stale()
    failures: list[str] = []

    def check(name: str, good: bool, detail: str) -> None:
        print(f"{'ok  ' if good else 'FAIL'} {name}: {detail}")
        if not good:
            failures.append(name)

    try:
        build()
        for how in (["--multicast", "239.1.2.3"], ["--broadcast"]):
            label = how[0][2:]
            r = run(netbench, how, outdir)
            drops = dropped_by_iptables()
            check(f"{label}: complete", r["complete"], r["error"] or "complete")
            sent = r["sender"]["messages"]
            check(f"{label}: every message sent", sent == COUNT, f"{sent} of {COUNT}")
            rxs = r["fanout"]["receivers"]
            check(f"{label}: one section per receiver", len(rxs) == len(RECEIVERS),
                  f"{len(rxs)} sections")
            total_lost = 0
            for k, rx in enumerate(rxs):
                loss = rx["receiver"]["loss"]
                total_lost += loss["lost"]
                uniq = rx["receiver"]["unique"]
                print(f"     receiver {k} on {rx['device']}: {uniq} unique, lost {loss['lost']} "
                      f"({100 * loss['ratio']:.3f}%), socket drops {loss['at_receiver_socket']}")
                check(f"{label}: receiver {k} accounts for every message",
                      uniq + loss["lost"] == sent, f"{uniq} + {loss['lost']} = {sent}")
                if k == DROPPED:
                    check(f"{label}: receiver {k} shows the injected {100 * DROP:.0f}% drop",
                          abs(loss["ratio"] - DROP) <= TOLERANCE,
                          f"{100 * loss['ratio']:.3f}% (iptables dropped {drops})")
                    check(f"{label}: receiver {k}'s loss is what iptables dropped",
                          loss["lost"] == drops, f"{loss['lost']} lost, {drops} dropped")
                else:
                    check(f"{label}: receiver {k} lost nothing", loss["lost"] == 0,
                          f"{loss['lost']} lost")
            agg = r["receiver"]["loss"]
            check(f"{label}: the aggregate is the receivers' sum", agg["lost"] == total_lost,
                  f"{agg['lost']} vs {total_lost}")
            check(f"{label}: aggregate ratio over every copy",
                  abs(agg["ratio"] - total_lost / (sent * len(RECEIVERS))) < 1e-9,
                  f"{agg['ratio']:.6f}")
    except (AssertionError, topology.SetupError) as e:
        failures.append(str(e))
        print(f"FAIL {e}")
    finally:
        for name in (HOST, BRIDGE):
            subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=10)
    if failures:
        print(f"{len(failures)} check(s) failed", file=sys.stderr)
        return 1
    print("all fan-out checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
