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

Remote form (--connect A,B,C): three more namespaces, each a host with
one port on the bridge and a `netbench serve` (10.78.0.11 to .13); the
client runs in the host namespace, sends out of s0 to the group, and each
server joins it on its own interface and reports its own figures. The
same 5% drop (data datagrams only, by length) at the second server's
ingress must show there alone, and equal what iptables dropped.

The receivers' interfaces have no address, and the datagrams' source is an
address of the same namespace: accept_local and no reverse-path filter let
the kernel take them in (both set in the test's own namespace only).

Needs root, 'ip netns' and iptables: skips (77) otherwise, except under
CI=true, where a skip is a failure. Stdlib only; about 35 s.
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
SERVERS = [f"{topology.PREFIX}{os.getpid()}-fanout{k}" for k in range(3)]
SERVER_ADDRS = [f"10.78.0.{11 + k}" for k in range(3)]
SIZE = 100
# The IP length of one data datagram: a registration (24 bytes) is never dropped.
DATA_IP_BYTES = 20 + 8 + SIZE


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
    for k, (ns, addr) in enumerate(zip(SERVERS, SERVER_ADDRS)):
        sh("ip", "netns", "add", ns)
        sh("ip", "-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", f"v{k}p",
           "netns", BRIDGE)
        sh("ip", "-n", BRIDGE, "link", "set", f"v{k}p", "master", "br0", "up")
        sh("ip", "-n", ns, "link", "set", "lo", "up")
        sh("ip", "-n", ns, "link", "set", "eth0", "up")
        sh("ip", "-n", ns, "addr", "add", f"{addr}/24", "dev", "eth0")
    sh("ip", "netns", "exec", SERVERS[DROPPED], "iptables", "-w", "-A", "INPUT", "-i", "eth0",
       "-p", "udp", "-m", "length", "--length", str(DATA_IP_BYTES), "-m", "statistic", "--mode",
       "random", "--probability", str(DROP), "-j", "DROP")


def start_servers(netbench: str, procs: list[subprocess.Popen]) -> None:
    """netbench serve in each server namespace, once it listens (into `procs`)."""
    for ns, addr in zip(SERVERS, SERVER_ADDRS):
        p = subprocess.Popen(["ip", "netns", "exec", ns, netbench, "serve", "--bind", addr,
                              "--port", "5201", "--max-buffer", "8MiB", "--idle-timeout", "5s"],
                             stderr=subprocess.PIPE, text=True)
        procs.append(p)
        line = p.stderr.readline() if p.stderr else ""
        if "listening on" not in line:
            raise AssertionError(f"netbench serve in {ns} did not start: {line.strip()}")


def dropped_by_iptables(ns: str = HOST) -> int:
    out = sh("ip", "netns", "exec", ns, "iptables", "-w", "-L", "INPUT", "-v", "-x", "-n", "-Z")
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


def run_remote(netbench: str, outdir: str | None) -> dict:
    """--connect to the three servers, multicast, from the host namespace."""
    dropped_by_iptables(SERVERS[DROPPED])  # -Z: from zero
    args = ["ip", "netns", "exec", HOST, "timeout", "60", netbench, "--proto", "udp",
            "--connect", ",".join(SERVER_ADDRS), "--multicast", "239.1.2.4", "--count",
            str(COUNT), "--rate", "12k", "--size", str(SIZE), "--buffer", "8MiB", "--json"]
    p = subprocess.run(args, capture_output=True, text=True, timeout=90)
    if p.returncode != 0:
        raise AssertionError(f"netbench --connect exited {p.returncode}: {p.stderr.strip()}")
    doc = json.loads(p.stdout)
    if outdir:
        with open(os.path.join(outdir, "fanout_remote.json"), "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1)
    return doc["run"]


def check_receivers(check, label: str, r: dict, drops: int, places: list[str]) -> None:
    """One section per receiver, the injected drop at DROPPED alone (within
    TOLERANCE, and exactly what iptables dropped), the aggregate their sum."""
    check(f"{label}: complete", r["complete"], r["error"] or "complete")
    sent = r["sender"]["messages"]
    check(f"{label}: every message sent", sent == COUNT, f"{sent} of {COUNT}")
    rxs = r["fanout"]["receivers"]
    check(f"{label}: one section per receiver", len(rxs) == len(places), f"{len(rxs)} sections")
    total_lost = 0
    for k, rx in enumerate(rxs):
        loss = rx["receiver"]["loss"]
        total_lost += loss["lost"]
        uniq = rx["receiver"]["unique"]
        print(f"     receiver {k} on {rx.get('host') or rx['device']}: {uniq} unique, lost "
              f"{loss['lost']} ({100 * loss['ratio']:.3f}%), socket drops "
              f"{loss['at_receiver_socket']}")
        check(f"{label}: receiver {k} is {places[k]}",
              places[k] in (rx.get("host") or "", rx["device"] or ""),
              rx.get("host") or rx["device"])
        check(f"{label}: receiver {k} accounts for every message",
              uniq + loss["lost"] == sent, f"{uniq} + {loss['lost']} = {sent}")
        if k == DROPPED:
            check(f"{label}: receiver {k} shows the injected {100 * DROP:.0f}% drop",
                  abs(loss["ratio"] - DROP) <= TOLERANCE,
                  f"{100 * loss['ratio']:.3f}% (iptables dropped {drops})")
            check(f"{label}: receiver {k}'s loss is what iptables dropped",
                  loss["lost"] == drops, f"{loss['lost']} lost, {drops} dropped")
        else:
            check(f"{label}: receiver {k} lost nothing", loss["lost"] == 0, f"{loss['lost']} lost")
    agg = r["receiver"]["loss"]
    check(f"{label}: the aggregate is the receivers' sum", agg["lost"] == total_lost,
          f"{agg['lost']} vs {total_lost}")
    check(f"{label}: aggregate ratio over every copy",
          abs(agg["ratio"] - total_lost / (sent * len(places))) < 1e-9, f"{agg['ratio']:.6f}")


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
    servers: list[subprocess.Popen] = []

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
            check_receivers(check, label, r, drops, RECEIVERS)
        start_servers(netbench, servers)
        r = run_remote(netbench, outdir)
        check_receivers(check, "remote multicast", r, dropped_by_iptables(SERVERS[DROPPED]),
                        [f"{addr}:5201" for addr in SERVER_ADDRS])
    except (AssertionError, topology.SetupError) as e:
        failures.append(str(e))
        print(f"FAIL {e}")
    finally:
        for p in servers:
            p.terminate()
            p.wait(timeout=10)
        for name in (HOST, BRIDGE, *SERVERS):
            subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=10)
    if failures:
        print(f"{len(failures)} check(s) failed", file=sys.stderr)
        return 1
    print("all fan-out checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
