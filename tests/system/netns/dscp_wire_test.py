#!/usr/bin/env python3
"""--dscp/--tos verified on the wire (issue: socket knobs).

In a fresh network namespace with only loopback, iptables rules in the
OUTPUT chain count the packets that leave each socket by DSCP: one rule
matches DSCP 46 (EF), one everything else. A paired UDP run and a paired TCP
run with --dscp 46 must put every one of their packets in the first rule
(UDP: at least one packet per datagram sent; TCP: data and the receiver's
ACKs alike, both ends being marked), a run without --dscp none, and a run
with --tos 0x20 (DSCP 8, CS1) none either.

Needs root, 'ip netns' and iptables: skips (77) otherwise, except under
CI=true, where a skip is a failure. Stdlib only.
Usage: dscp_wire_test.py NETBENCH
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import topology  # noqa: E402  (the namespace naming and stale cleanup)

NS = f"{topology.PREFIX}{os.getpid()}-dscp"


def skip(why: str) -> None:
    print(f"skipped: {why}", file=sys.stderr)
    sys.exit(1 if os.environ.get("CI") == "true" else 77)


def ns(*args: str, check: bool = True) -> str:
    return subprocess.run(["ip", "netns", "exec", NS, *args], capture_output=True, text=True,
                          check=check, timeout=60).stdout


def counters() -> dict[tuple[str, str], int]:
    """Packets per (proto, "ef" or "other") since the last reset."""
    out = ns("iptables", "-w", "-L", "OUTPUT", "-v", "-x", "-n", "-Z")
    got: dict[tuple[str, str], int] = {}
    for line in out.splitlines():
        words = line.split()
        if len(words) < 4 or not words[0].isdigit() or "nbdscp" not in line:
            continue
        tag = line[line.index("nbdscp"):].split()[0]  # nbdscp-udp-ef etc.
        _, proto, kind = tag.rstrip("*/").split("-")
        got[(proto, kind)] = int(words[0])
    return got


def run(netbench: str, extra: list[str]) -> tuple[dict, dict[tuple[str, str], int]]:
    counters()  # -Z: start from zero
    p = subprocess.run(["ip", "netns", "exec", NS, "timeout", "30", netbench, "--count", "2000",
                        "--flows", "2", "--json", "-4", *extra],
                       capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise AssertionError(f"netbench {' '.join(extra)} exited {p.returncode}: "
                             f"{p.stderr.strip()}")
    return json.loads(p.stdout)["run"], counters()


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    netbench = sys.argv[1]
    if os.geteuid() != 0:
        skip("needs root for 'ip netns' and iptables")
    if shutil.which("iptables") is None:
        skip("iptables is not installed (scripts/setup.sh installs it)")
    topology.remove_stale()
    try:
        subprocess.run(["ip", "netns", "add", NS], check=True, capture_output=True, timeout=10)
    except (OSError, subprocess.CalledProcessError) as e:
        skip(f"'ip netns add' not permitted: {e}")
    failures: list[str] = []

    def check(name: str, ok: bool, detail: str) -> None:
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}")
        if not ok:
            failures.append(name)

    try:
        subprocess.run(["ip", "-n", NS, "link", "set", "lo", "up"], check=True, timeout=10)
        for proto in ("udp", "tcp"):
            ns("iptables", "-w", "-A", "OUTPUT", "-o", "lo", "-p", proto, "-m", "dscp",
               "--dscp", "46", "-m", "comment", "--comment", f"nbdscp-{proto}-ef")
            ns("iptables", "-w", "-A", "OUTPUT", "-o", "lo", "-p", proto, "-m", "dscp", "!",
               "--dscp", "46", "-m", "comment", "--comment", f"nbdscp-{proto}-other")
        for proto in ("udp", "tcp"):
            size = ["--size", "1000"]
            r, c = run(netbench, ["--proto", proto, "--dscp", "46", *size])
            ef, other = c.get((proto, "ef"), 0), c.get((proto, "other"), 0)
            sent = r["sender"]["messages"]
            print(f"{proto} --dscp 46: {sent} messages sent; packets DSCP 46 {ef}, other {other}")
            check(f"{proto} --dscp 46: config records tos 184", r["config"]["tos"] == 184,
                  f"tos {r['config']['tos']}")
            check(f"{proto} --dscp 46: every packet marked", other == 0 and ef > 0,
                  f"{ef} marked, {other} not")
            if proto == "udp":
                check("udp --dscp 46: a marked packet per datagram", ef >= sent,
                      f"{ef} >= {sent}")
            r, c = run(netbench, ["--proto", proto, *size])
            ef, other = c.get((proto, "ef"), 0), c.get((proto, "other"), 0)
            print(f"{proto} unmarked: packets DSCP 46 {ef}, other {other}")
            check(f"{proto} without --dscp: no packet marked", ef == 0 and other > 0,
                  f"{ef} marked, {other} not")
            r, c = run(netbench, ["--proto", proto, "--tos", "0x20", *size])
            ef, other = c.get((proto, "ef"), 0), c.get((proto, "other"), 0)
            check(f"{proto} --tos 0x20 (DSCP 8): not counted as DSCP 46", ef == 0 and other > 0,
                  f"{ef} marked 46, {other} other")
    finally:
        subprocess.run(["ip", "netns", "del", NS], capture_output=True, timeout=10)
    if failures:
        print(f"{len(failures)} check(s) failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
