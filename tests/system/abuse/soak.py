#!/usr/bin/env python3
"""Soak: N back-to-back tests against one `netbench serve` (README, "Hardening").

Cycles through tcp/udp x every server model x stream/echo (20 combinations
with the five models; the names come from docs/netbench.schema.json, which
tests/app/schema_test.cpp holds equal to the C++ list kModels), each a short test (--count messages over 2 flows, paced).
Every result must be complete and exact. The server's descriptor count and
RSS are sampled from /proc every --every tests (after the server has
settled); the check: descriptors at the end equal those after test --warm,
and RSS grew less than --max-rss-growth KiB between test --warm and the end.
Prints the samples and a summary; exit code 0 when every check passed.

Standard library only.
    /usr/bin/python3 tests/system/abuse/soak.py --netbench build/dev/netbench --tests 1000
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from abuse import Server, check_run  # noqa: E402  (same directory)

import subprocess  # noqa: E402

SCHEMA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "docs",
                      "netbench.schema.json")


def server_models() -> list:
    """Every server model's name, in the order of the list (the run config's enum)."""
    with open(SCHEMA, encoding="utf-8") as f:
        schema = json.load(f)
    return schema["definitions"]["config"]["properties"]["model"]["enum"]


COMBOS = [(proto, model, mode) for proto in ("tcp", "udp")
          for model in server_models() for mode in ("stream", "echo")]


def settled_fds(server: Server, previous: int) -> int:
    """The server's descriptor count once its last session has wound down (at most 2 s)."""
    fds = server.fds()
    for _ in range(40):
        if fds <= previous:
            break
        time.sleep(0.05)
        fds = server.fds()
    return fds


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--netbench", required=True)
    ap.add_argument("--tests", type=int, default=1000)
    ap.add_argument("--count", type=int, default=300, help="messages per test (300)")
    ap.add_argument("--warm", type=int, default=100, help="baseline sample after this test (100)")
    ap.add_argument("--every", type=int, default=100, help="sample every this many tests (100)")
    ap.add_argument("--max-rss-growth", type=int, default=5 * 1024,
                    help="KiB of RSS growth allowed between --warm and the end (5 MiB)")
    ap.add_argument("--server-log", help="write the server's log lines to this file at the end")
    ap.add_argument("--sanitized", action="store_true",
                    help="a sanitizer build: report the server's memory, do not check it")
    args = ap.parse_args()
    warm = min(args.warm, max(args.tests - 1, 0))

    server = Server(args.netbench, ["--idle-timeout", "5s", "--max-flows", "8"])
    if not server.port:
        print("soak: the server did not start:", server.lines, file=sys.stderr)
        return 1
    time.sleep(0.2)
    env = {k: v for k, v in os.environ.items() if k != "NETBENCH_AUTH_TOKEN"}
    samples = [(0, server.fds(), server.rss_kib())]
    failures = []
    busy = 0
    started = time.monotonic()
    for i in range(1, args.tests + 1):
        proto, model, mode = COMBOS[(i - 1) % len(COMBOS)]
        cmd = [args.netbench, "--connect", f"127.0.0.1:{server.port}", "--proto", proto,
               "--model", model, "--mode", mode, "--flows", "2", "--count", str(args.count),
               "--rate", "100k", "--buffer", "4MiB", "--json"]
        for _ in range(20):
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)
            if r.returncode == 3 and "busy" in r.stdout + r.stderr:
                busy += 1  # the previous session still winding down: retry
                time.sleep(0.1)
                continue
            break
        problem = check_run(r, args.count, mode)
        if problem is not None:
            failures.append(f"test {i} ({proto} {model} {mode}): {problem}")
        if i == warm or i % args.every == 0 or i == args.tests:
            samples.append((i, settled_fds(server, samples[-1][1]), server.rss_kib()))
        if not server.alive():
            failures.append(f"the server died after test {i}")
            break
    wall = time.monotonic() - started
    alive = server.alive()
    server.proc.terminate()
    try:
        code = server.proc.wait(15)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        code = "hung on SIGTERM"

    server.reader.join(5)
    if args.server_log:
        with open(args.server_log, "w") as f:
            f.write("\n".join(server.lines) + "\n")
    print(f"soak: {'test':>6} {'fds':>5} {'RSS KiB':>9}")
    for i, fds, rss in samples:
        print(f"soak: {i:>6} {fds:>5} {rss:>9}")
    base = next(s for s in samples if s[0] >= warm)
    end = samples[-1]
    checks = {
        "results": (not failures, f"{args.tests - len(failures)}/{args.tests} complete and exact"
                    + (f"; first failures: {failures[:3]}" if failures else "")),
        "descriptors": (end[1] == base[1], f"{base[1]} after test {base[0]}, {end[1]} at the end "
                        f"(max {max(s[1] for s in samples)})"),
        "memory": (args.sanitized or end[2] - base[2] < args.max_rss_growth,
                   f"RSS {base[2]} KiB after test {base[0]}, {end[2]} KiB at the end "
                   f"({end[2] - base[2]:+d} KiB; limit {args.max_rss_growth})"),
        "server": (alive and code == 0, f"alive at the end, exit code {code} on SIGTERM"),
    }
    failed = 0
    for name, (ok, detail) in checks.items():
        failed += not ok
        print(f"soak: {'ok  ' if ok else 'FAIL'} {name}: {detail}")
    print(f"soak: {args.tests} tests in {wall:.1f} s ({1000 * wall / max(args.tests, 1):.0f} ms "
          f"each), {busy} busy retries")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
