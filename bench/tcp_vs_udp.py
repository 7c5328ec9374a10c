#!/usr/bin/python3
"""The textbook claims about TCP and UDP, measured (README, "TCP vs UDP,
measured"). Writes results/tcp_vs_udp.json (every repetition's figures),
results/tcp_vs_udp.md (one table per claim: median [min-max] over the
repetitions) and plots/tcp_vs_udp.png.

    /usr/bin/python3 bench/tcp_vs_udp.py --netbench build/release/netbench
    bench/tcp_vs_udp.sh [build/release/netbench]      # the same

Claims and the measurement that tests each (R repetitions, interleaved so
that drift over time favours no case; R = --reps, default 3):
  connection cost  loopback, one flow, one transaction in flight, 2 s each:
                   TCP connection per request (--mode connect) against UDP
                   fresh socket per request (--mode connect), and both
                   protocols' request/response on one reused socket
                   (--mode echo); transactions/s and median latency
  header overhead  namespaced hosts (client -> router -> server), a fixed
                   count of 64 B and 1400 B messages, paced (one message per
                   packet) and unpaced; IP bytes and packets counted by
                   iptables in the server's namespace, both directions
                   (TCP's ACKs included), per payload byte
  reliability      the same hosts, iptables `statistic` drop on the server's
                   input: UDP loss against the injected rate, TCP's
                   application loss and retransmissions (scenario 2 of
                   tests/system/netns/validate.py)
  ordering         UDP through the seeded reorder/duplicate relay (scenario
                   4 of validate.py): reordered and duplicated datagrams as
                   the schedule made them; TCP delivers in order by
                   construction (netbench's TCP receiver counts any
                   disorder it sees in the byte stream: always 0)
  one-to-many      N = 3 receivers of the same 1400 B messages (20 k/s each,
                   4 s): UDP multicast (--receivers 3 --multicast) against
                   TCP, one connection per receiver (--flows 3); run in a
                   network namespace of its own, whose iptables OUTPUT
                   counter sees every IP byte (TCP's ACKs included); the
                   sender's CPU per message delivered
  speed            loopback stream (msgs/s, Gbit/s) and echo RTT (p50, p99)
                   at equal message sizes, 64 B and 1400 B, 2 s each
Needs root (network namespaces) for the namespaced claims; without it they
are reported as not measured and the exit code is 77. Every run is bounded
(60 s), the whole set takes ~4 min at --reps 3.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "system" / "netns"))
import topology  # noqa: E402
from topology import Topology  # noqa: E402
from validate import CONTROL_PORT, Harness  # noqa: E402

RUN_TIMEOUT_S = 60


def run_local(nb: str, args: list[str]) -> dict:
    """One paired run on loopback; returns its `run` object."""
    p = subprocess.run([nb, *args, "--json", "-q"], capture_output=True, text=True,
                       timeout=RUN_TIMEOUT_S)
    if p.returncode != 0:
        raise RuntimeError(f"netbench {' '.join(args)}: exit {p.returncode}: {p.stderr.strip()}")
    return json.loads(p.stdout)["run"]


def spread(values: list[float]) -> dict:
    return {"n": len(values), "median": statistics.median(values), "min": min(values),
            "max": max(values), "values": values}


# -- loopback: connection cost and speed ---------------------------------------------------

CONNECTION_CASES = {
    "tcp_connection_per_request": ["--proto", "tcp", "--mode", "connect"],
    "udp_fresh_socket_per_request": ["--proto", "udp", "--mode", "connect"],
    "tcp_reused_connection": ["--proto", "tcp", "--mode", "echo"],
    "udp_reused_socket": ["--proto", "udp", "--mode", "echo"],
}


def connection_cost(nb: str, reps: int, rng: random.Random) -> dict:
    order = [c for _ in range(reps) for c in CONNECTION_CASES]
    rng.shuffle(order)
    out: dict[str, dict[str, list]] = {c: {"transactions_per_s": [], "p50_us": [],
                                           "p99_us": []} for c in CONNECTION_CASES}
    for case in order:
        r = run_local(nb, [*CONNECTION_CASES[case], "--size", "64", "--flows", "1",
                           "--duration", "2s"])
        lat = r["latency"]["from_actual_send"]
        # Connect mode counts transactions; echo's closed loop sends one
        # request per reply received.
        tps = r["connect"]["transactions_per_s"] if r.get("connect") \
            else r["sender"]["messages_per_s"]
        out[case]["transactions_per_s"].append(tps)
        out[case]["p50_us"].append(lat["p50_ns"] / 1e3)
        out[case]["p99_us"].append(lat["p99_ns"] / 1e3)
        print(f"  {case}: {tps:,.0f} transactions/s, p50 {lat['p50_ns'] / 1e3:.1f} us",
              flush=True)
    return {c: {k: spread(v) for k, v in figs.items()} for c, figs in out.items()}


def speed(nb: str, reps: int, rng: random.Random) -> dict:
    cases = [(proto, mode, size) for proto in ("tcp", "udp") for mode in ("stream", "echo")
             for size in (64, 1400)]
    order = [c for _ in range(reps) for c in cases]
    rng.shuffle(order)
    out: dict[str, dict[str, list]] = {}
    for proto, mode, size in order:
        key = f"{proto}_{mode}_{size}B"
        extra = ["--buffer", "4MiB"] if proto == "udp" and mode == "stream" else []
        r = run_local(nb, ["--proto", proto, "--mode", mode, "--size", str(size), "--flows", "1",
                           "--duration", "2s", *extra])
        figs = out.setdefault(key, {})
        if mode == "stream":
            rx = r["receiver"]
            figs.setdefault("received_msgs_per_s", []).append(rx["messages_per_s"])
            figs.setdefault("received_gbit_per_s", []).append(rx["throughput_bps"] / 1e9)
            figs.setdefault("loss_ratio", []).append(rx["loss"]["ratio"])
            print(f"  {key}: {rx['messages_per_s']:,.0f} msgs/s received, "
                  f"{rx['throughput_bps'] / 1e9:.2f} Gbit/s, loss {rx['loss']['ratio']:.4f}",
                  flush=True)
        else:
            lat = r["latency"]["from_actual_send"]
            figs.setdefault("rtt_p50_us", []).append(lat["p50_ns"] / 1e3)
            figs.setdefault("rtt_p99_us", []).append(lat["p99_ns"] / 1e3)
            print(f"  {key}: RTT p50 {lat['p50_ns'] / 1e3:.1f} us, p99 "
                  f"{lat['p99_ns'] / 1e3:.1f} us", flush=True)
    return {k: {f: spread(v) for f, v in figs.items()} for k, figs in sorted(out.items())}


# -- namespaced hosts: header overhead, reliability, ordering --------------------------------

def ipt_counters(h: Harness, chain: str) -> tuple[int, int]:
    """Packets and bytes of the netbench rules in `chain` of the server's filter table."""
    return accept_counters(h.t.run(h.t.server, ["iptables", "-L", chain, "-n", "-v", "-x"]))


def accept_counters(out: str) -> tuple[int, int]:
    """Packets and bytes summed over the ACCEPT rules of an `iptables -L -n -v -x` listing."""
    pk = by = 0
    for line in out.splitlines():
        f = line.split()
        if len(f) > 2 and f[0].isdigit() and f[2] == "ACCEPT":
            pk += int(f[0])
            by += int(f[1])
    return pk, by


def header_overhead(h: Harness, reps: int, rng: random.Random) -> dict:
    count = 10_000
    # TCP paced twice: with netbench's stream default (Nagle on: a small
    # write waits while data is unacknowledged, so messages share segments)
    # and with --nodelay (one segment per message, as UDP's one datagram).
    cases = [(proto, size, how) for proto in ("tcp", "udp") for size in (64, 1400)
             for how in ("paced", "paced_nodelay", "unpaced") if how == "paced" or proto == "tcp"]
    order = [c for _ in range(reps) for c in cases]
    rng.shuffle(order)
    srv = h.serve(CONTROL_PORT)
    out: dict[str, dict[str, list]] = {}
    try:
        for proto, size, how in order:
            key = f"{proto}_{size}B_{how}"
            for chain, port_flag in (("INPUT", "--dport"), ("OUTPUT", "--sport")):
                h.t.run(h.t.server, ["iptables", "-F", chain])
                h.t.run(h.t.server, ["iptables", "-A", chain, "-p", proto, "!", port_flag,
                                     str(CONTROL_PORT), "-j", "ACCEPT"])
            rate = {"paced": ["--rate", "5k"], "paced_nodelay": ["--rate", "5k", "--nodelay"],
                    "unpaced": []}[how]
            doc = h.client(h.t.clients[0], ["--proto", proto, "--size", str(size), "--count",
                                            str(count), *rate, "--buffer", "4MiB"])
            r = doc["run"]
            if doc["_exit"] != 0 or r["receiver"]["messages"] != count:
                raise RuntimeError(f"{key}: run incomplete ({r['receiver']['messages']}/{count})")
            in_pk, in_by = ipt_counters(h, "INPUT")
            out_pk, out_by = ipt_counters(h, "OUTPUT")
            payload = count * size
            figs = out.setdefault(key, {})
            figs.setdefault("ip_bytes_per_payload_byte", []).append((in_by + out_by) / payload)
            figs.setdefault("forward_ip_bytes_per_payload_byte", []).append(in_by / payload)
            figs.setdefault("forward_packets_per_message", []).append(in_pk / count)
            figs.setdefault("reverse_packets_per_message", []).append(out_pk / count)
            print(f"  {key}: {(in_by + out_by) / payload:.3f} IP bytes per payload byte "
                  f"({in_pk / count:.3f} packets/message forward, {out_pk / count:.3f} back)",
                  flush=True)
    finally:
        for chain in ("INPUT", "OUTPUT"):
            h.t.run(h.t.server, ["iptables", "-F", chain], check=False)
        h.stop(srv)
    return {k: {f: spread(v) for f, v in figs.items()} for k, figs in sorted(out.items())}


def reliability(h: Harness, reps: int) -> dict:
    runs = [h.random_loss() for _ in range(reps)]
    return {
        "udp_injected_drop": runs[0]["p"],
        "udp_messages": runs[0]["udp_messages"],
        "udp_loss_pct": spread([r["udp_network_loss_ratio"] * 100 for r in runs]),
        "udp_iptables_dropped": spread([r["iptables_dropped"] for r in runs]),
        "udp_lost": spread([r["udp_lost"] for r in runs]),
        "tcp_injected_drop": runs[0]["tcp_p"],
        "tcp_application_loss": spread([r["tcp_lost"] for r in runs]),
        "tcp_bytes_missing": spread([r["tcp_bytes_sent"] - r["tcp_bytes_received"] for r in runs]),
        "tcp_retransmits": spread([r["tcp_retransmits"] for r in runs]),
        "tcp_iptables_dropped": spread([r["tcp_iptables_dropped"] for r in runs]),
        "tcp_goodput_mbit_per_s": spread([r["tcp_goodput_bps"] / 1e6 for r in runs]),
    }


def ordering(h: Harness) -> dict:
    r = h.reordering()
    truth = {"reordered": sum(c["truth"]["reordered"] for c in r["checked"].values()),
             "duplicates": sum(c["truth"]["duplicates"] for c in r["checked"].values())}
    return {"messages": r["flows"] * r["per_flow"], "schedule": truth,
            "netbench": {k: r["receiver"][k] for k in ("reordered", "duplicates",
                                                       "max_reorder_extent")}}


def one_to_many(nb: str, reps: int, rng: random.Random) -> dict:
    receivers, rate, count, size = 3, 20_000, 80_000, 1400
    ns = f"nbtvu{os.getpid()}"
    cases = {
        "udp_multicast": ["--proto", "udp", "--receivers", str(receivers), "--multicast",
                          "239.7.7.7", "--rate", f"{rate}", "--count", str(count),
                          "--buffer", "4MiB"],
        "tcp_connections": ["--proto", "tcp", "--flows", str(receivers), "--rate",
                            f"{rate * receivers}", "--count", str(count * receivers)],
    }
    order = [c for _ in range(reps) for c in cases]
    rng.shuffle(order)
    out: dict[str, dict[str, list]] = {}
    topology.sh(["ip", "netns", "add", ns])
    try:
        topology.sh(["ip", "-n", ns, "link", "set", "lo", "up"])
        for case in order:
            topology.sh(["ip", "netns", "exec", ns, "iptables", "-F", "OUTPUT"])
            topology.sh(["ip", "netns", "exec", ns, "iptables", "-A", "OUTPUT", "-j", "ACCEPT"])
            p = subprocess.run(["ip", "netns", "exec", ns, nb, *cases[case], "--size", str(size),
                                "--json", "-q"], capture_output=True, text=True,
                               timeout=RUN_TIMEOUT_S)
            if p.returncode != 0:
                raise RuntimeError(f"{case}: exit {p.returncode}: {p.stderr.strip()}")
            r = json.loads(p.stdout)["run"]
            packets, ip_bytes = accept_counters(topology.sh(
                ["ip", "netns", "exec", ns, "iptables", "-L", "OUTPUT", "-n", "-v", "-x"]))
            delivered = r["receiver"]["messages"]  # deliveries: message x receiver
            tx = r["sender"]["cost"]
            cpu_s = tx["user_s"] + tx["sys_s"]
            figs = out.setdefault(case, {})
            figs.setdefault("deliveries", []).append(delivered)
            figs.setdefault("messages_sent", []).append(r["sender"]["messages"])
            figs.setdefault("ip_bytes_per_delivered_byte", []).append(
                ip_bytes / max(1, delivered * size))
            figs.setdefault("packets", []).append(packets)
            figs.setdefault("sender_cpu_us_per_delivery", []).append(
                cpu_s * 1e6 / max(1, delivered))
            figs.setdefault("loss_ratio", []).append(r["receiver"]["loss"]["ratio"])
            print(f"  {case}: {delivered:,} deliveries of {r['sender']['messages']:,} sent, "
                  f"{ip_bytes / max(1, delivered * size):.3f} IP bytes per delivered byte, "
                  f"sender {cpu_s * 1e6 / max(1, delivered):.2f} us CPU per delivery", flush=True)
    finally:
        topology.sh(["ip", "netns", "del", ns], check=False)
    return {"receivers": receivers, "rate_per_receiver": rate, "messages_per_receiver": count,
            "size": size, **{k: {f: spread(v) for f, v in figs.items()}
                             for k, figs in sorted(out.items())}}


# -- report -------------------------------------------------------------------------------------

def fmt(s: dict, digits: int = 0, unit: str = "") -> str:
    f = f"{{:,.{digits}f}}"
    return f"{f.format(s['median'])}{unit} [{f.format(s['min'])}–{f.format(s['max'])}]"


def markdown(doc: dict) -> str:
    reps = doc["reps"]
    lines = [
        "# TCP vs UDP, measured",
        "",
        f"Written by `bench/tcp_vs_udp.sh` on {doc['date']} ({doc['host']}; "
        f"`{doc['netbench_version']}` at {doc['commit']}, `{doc['netbench']}`). Every figure: median [min–max] of {reps} "
        "repetitions, the cases of each table interleaved in a shuffled order "
        f"(seed {doc['seed']}). Loopback figures are paired runs on one 2-vCPU VM; "
        "the namespaced ones run between network namespaces joined by veth "
        "pairs and a router (`tests/system/netns/topology.py`).",
        "",
        "## Connection cost",
        "",
        "*Claim: TCP pays for opening, maintaining and terminating a connection; "
        "UDP does not.* One flow, one transaction in flight, 64 B requests, 2 s per "
        "run, loopback.",
        "",
        "| transaction | transactions/s | latency p50 (µs) | latency p99 (µs) |",
        "| --- | --- | --- | --- |",
    ]
    names = {"tcp_connection_per_request": "TCP, a connection per request "
             "(connect, send, read, close: `--mode connect`)",
             "udp_fresh_socket_per_request": "UDP, a fresh socket per request "
             "(`--mode connect`)",
             "tcp_reused_connection": "TCP, one reused connection (`--mode echo`)",
             "udp_reused_socket": "UDP, one reused socket (`--mode echo`)"}
    cc = doc["connection_cost"]
    for k, name in names.items():
        c = cc[k]
        lines.append(f"| {name} | {fmt(c['transactions_per_s'])} | {fmt(c['p50_us'], 1)} | "
                     f"{fmt(c['p99_us'], 1)} |")
    tcp_c = cc["tcp_connection_per_request"]["transactions_per_s"]["median"]
    tcp_r = cc["tcp_reused_connection"]["transactions_per_s"]["median"]
    udp_f = cc["udp_fresh_socket_per_request"]["transactions_per_s"]["median"]
    udp_r = cc["udp_reused_socket"]["transactions_per_s"]["median"]
    lines += ["", f"A connection per request runs at {tcp_c / tcp_r:.2f}x the rate of a reused "
              f"TCP connection; a fresh UDP socket per request at {udp_f / udp_r:.2f}x a reused "
              f"one. Setting up and tearing down costs TCP {(1 / tcp_c - 1 / tcp_r) * 1e6:.0f} µs "
              f"per transaction here and a fresh UDP socket {(1 / udp_f - 1 / udp_r) * 1e6:.0f} µs "
              "(from the medians): the claim "
              + ("holds" if tcp_c / tcp_r < udp_f / udp_r else "does not hold") + " on this host.",
              ""]
    lines += ["## Header overhead", "",
              "*Claim: TCP headers are 20-80 bytes, UDP's 8.* IP bytes on the wire "
              "(iptables byte counters in the server's namespace, both directions, "
              "TCP's ACKs included; Ethernet framing not counted) per byte of payload, "
              "10,000 messages. Paced = 5,000 messages/s; TCP paced with netbench's "
              "stream default (Nagle on: a small write waits while data is "
              "unacknowledged, so messages share segments) and with `--nodelay` (a "
              "segment per message, like UDP's datagram per message); unpaced = as fast "
              "as the sender goes.", "",
              "| case | IP bytes per payload byte | packets/message forward | "
              "packets/message back |", "| --- | --- | --- | --- |"]
    for k, c in doc["header_overhead"].items():
        lines.append(f"| {k.replace('_', ' ')} | {fmt(c['ip_bytes_per_payload_byte'], 3)} | "
                     f"{fmt(c['forward_packets_per_message'], 3)} | "
                     f"{fmt(c['reverse_packets_per_message'], 3)} |")
    ho = doc["header_overhead"]

    def per_byte(k: str) -> float:
        return ho[k]["ip_bytes_per_payload_byte"]["median"]

    lines += ["", "Per packet, UDP adds 28 bytes (IP 20 + UDP 8) and TCP 52 here (IP 20 + TCP "
              "20 + 12 of timestamp option), plus TCP's ACKs coming back. Small paced "
              "messages, a segment each: 64 B costs "
              f"{per_byte('tcp_64B_paced_nodelay'):.2f} wire bytes per payload byte over TCP "
              f"against {per_byte('udp_64B_paced'):.2f} over UDP (with Nagle, "
              f"{per_byte('tcp_64B_paced'):.2f}). Unpaced, TCP "
              "packs messages into large segments, which UDP (one datagram per message) "
              f"cannot: {per_byte('tcp_64B_unpaced'):.3f} at 64 B. At 1400 B paced: TCP "
              f"{per_byte('tcp_1400B_paced_nodelay'):.3f} (`--nodelay`), UDP {per_byte('udp_1400B_paced'):.3f}.", ""]

    rel = doc.get("reliability")
    lines += ["## Reliability", ""]
    if rel:
        lines += [
            "*Claim: TCP delivers everything, UDP does not.* Namespaced hosts, an "
            "iptables `statistic` drop on the server's input: UDP 200,000 datagrams "
            f"of 200 B at 50 k/s with p = {rel['udp_injected_drop']}; TCP a 3 s stream "
            f"with p = {rel['tcp_injected_drop']}.", "",
            "| figure | median [min–max] |", "| --- | --- |",
            f"| UDP loss netbench reports (%) | {fmt(rel['udp_loss_pct'], 3)} |",
            f"| UDP datagrams iptables dropped | {fmt(rel['udp_iptables_dropped'])} |",
            f"| UDP datagrams netbench counts lost | {fmt(rel['udp_lost'])} |",
            f"| TCP messages lost by the application | {fmt(rel['tcp_application_loss'])} |",
            f"| TCP bytes sent but not received | {fmt(rel['tcp_bytes_missing'])} |",
            f"| TCP segments iptables dropped | {fmt(rel['tcp_iptables_dropped'])} |",
            f"| TCP retransmissions (the sender's `tcpi_total_retrans`) | "
            f"{fmt(rel['tcp_retransmits'])} |",
            f"| TCP goodput (Mbit/s) | {fmt(rel['tcp_goodput_mbit_per_s'])} |", "",
            "UDP loses what the network drops; TCP's losses are repaired by "
            "retransmission, paid for in goodput (congestion control shrinks its "
            "window at each loss).", ""]
    else:
        lines += ["Not measured in this run (network namespaces unavailable).", ""]

    order = doc.get("ordering")
    lines += ["## Ordering", ""]
    if order:
        lines += [
            "*Claim: TCP delivers in order, UDP may not.* UDP through a relay that "
            "delays and duplicates datagrams by a seeded schedule "
            f"({order['messages']:,} datagrams, one run: the schedule is deterministic).", "",
            "| figure | the schedule made | netbench counted |", "| --- | --- | --- |",
            f"| reordered datagrams (RFC 4737) | {order['schedule']['reordered']:,} | "
            f"{order['netbench']['reordered']:,} |",
            f"| duplicated datagrams | {order['schedule']['duplicates']:,} | "
            f"{order['netbench']['duplicates']:,} |", "",
            "The application sees UDP's disorder as it happened on the path. A TCP "
            "receiver never does: the kernel reorders segments and drops duplicates "
            "before the application reads, so netbench's TCP receiver counts 0 "
            "reordered and 0 duplicated messages on every path (the relay acts on UDP "
            "only; the cost of reordering to TCP is not measured here).", ""]
    else:
        lines += ["Not measured in this run (network namespaces unavailable).", ""]

    otm = doc.get("one_to_many")
    lines += ["## One-to-many delivery", ""]
    if otm:
        mc, tc = otm["udp_multicast"], otm["tcp_connections"]
        wire_ratio = (tc["ip_bytes_per_delivered_byte"]["median"]
                      / mc["ip_bytes_per_delivered_byte"]["median"])
        cpu_ratio = (mc["sender_cpu_us_per_delivery"]["median"]
                     / tc["sender_cpu_us_per_delivery"]["median"])
        lines += [
            "*Claim: UDP supports broadcast and multicast and is efficient for them; TCP "
            f"does not.* {otm['receivers']} receivers each get {otm['messages_per_receiver']:,} "
            f"messages of {otm['size']} B at {otm['rate_per_receiver'] // 1000} k/s: by UDP "
            f"multicast (`--receivers {otm['receivers']} --multicast 239.7.7.7`: one datagram "
            "per message, the kernel delivers a copy to every member) and by TCP (`--flows "
            f"{otm['receivers']}`: a connection per receiver, every message sent "
            f"{otm['receivers']} times). Paired, in a network namespace of its own; IP bytes "
            "from its iptables OUTPUT counter (TCP's ACKs included).", "",
            "| figure | UDP multicast | TCP, a connection per receiver |",
            "| --- | --- | --- |",
            f"| messages the sender sent | {fmt(mc['messages_sent'])} | {fmt(tc['messages_sent'])} |",
            f"| deliveries (message × receiver) | {fmt(mc['deliveries'])} | "
            f"{fmt(tc['deliveries'])} |",
            f"| IP bytes sent per byte delivered | {fmt(mc['ip_bytes_per_delivered_byte'], 3)} | "
            f"{fmt(tc['ip_bytes_per_delivered_byte'], 3)} |",
            f"| sender CPU per delivery (µs) | {fmt(mc['sender_cpu_us_per_delivery'], 2)} | "
            f"{fmt(tc['sender_cpu_us_per_delivery'], 2)} |",
            f"| loss | {fmt(mc['loss_ratio'], 4)} | {fmt(tc['loss_ratio'], 4)} |", "",
            f"Multicast puts {wire_ratio:.1f}x fewer IP bytes on the wire per byte delivered "
            f"(one copy leaves the sender instead of {otm['receivers']}). Its sender CPU per "
            f"delivery is {cpu_ratio:.2f}x TCP's (medians): "
            + ("lower" if cpu_ratio < 1 else "higher")
            + ". On one host the kernel delivers each member's copy inside the sender's "
            "system call, so the whole fan-out's cost lands on the sender; on a real network "
            "the switch makes the copies.", ""]
    else:
        lines += ["Not measured in this run (network namespaces unavailable).", ""]

    sp = doc["speed"]
    lines += ["## Speed at equal message sizes", "",
              "*Claim: UDP is faster.* Loopback, one flow, 2 s per run; stream: what the "
              "receiver got; echo: round-trip time of one request in flight.", "",
              "| size | TCP stream msgs/s | UDP stream msgs/s | UDP stream loss | "
              "TCP echo RTT p50 / p99 (µs) | UDP echo RTT p50 / p99 (µs) |",
              "| --- | --- | --- | --- | --- | --- |"]
    for size in (64, 1400):
        ts, us = sp[f"tcp_stream_{size}B"], sp[f"udp_stream_{size}B"]
        te, ue = sp[f"tcp_echo_{size}B"], sp[f"udp_echo_{size}B"]
        lines.append(
            f"| {size} B | {fmt(ts['received_msgs_per_s'])} | {fmt(us['received_msgs_per_s'])} | "
            f"{fmt(us['loss_ratio'], 4)} | {fmt(te['rtt_p50_us'], 1)} / "
            f"{fmt(te['rtt_p99_us'], 1)} | {fmt(ue['rtt_p50_us'], 1)} / "
            f"{fmt(ue['rtt_p99_us'], 1)} |")
    def med(k: str, f: str) -> float:
        return sp[k][f]["median"]

    rtt_ratio = med("tcp_echo_64B", "rtt_p50_us") / med("udp_echo_64B", "rtt_p50_us")
    rate_ratio = med("tcp_stream_64B", "received_msgs_per_s") / med("udp_stream_64B",
                                                                      "received_msgs_per_s")
    lines += ["", f"At 64 B, TCP's echo round trip is {rtt_ratio:.2f}x UDP's (p50 medians) and "
              f"a TCP stream delivers {rate_ratio:.2f}x the messages per second of a UDP "
              "stream. Both senders make one send() per message, but TCP's kernel appends "
              "the bytes to large segments and its receiver reads many messages per "
              "recv(), where every UDP message is a datagram through the stack and a "
              "receive of its own (netbench's `--batch`/`--gso` narrow that; not used "
              "here).", "",
              "![TCP vs UDP](../plots/tcp_vs_udp.png)", ""]
    return "\n".join(lines)


def chart(doc: dict, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    otm = doc.get("one_to_many")
    fig, axes = plt.subplots(1, 4 if otm else 3, figsize=(19 if otm else 15, 4.4))

    def bars(ax, labels, stats, title, ylabel):
        med = [s["median"] for s in stats]
        err = [[s["median"] - s["min"] for s in stats], [s["max"] - s["median"] for s in stats]]
        colours = ["#1f77b4" if lbl.startswith("TCP") else "#ff7f0e" for lbl in labels]
        ax.bar(range(len(labels)), med, yerr=err, capsize=4, color=colours)
        ax.set_xticks(range(len(labels)))
        ax.set_xticklabels(labels, fontsize=7)
        ax.set_title(title, fontsize=10)
        ax.set_ylabel(ylabel)

    cc = doc["connection_cost"]
    bars(axes[0], ["TCP\nconn/request", "UDP\nsocket/request", "TCP\nreused", "UDP\nreused"],
         [cc[k]["transactions_per_s"] for k in CONNECTION_CASES],
         "Connection cost (64 B, 1 in flight)", "transactions/s")
    ho = doc["header_overhead"]
    keys = ["tcp_64B_paced_nodelay", "tcp_64B_paced", "udp_64B_paced", "tcp_64B_unpaced",
            "tcp_1400B_paced_nodelay", "udp_1400B_paced"]
    bars(axes[1], ["TCP 64 B\nNODELAY", "TCP 64 B\nNagle", "UDP 64 B", "TCP 64 B\nunpaced",
                   "TCP 1400 B\nNODELAY", "UDP 1400 B"],
         [ho[k]["ip_bytes_per_payload_byte"] for k in keys],
         "Header overhead (5 k messages/s; \"unpaced\": as fast as it goes)", "IP bytes per payload byte")
    sp = doc["speed"]
    bars(axes[2], ["TCP 64 B", "UDP 64 B", "TCP 1400 B", "UDP 1400 B"],
         [sp[k]["rtt_p50_us"] for k in ("tcp_echo_64B", "udp_echo_64B", "tcp_echo_1400B",
                                        "udp_echo_1400B")],
         "Echo RTT p50 (1 in flight)", "µs")
    if otm:
        bars(axes[3], ["UDP\nmulticast", "TCP\n3 connections"],
             [otm[k]["sender_cpu_us_per_delivery"] for k in ("udp_multicast", "tcp_connections")],
             f"One-to-many: {otm['receivers']} receivers, {otm['size']} B",
             "sender CPU per delivery (µs)")
    fig.suptitle(f"TCP vs UDP on one VM: median and range of {doc['reps']} repetitions",
                 fontsize=11)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--netbench", default=str(ROOT / "build" / "release" / "netbench"))
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--seed", type=int, default=20261130)
    ap.add_argument("--json-out", default=str(ROOT / "results" / "tcp_vs_udp.json"))
    ap.add_argument("--md-out", default=str(ROOT / "results" / "tcp_vs_udp.md"))
    ap.add_argument("--chart", default=str(ROOT / "plots" / "tcp_vs_udp.png"))
    args = ap.parse_args()
    if args.reps < 1:
        print("tcp_vs_udp: --reps must be at least 1", file=sys.stderr)
        return 2
    nb = str(Path(args.netbench).resolve())
    if not Path(nb).is_file():
        print(f"tcp_vs_udp: {nb} not found: build it first (cmake --preset release && "
              "cmake --build --preset release)", file=sys.stderr)
        return 2
    rng = random.Random(args.seed)
    version = subprocess.run([nb, "--version"], capture_output=True, text=True).stdout.strip()
    doc: dict = {"date": time.strftime("%Y-%m-%d"), "host": subprocess.run(
        ["uname", "-sr"], capture_output=True, text=True).stdout.strip(),
        "netbench_version": version, "netbench": args.netbench, "reps": args.reps,
        "seed": args.seed, "commit": subprocess.run(
            ["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True,
            text=True).stdout.strip()}
    start = time.monotonic()
    print("== connection cost (loopback)", flush=True)
    doc["connection_cost"] = connection_cost(nb, args.reps, rng)
    print("== speed (loopback)", flush=True)
    doc["speed"] = speed(nb, args.reps, rng)
    ok, why = topology.netns_permitted()
    code = 0
    if ok:
        topology.remove_stale()
        with tempfile.TemporaryDirectory() as tmp, Topology(clients=2) as topo:
            h = Harness(nb, topo, Path(tmp))
            try:
                print("== header overhead (namespaced hosts)", flush=True)
                doc["header_overhead"] = header_overhead(h, args.reps, rng)
                print("== reliability (namespaced hosts)", flush=True)
                doc["reliability"] = reliability(h, args.reps)
                print("== ordering (namespaced hosts)", flush=True)
                doc["ordering"] = ordering(h)
                print("== one-to-many (a namespace of its own)", flush=True)
                doc["one_to_many"] = one_to_many(nb, args.reps, rng)
            finally:
                h.stop_all()
            failed = h.checks.failed
            if failed:
                print(f"tcp_vs_udp: {len(failed)} ground-truth checks failed: "
                      f"{failed[:3]}", file=sys.stderr)
                code = 1
    else:
        print(f"tcp_vs_udp: namespaced claims not measured: {why}", file=sys.stderr)
        code = 77
    doc["elapsed_s"] = round(time.monotonic() - start, 1)
    Path(args.json_out).write_text(json.dumps(doc, indent=1) + "\n")
    if "header_overhead" in doc:
        Path(args.md_out).write_text(markdown(doc))
        chart(doc, Path(args.chart))
    print(f"tcp_vs_udp: {doc['elapsed_s']} s; wrote {args.json_out}"
          + (f", {args.md_out}, {args.chart}" if "header_overhead" in doc else ""))
    return code


if __name__ == "__main__":
    sys.exit(main())
