#!/usr/bin/python3
"""netbench against the peer tools on loopback: iperf3, iperf2, nuttcp, qperf
and sockperf. Run through bench/compare_peers.sh (see its --help).

Every repetition runs every row's entries back to back (the peers, then the
netbench variants), so that drifting machine load hits all of them alike; the
table reports medians over the repetitions and the JSON keeps every sample.

Each measurement is bounded: the client runs under a timeout, and the peer's
server is started for that one measurement and stopped by the PID saved when
it was started (also on exit, on Ctrl-C and on SIGTERM). A server per
measurement keeps each receiver-side report apart (iperf2 prints its
receiver figures on the server; its UDP server also stops reporting after a
high-rate client it lost the end of) and costs nothing measured.

Figures are always the receiver's: iperf3's sum_received / the server's loss
count, iperf2's server report, nuttcp's (receiver-reported) totals, qperf's
recv_bw, netbench's receiver. Latency: sockperf and qperf print half the
round trip; the table shows the round trip (2x what they print). qperf gives
a mean only, so it is compared on the RTT mean row, never on p50/p99.
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HOST = "127.0.0.1"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEERS = ("iperf3", "iperf2", "nuttcp", "qperf", "sockperf")
BINARIES = {"iperf3": "iperf3", "iperf2": "iperf", "nuttcp": "nuttcp", "qperf": "qperf",
            "sockperf": "sockperf"}
PACKAGES = {"iperf3": "iperf3", "iperf2": "iperf", "nuttcp": "nuttcp", "qperf": "qperf",
            "sockperf": "sockperf"}

# metric: (label, unit, which way is better)
METRICS = {
    "goodput_gbps": ("goodput", "Gbit/s", "higher"),
    "msgs_per_s": ("received", "msgs/s", "higher"),
    "rtt_p50_us": ("RTT p50", "µs", "lower"),
    "rtt_p99_us": ("RTT p99", "µs", "lower"),
    "rtt_mean_us": ("RTT mean", "µs", "lower"),
}
KIND_METRICS = {"tcp_stream": ["goodput_gbps"], "udp_stream": ["msgs_per_s", "goodput_gbps"],
                "echo": ["rtt_p50_us", "rtt_p99_us", "rtt_mean_us"]}

# Row name: (kind, proto, message bytes)
ROWS = {
    "tcp_stream_128KiB": ("tcp_stream", "tcp", 131072),
    "tcp_stream_1400B": ("tcp_stream", "tcp", 1400),
    "udp_stream_64B": ("udp_stream", "udp", 64),
    "udp_stream_1400B": ("udp_stream", "udp", 1400),
    "udp_echo_64B": ("echo", "udp", 64),
    "tcp_echo_64B": ("echo", "tcp", 64),
}

# netbench variants per kind: (label, extra flags). The first is the default
# mode; the others are the fast paths, each its own row of the table.
NB_VARIANTS = {
    "tcp_stream": [("netbench", []), ("netbench --stats counts", ["--stats", "counts"]),
                   ("netbench --coalesce 20us", ["--coalesce", "20us"]),
                   ("netbench --busy-poll", ["--busy-poll"])],
    "udp_stream": [
        ("netbench", []),
        ("netbench --stats counts", ["--stats", "counts"]),
        ("netbench --batch 32 --buffer 4MiB", ["--batch", "32", "--buffer", "4MiB"]),
        ("netbench --batch 32 --buffer 4MiB --coalesce 100us",
         ["--batch", "32", "--buffer", "4MiB", "--coalesce", "100us"]),
        ("netbench --batch 32 --buffer 4MiB --busy-poll",
         ["--batch", "32", "--buffer", "4MiB", "--busy-poll"]),
        # The thread model's reader waits in a blocking read or a pause, so
        # its socket has no waiter while data flows; an epoll set is a waiter
        # on every socket, called back on the sender's CPU for each datagram.
        ("netbench --model thread --batch 32 --buffer 4MiB --coalesce 100us",
         ["--model", "thread", "--batch", "32", "--buffer", "4MiB", "--coalesce", "100us"]),
        ("netbench --model thread --batch 32 --buffer 4MiB --busy-poll",
         ["--model", "thread", "--batch", "32", "--buffer", "4MiB", "--busy-poll"]),
        ("netbench --gso --buffer 4MiB", ["--gso", "--buffer", "4MiB"]),
    ],
    "echo": [("netbench", []), ("netbench --busy-poll", ["--busy-poll"])],
}

# The targets: (row, metric, netbench variant, reference, op, bound).
# reference "best" = the best peer of that metric; otherwise a peer's name.
TARGETS = [
    ("tcp_stream_128KiB", "goodput_gbps", "netbench", "best", ">=", 1.0),
    ("tcp_stream_1400B", "goodput_gbps", "netbench", "best", ">=", 1.0),
    ("tcp_stream_128KiB", "goodput_gbps", "netbench --coalesce 20us", "best", ">=", 1.0),
    ("tcp_stream_1400B", "goodput_gbps", "netbench --coalesce 20us", "best", ">=", 1.0),
    ("tcp_stream_128KiB", "goodput_gbps", "netbench --busy-poll", "best", ">=", 1.0),
    ("tcp_stream_1400B", "goodput_gbps", "netbench --busy-poll", "best", ">=", 1.0),
    ("udp_stream_64B", "msgs_per_s", "netbench --batch 32 --buffer 4MiB", "iperf3", ">=", 1.25),
    ("udp_stream_64B", "msgs_per_s", "netbench --batch 32 --buffer 4MiB --coalesce 100us", "iperf3",
     ">=", 1.25),
    ("udp_stream_64B", "msgs_per_s", "netbench --batch 32 --buffer 4MiB --busy-poll", "iperf3",
     ">=", 1.25),
    ("udp_stream_64B", "msgs_per_s", "netbench --model thread --batch 32 --buffer 4MiB --coalesce 100us",
     "iperf3", ">=", 1.25),
    ("udp_stream_64B", "msgs_per_s", "netbench --model thread --batch 32 --buffer 4MiB --busy-poll",
     "iperf3", ">=", 1.25),
    ("udp_stream_1400B", "goodput_gbps", "netbench --gso --buffer 4MiB", "iperf3", ">=", 5.0),
    ("udp_echo_64B", "rtt_p50_us", "netbench", "sockperf", "<=", 1.05),
    ("tcp_echo_64B", "rtt_p50_us", "netbench", "sockperf", "<=", 1.05),
    ("udp_echo_64B", "rtt_p50_us", "netbench --busy-poll", "sockperf", "<=", 0.5),
    ("tcp_echo_64B", "rtt_p50_us", "netbench --busy-poll", "sockperf", "<=", 0.5),
]


class Failed(Exception):
    pass


# --- parsing each tool's output into {metric: value} ---


def parse_netbench(kind, size, out, _server_log):
    try:
        doc = json.loads(out)
    except ValueError:
        raise Failed("no JSON output") from None
    run = doc.get("run")
    if doc.get("error") or not run:
        raise Failed(doc.get("error") or "no run in document")
    if not run.get("complete"):
        raise Failed("run incomplete: " + str(run.get("error", "")))
    if kind == "echo":
        lat = run["latency"]["from_actual_send"]
        if not lat["count"]:
            raise Failed("no RTT samples")
        return {"rtt_p50_us": lat["p50_ns"] / 1e3, "rtt_p99_us": lat["p99_ns"] / 1e3,
                "rtt_mean_us": lat["mean_ns"] / 1e3}
    rx = run["receiver"]
    m = {"goodput_gbps": rx["throughput_bps"] / 1e9}
    if kind == "udp_stream":
        m["msgs_per_s"] = rx["messages_per_s"]
    return m


def parse_iperf3(kind, size, out, _server_log):
    try:
        doc = json.loads(out)
    except ValueError:
        raise Failed("no JSON output") from None
    if doc.get("error"):
        raise Failed(doc["error"])
    end = doc["end"]
    if kind == "udp_stream":
        # Delivered = sent minus the server's loss count (iperf3 3.12's
        # sum_received.packets is not a receive count).
        s = end["sum"]
        rate = (s["packets"] - s["lost_packets"]) / s["seconds"]
        return {"msgs_per_s": rate, "goodput_gbps": rate * size * 8 / 1e9}
    return {"goodput_gbps": end["sum_received"]["bits_per_second"] / 1e9}


def parse_iperf2(kind, size, _out, server_log):
    # The server's -y C report: ...,interval,bytes,bits_per_second[,jitter,
    # lost,total,loss%,out_of_order] (UDP has the bracketed fields).
    lines = [l.split(",") for l in server_log.splitlines() if l.count(",") >= 8]
    if not lines:
        raise Failed("no receiver report from the iperf2 server")
    bps = float(lines[-1][8])
    m = {"goodput_gbps": bps / 1e9}
    if kind == "udp_stream":
        m["msgs_per_s"] = bps / 8 / size
    return m


def parse_nuttcp(kind, size, out, _server_log):
    # -fparse: key=value; the client prints the receiver's totals (for UDP
    # with drop= and pkt=); rate_Mbps is received data in 10^6 bit/s.
    kv = dict(re.findall(r"(\w+)=([0-9.]+)", out))
    if "rate_Mbps" not in kv:
        raise Failed("no rate_Mbps in output")
    bps = float(kv["rate_Mbps"]) * 1e6
    m = {"goodput_gbps": bps / 1e9}
    if kind == "udp_stream":
        m["msgs_per_s"] = bps / 8 / size
    return m


def parse_qperf(kind, size, out, _server_log):
    # -uu: plain units (bytes/sec, ns). udp_bw's recv_bw is the receiver's;
    # tcp_lat/udp_lat print the mean one-way latency, half the round trip.
    kv = {k: float(v) for k, v in re.findall(r"(\w+)\s*=\s*([0-9.]+)", out)}
    if kind == "echo":
        if "latency" not in kv or "ns" not in out:
            raise Failed("no latency in ns in output")
        return {"rtt_mean_us": 2 * kv["latency"] / 1e3}
    bw = kv.get("recv_bw", kv.get("bw"))
    if bw is None:
        raise Failed("no bandwidth in output")
    m = {"goodput_gbps": bw * 8 / 1e9}
    if kind == "udp_stream":
        m["msgs_per_s"] = bw / size
    return m


def parse_sockperf(kind, size, out, _server_log):
    p = dict(re.findall(r"percentile (50|99)\.000 =\s*([0-9.]+)", out))
    avg = re.search(r"avg-lat(?:ency)?=\s*([0-9.]+)", out)
    if set(p) != {"50", "99"} or not avg:
        raise Failed("no percentiles in output")
    # sockperf reports half the round trip.
    return {"rtt_p50_us": 2 * float(p["50"]), "rtt_p99_us": 2 * float(p["99"]),
            "rtt_mean_us": 2 * float(avg.group(1))}


PARSERS = {"netbench": parse_netbench, "iperf3": parse_iperf3, "iperf2": parse_iperf2,
           "nuttcp": parse_nuttcp, "qperf": parse_qperf, "sockperf": parse_sockperf}


# --- what to run ---


class Entry:
    """One measurement of a row: a tool (a peer or a netbench variant)."""

    def __init__(self, label, tool, client, server=None, sock="t", port=0, wait_report=False):
        self.label, self.tool, self.client = label, tool, client
        self.server, self.sock, self.port = server, sock, port
        self.wait_report = wait_report  # iperf2: the receiver report is on the server


def peer_entries(row, T, ports):
    kind, proto, size = ROWS[row]
    p = ports
    out = []
    udp = proto == "udp"
    if kind in ("tcp_stream", "udp_stream"):
        ip3 = ["iperf3", "-c", HOST, "-p", str(p["iperf3"]), "-t", str(T), "-J", "-l", str(size)]
        if udp:
            ip3 += ["-u", "-b", "0"]
        out.append(Entry("iperf3", "iperf3", ip3,
                         ["iperf3", "-s", "-1", "-B", HOST, "-p", str(p["iperf3"])], "t", p["iperf3"]))
        ip2 = ["iperf", "-c", HOST, "-p", str(p["iperf2"]), "-t", str(T), "-l", str(size), "-y", "C"]
        ip2s = ["iperf", "-s", "-B", HOST, "-p", str(p["iperf2"]), "-y", "C"]
        if udp:
            ip2 += ["-u", "-b", "100G"]  # iperf2 has no "unlimited": 100 Gbit/s is above any loopback
            ip2s += ["-u"]
        out.append(Entry("iperf2", "iperf2", ip2, ip2s, "u" if udp else "t", p["iperf2"],
                         wait_report=True))
        nt = ["nuttcp", "-T", str(T), "-l", str(size), "-P", str(p["nuttcp"]),
              "-p", str(p["nuttcp"] + 1), "-fparse"]
        if udp:
            nt += ["-u", "-R", "100g"]  # likewise: a rate no loopback reaches
        out.append(Entry("nuttcp", "nuttcp", nt + [HOST],
                         ["nuttcp", "-S", "--nofork", "-P", str(p["nuttcp"])], "t", p["nuttcp"]))
        out.append(Entry("qperf", "qperf",
                         ["qperf", HOST, "-lp", str(p["qperf"]), "-t", str(T), "-m", str(size), "-uu",
                          "udp_bw" if udp else "tcp_bw"],
                         ["qperf", "-lp", str(p["qperf"])], "t", p["qperf"]))
    else:
        sp = ["sockperf", "ping-pong", "-i", HOST, "-p", str(p["sockperf"]), "-m", str(size), "-t", str(T)]
        sps = ["sockperf", "sr", "-i", HOST, "-p", str(p["sockperf"])]
        if not udp:
            sp.append("--tcp")
            sps.append("--tcp")
        out.append(Entry("sockperf", "sockperf", sp, sps, "u" if udp else "t", p["sockperf"]))
        out.append(Entry("qperf", "qperf",
                         ["qperf", HOST, "-lp", str(p["qperf"]), "-t", str(T), "-m", str(size), "-uu",
                          "udp_lat" if udp else "tcp_lat"],
                         ["qperf", "-lp", str(p["qperf"])], "t", p["qperf"]))
    return out


def netbench_entries(row, T, binary, model, extra):
    kind, proto, size = ROWS[row]
    base = [binary, "--proto", proto, "--size", str(size), "--duration", f"{T}s", "-q", "--json"]
    if kind == "echo":
        base += ["--mode", "echo"]
    # A variant that names its model keeps it; the others take --model.
    return [Entry(label, "netbench", base + ([] if "--model" in flags else ["--model", model]) + flags + extra)
            for label, flags in NB_VARIANTS[kind]]


# --- running ---


class Runner:
    def __init__(self, work, client_timeout, server_timeout):
        self.work = work
        self.client_timeout = client_timeout
        self.server_timeout = server_timeout
        self.server = None  # the Popen of the one server running now

    def start_server(self, e):
        log = open(os.path.join(self.work, "server.log"), "w")
        # Its own process group: a server that forks (none should here) dies with it.
        self.server = subprocess.Popen(["timeout", "-k", "5", str(self.server_timeout)] + e.server, stdout=log,
                                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       start_new_session=True)
        log.close()
        for _ in range(50):  # up to 5 s for the socket to listen
            if self.server.poll() is not None:
                return False
            ss = subprocess.run(["ss", "-Hln" + e.sock, f"sport = :{e.port}"], capture_output=True,
                                text=True, timeout=5)
            if ss.stdout.strip():
                return True
            time.sleep(0.1)
        return False

    def server_log(self):
        try:
            with open(os.path.join(self.work, "server.log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stop_server(self):
        """Stops the server by the PID saved at its start; waits so that its port is free.
        SIGTERM, then SIGKILL after 3 s: iperf2's server ignores the first
        SIGTERM ("Waiting for server threads to complete. Interrupt again")."""
        if self.server is None:
            return
        pid = self.server.pid
        if self.server.poll() is None:
            try:
                os.killpg(pid, signal.SIGTERM)  # the group of our own `timeout` child
            except ProcessLookupError:
                pass
            try:
                self.server.wait(timeout=3)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.server.wait(timeout=5)
        self.server = None

    def run_client(self, cmd):
        """Runs one client under `timeout`, in its own process group: on a
        stop (Ctrl-C, SIGTERM) or an overrun the whole group goes, not only
        the `timeout` wrapper."""
        p = subprocess.Popen(["timeout", "-k", "5", str(self.client_timeout)] + cmd, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, errors="replace",
                             start_new_session=True)
        try:
            out, err = p.communicate(timeout=self.client_timeout + 10)
            return p.returncode, out, err
        except subprocess.TimeoutExpired:
            return 124, "", "client outlived its timeout"
        finally:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait()

    def measure(self, row, e):
        kind, _, size = ROWS[row]
        rc, out, err, problems = 0, "", "", []
        if shutil.which(e.client[0]) is None:
            return {"error": f"{e.client[0]} not installed", "exit_status": 127}
        try:
            if e.server and not self.start_server(e):
                return {"error": "server did not start: " + " ".join(e.server) + ": " +
                        self.server_log().strip()[-200:], "exit_status": 125}
            rc, out, err = self.run_client(e.client)
            if e.wait_report:
                for _ in range(30):  # the receiver's report comes a moment after the client ends
                    if any(l.count(",") >= 8 for l in self.server_log().splitlines()):
                        break
                    time.sleep(0.1)
            log = self.server_log() if e.server else ""
        finally:
            self.stop_server()
        if rc:
            problems.append("exit status %d%s" % (rc, " (timed out)" if rc == 124 else ""))
        try:
            metrics = PARSERS[e.tool](kind, size, out, log)
        except Failed as x:
            problems.append(str(x))
        except (KeyError, IndexError, ValueError, TypeError) as x:
            problems.append("unexpected output (%s: %s)" % (type(x).__name__, x))
        else:
            if not problems:
                return {"metrics": metrics, "exit_status": 0}
        tail = (err.strip().splitlines() or out.strip().splitlines() or [""])[-3:]
        text = " ".join(re.sub(r"\x1b\[[0-9;]*m", "", "; ".join(problems + tail)).split())
        return {"error": text[:400], "exit_status": rc}


def free_port_block(count):
    """A base port with `count` consecutive ports free for TCP and UDP on HOST."""
    for base in range(15201, 15201 + 2000, count):
        try:
            for port in range(base, base + count):
                for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
                    with socket.socket(socket.AF_INET, kind) as s:
                        s.bind((HOST, port))
        except OSError:
            continue
        return base
    raise SystemExit("compare_peers: no block of free ports from 15201")


def version(cmd):
    if shutil.which(cmd[0]) is None:
        return f"{cmd[0]} not installed"
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=5, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return cmd[0]
    lines = (p.stdout + p.stderr).strip().splitlines()
    return lines[0].strip() if lines else cmd[0]


# --- the report ---


def fmt(metric, v):
    if v is None:
        return "—"
    return "{:,.0f}".format(v) if metric == "msgs_per_s" else "%.4g" % v


def summarize(samples, rows):
    """Per row and metric: each tool's median and samples; the best peer."""
    out = []
    for row in rows:
        kind = ROWS[row][0]
        labels = []
        for s in samples:
            if s["row"] == row and s["label"] not in labels:
                labels.append(s["label"])
        for m in KIND_METRICS[kind]:
            better = METRICS[m][2]
            tools = {}
            for label in labels:
                mine = [s for s in samples if s["row"] == row and s["label"] == label]
                vals = [s["metrics"][m] for s in mine if "metrics" in s and m in s["metrics"]]
                if not vals and not any("error" in s for s in mine):
                    continue  # the tool does not give this metric (qperf: no percentiles)
                tools[label] = {"tool": mine[0]["tool"], "median": statistics.median(vals) if vals else None,
                                "samples": vals, "runs": len(mine),
                                "ok_runs": sum("metrics" in s for s in mine)}
            peers = {k: v for k, v in tools.items() if v["tool"] != "netbench" and v["median"] is not None}
            pick = max if better == "higher" else min
            best = pick(peers, key=lambda k: peers[k]["median"]) if peers else None
            for t in tools.values():
                if t["tool"] == "netbench" and best and t["median"] is not None:
                    t["ratio_over_best_peer"] = t["median"] / peers[best]["median"]
            out.append({"row": row, "metric": m, "unit": METRICS[m][1], "better": better,
                        "best_peer": best, "tools": tools})
    return out


def check_targets(summary):
    res = []
    for row, metric, label, ref, op, bound in TARGETS:
        entry = next((e for e in summary if e["row"] == row and e["metric"] == metric), None)
        if entry is None:
            continue
        ref_name = entry["best_peer"] if ref == "best" else ref
        nb = entry["tools"].get(label, {}).get("median")
        peer = entry["tools"].get(ref_name, {}).get("median") if ref_name else None
        ratio = nb / peer if nb is not None and peer else None
        ok = None if ratio is None else (ratio >= bound if op == ">=" else ratio <= bound)
        res.append({"row": row, "metric": metric, "netbench": label, "reference": ref_name,
                    "reference_rule": "best peer" if ref == "best" else ref, "target": f"{op} {bound}",
                    "ratio": ratio, "met": ok})
    return res


def stats_cost(summary):
    """What full per-message statistics cost: default netbench against --stats counts."""
    out = []
    for e in summary:
        full = e["tools"].get("netbench", {}).get("median")
        counts = e["tools"].get("netbench --stats counts", {}).get("median")
        # UDP goodput is msgs/s times the size: one row per stream test is enough.
        if full and counts and (e["metric"] == "msgs_per_s" or e["row"].startswith("tcp_stream")):
            out.append({"row": e["row"], "metric": e["metric"], "full": full, "counts": counts,
                        "cost": 1 - full / counts, "met": 1 - full / counts <= 0.05})
    return out


def markdown(doc):
    m, st = doc["machine"], doc["settings"]
    lines = [f"# netbench vs peers (loopback, medians of {st['repetitions']} x {st['duration_s']} s, "
             f"receiver model {st['model']})", "",
             f"{m['cpu_model']}; {m['nproc']} CPUs; kernel {m['kernel']}; {m['date']}", "",
             "Command: `" + doc["command"] + "`", "",
             "Tools: " + "; ".join(f"{k}: {v}" for k, v in doc["tools"].items()), "",
             "Every figure is the receiver's. Latency is the round trip (sockperf and qperf print half "
             "of it; shown here doubled). qperf gives a mean only. Ratio = netbench / best peer: above 1 "
             "is better for throughput, below 1 is better for latency.", "",
             "## Peers (medians)", "",
             "| row | metric | " + " | ".join(PEERS) + " |",
             "| --- | --- |" + " ---: |" * len(PEERS)]
    for e in doc["summary"]:
        label, unit, better = METRICS[e["metric"]]
        cells = []
        for p in PEERS:
            t = e["tools"].get(p)
            cell = "" if t is None else fmt(e["metric"], t["median"])
            if t is not None and t["ok_runs"] < t["runs"]:
                cell += f" ({t['ok_runs']}/{t['runs']} ok)"
            cells.append(f"**{cell}**" if p == e["best_peer"] else cell)
        lines.append(f"| {e['row']} | {label} {unit} ({better}) | " + " | ".join(cells) + " |")
    lines += ["", "Bold: the best peer of the row.", "", "## netbench (medians) against the best peer", "",
              "| row | metric | netbench | median | best peer | its median | netbench / best peer |",
              "| --- | --- | --- | ---: | --- | ---: | ---: |"]
    for e in doc["summary"]:
        label, unit, better = METRICS[e["metric"]]
        best = e["best_peer"]
        for name, t in e["tools"].items():
            if t["tool"] != "netbench":
                continue
            r = t.get("ratio_over_best_peer")
            ok = "" if t["ok_runs"] == t["runs"] else f" ({t['ok_runs']}/{t['runs']} ok)"
            lines.append(f"| {e['row']} | {label} {unit} ({better}) | `{name}`{ok} | {fmt(e['metric'], t['median'])} | "
                         f"{best or '—'} | {fmt(e['metric'], e['tools'][best]['median']) if best else '—'} | "
                         f"{'—' if r is None else '%.2f' % r} |")
    lines += ["", "## The issue's targets", "", "| row | metric | netbench | against | target | ratio | met |",
              "| --- | --- | --- | --- | --- | ---: | --- |"]
    for t in doc["targets"]:
        met = "—" if t["met"] is None else ("yes" if t["met"] else "**no**")
        lines.append(f"| {t['row']} | {METRICS[t['metric']][0]} | `{t['netbench']}` | {t['reference'] or '—'} "
                     f"({t['reference_rule']}) | {t['target']} | "
                     f"{'—' if t['ratio'] is None else '%.2f' % t['ratio']} | {met} |")
    lines += ["", "## What full statistics cost (target: at most 5% of throughput)", "",
              "`netbench` (sequence tracking, delay histograms, jitter per message) against "
              "`netbench --stats counts` (messages and bytes only), same run otherwise. Cost = 1 - full / counts; "
              "a negative cost is noise.", "",
              "| row | metric | full | counts | cost | met |", "| --- | --- | ---: | ---: | ---: | --- |"]
    for c in doc["stats_cost"]:
        lines.append(f"| {c['row']} | {METRICS[c['metric']][0]} | {fmt(c['metric'], c['full'])} | "
                     f"{fmt(c['metric'], c['counts'])} | {100 * c['cost']:.1f}% | {'yes' if c['met'] else '**no**'} |")
    fails = [s for s in doc["samples"] if "error" in s]
    if fails:
        lines += ["", "## Failed runs", ""]
        lines += [f"- rep {s['rep']} {s['row']} `{s['label']}`: {s['error']}" for s in fails]
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(prog="bench/compare_peers.sh",
                                 description="netbench against iperf3, iperf2, nuttcp, qperf and sockperf "
                                             "on loopback: interleaved, repeated, every run bounded.")
    ap.add_argument("-r", "--reps", type=int, default=5, help="repetitions (default 5, at least 3 for the table)")
    ap.add_argument("-t", "--seconds", type=int, default=3, help="seconds per measurement (default 3)")
    ap.add_argument("--quick", action="store_true", help="1 repetition of 1 s: a check that everything runs")
    ap.add_argument("-m", "--model", default="epoll", help="netbench receiver model (default epoll)")
    ap.add_argument("-b", "--binary", default="", help="netbench binary (default build/release/netbench)")
    ap.add_argument("-o", "--output", default=os.path.join(ROOT, "results", "peers.json"),
                    help="JSON results (default results/peers.json); the table goes beside it as .md")
    ap.add_argument("--rows", default=",".join(ROWS), help="comma list of rows (default all): " + ", ".join(ROWS))
    ap.add_argument("--plot-dir", default=os.path.join(ROOT, "plots"),
                    help="directory of the ratio chart (default plots/); '' for none")
    ap.add_argument("--netbench-args", default=os.environ.get("NETBENCH_ARGS", ""),
                    help="appended to every netbench command (default $NETBENCH_ARGS)")
    a = ap.parse_args()
    if a.quick:
        a.reps, a.seconds = 1, 1
    if a.reps < 1 or a.seconds < 1:
        ap.error("--reps and --seconds take positive integers")
    rows = [r for r in a.rows.split(",") if r]
    bad = [r for r in rows if r not in ROWS]
    if bad:
        ap.error("unknown row " + ", ".join(bad))
    binary = a.binary or os.path.join(ROOT, "build", "release", "netbench")
    if not os.access(binary, os.X_OK):
        raise SystemExit(f"compare_peers: no netbench binary at {binary}")
    extra = a.netbench_args.split()

    def on_signal(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    base = free_port_block(8)
    ports = {"iperf3": base, "iperf2": base + 1, "nuttcp": base + 2, "qperf": base + 4,
             "sockperf": base + 5}
    # Generous bounds: a tool's setup and its server's report come on top of T.
    client_timeout = 2 * a.seconds + 20
    runner = None
    samples = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as work:
        runner = Runner(work, client_timeout, client_timeout + 15)
        try:
            for rep in range(1, a.reps + 1):
                for row in rows:
                    entries = peer_entries(row, a.seconds, ports) + \
                        netbench_entries(row, a.seconds, binary, a.model, extra)
                    for e in entries:
                        res = runner.measure(row, e)
                        s = {"row": row, "rep": rep, "label": e.label, "tool": e.tool,
                             "command": " ".join(e.client),
                             "server_command": " ".join(e.server) if e.server else None, **res}
                        samples.append(s)
                        shown = ("FAILED: " + s["error"]) if "error" in s else " ".join(
                            "%s=%.4g" % kv for kv in sorted(s["metrics"].items()))
                        print(f"[{rep}/{a.reps} {time.monotonic() - started:5.0f}s] {row:18} {e.label:46} {shown}",
                              file=sys.stderr, flush=True)
        finally:
            runner.stop_server()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "")
    doc = {"schema": "netbench-peers/2",
           "command": " ".join(["bench/compare_peers.sh"] + sys.argv[1:]),
           "machine": {"nproc": len(os.sched_getaffinity(0)), "kernel": platform.release(), "cpu_model": cpu,
                       "hostname": platform.node(),
                       "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")},
           "settings": {"repetitions": a.reps, "duration_s": a.seconds, "model": a.model,
                        "netbench_args": a.netbench_args, "host": HOST, "ports": ports, "rows": rows,
                        "order": "interleaved: per repetition and row, each peer then each netbench variant",
                        "elapsed_s": round(time.monotonic() - started, 1)},
           "tools": {"netbench": version([binary, "--version"]), "iperf3": version(["iperf3", "--version"]),
                     "iperf2": version(["iperf", "--version"]), "nuttcp": version(["nuttcp", "-V"]),
                     "qperf": version(["qperf", "--version"]), "sockperf": version(["sockperf", "--version"])},
           "samples": samples}
    doc["summary"] = summarize(samples, rows)
    doc["targets"] = check_targets(doc["summary"])
    doc["stats_cost"] = stats_cost(doc["summary"])
    doc["failures"] = sum("error" in s for s in samples)
    os.makedirs(os.path.dirname(os.path.abspath(a.output)), exist_ok=True)
    with open(a.output, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    md = markdown(doc)
    md_path = re.sub(r"\.json$", "", a.output) + ".md"
    with open(md_path, "w") as f:
        f.write(md)
    print(md + f"\nwrote {a.output} and {md_path}")
    if a.plot_dir:
        p = subprocess.run([sys.executable, os.path.join(ROOT, "plots", "plot_peers.py"), a.output,
                            "-o", a.plot_dir], timeout=120)
        if p.returncode:
            print("compare_peers: the chart could not be drawn", file=sys.stderr)
    return 1 if any(s["tool"] == "netbench" and "error" in s for s in samples) else 0


if __name__ == "__main__":
    sys.exit(main())
