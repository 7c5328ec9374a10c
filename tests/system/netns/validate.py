#!/usr/bin/python3
"""netbench on a real network path: namespaced hosts, a bottleneck, injected
loss, reordering and duplication; every figure checked against the injected
truth (a kernel counter or the impairment schedule).

    /usr/bin/python3 tests/system/netns/validate.py --netbench build/dev/netbench [--out FILE]
    scripts/netns/validate.sh [build/dev/netbench]          # the same

Scenarios (topology in topology.py; all traffic inside 10.77.0.0/16 on veths
this script creates):
  1 bottleneck   tbf at R on the router's port toward the server; TCP, then UDP at 4 R;
                 then unpaced UDP into a tbf on the client's own port (the sender must block)
  2 random loss  iptables statistic drop with probability p on the server's INPUT
  3 overload     a tiny receive buffer on a server whose CPU is shared with a busy loop
  4 reordering   a seeded drop/duplicate/delay schedule applied by impair_relay.py
                 (4: epoll; 4b: --gso, thread model; 4e: UDP echo, the client's reply figures)
  5 across hosts netbench serve in one namespace, three clients at once from three others
  6 under load   --probe: 4 bulk TCP flows fill a tbf with a 500 kB queue (80 ms at 50 Mbit/s);
                 the probe's RTT must rise by about the queue's delay
  7 directions   tbf at R_up toward the server, tbf at R_down on the server's own egress:
                 forward measures R_up, --reverse R_down, --bidir both at once

Exit codes: 0 every check passed, 1 a check failed or the harness broke,
77 skipped (not root, or network namespaces not permitted here).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import impair_relay  # noqa: E402
import rfc4737  # noqa: E402
import topology  # noqa: E402
from topology import SERVER_ADDR, Topology  # noqa: E402

SKIP = 77
PY = "/usr/bin/python3"
CONTROL_PORT = 5201
RUN_TIMEOUT_S = 60  # any single netbench run
TOTAL_TIMEOUT_S = 240  # the whole set, set-up and teardown included


class Checks:
    """Rows of (scenario, figure, injected truth, netbench, tolerance, ok)."""

    def __init__(self) -> None:
        self.rows: list[dict] = []

    def add(self, scenario: str, what: str, truth: object, measured: object, tolerance: str,
            ok: bool) -> None:
        row = {"scenario": scenario, "figure": what, "truth": truth, "netbench": measured,
               "tolerance": tolerance, "ok": bool(ok)}
        self.rows.append(row)
        print(f"  [{'PASS' if ok else 'FAIL'}] {what}: truth {truth}, netbench {measured}"
              f" ({tolerance})", flush=True)

    def within(self, scenario: str, what: str, truth: float, measured: float, rel: float,
               fmt: str = "{:.4g}") -> None:
        ok = truth > 0 and abs(measured / truth - 1) <= rel
        self.add(scenario, what, fmt.format(truth), fmt.format(measured), f"±{rel:.0%}", ok)

    def equal(self, scenario: str, what: str, truth: object, measured: object) -> None:
        self.add(scenario, what, truth, measured, "exact", truth == measured)

    @property
    def failed(self) -> list[dict]:
        return [r for r in self.rows if not r["ok"]]


class Harness:
    def __init__(self, netbench: str, topo: Topology, workdir: Path) -> None:
        self.nb = netbench
        self.t = topo
        self.dir = workdir
        self.procs: list[subprocess.Popen] = []
        self.checks = Checks()

    # -- processes: every one started here is tracked and killed by PID ---
    def spawn(self, ns: str, args: list[str], **kw) -> subprocess.Popen:
        p = subprocess.Popen(self.t.exec_args(ns, args), **kw)
        self.procs.append(p)
        return p

    def stop(self, p: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
        if p.poll() is None:
            p.send_signal(sig)
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if p in self.procs:
            self.procs.remove(p)

    def stop_all(self) -> None:
        for p in list(self.procs):
            self.stop(p, signal.SIGKILL)

    def serve(self, port: int, prefix: list[str] | None = None,
              extra: list[str] | None = None) -> subprocess.Popen:
        p = self.spawn(self.t.server, [*(prefix or []), self.nb, "serve", "-4", "--bind",
                                       SERVER_ADDR, "--port", str(port), "-q", *(extra or [])])
        deadline = time.monotonic() + 10
        while f":{port} " not in self.t.run(self.t.server, ["ss", "-Htln"]):
            if p.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"netbench serve on port {port} did not start")
            time.sleep(0.05)
        return p

    def client(self, ns: str, args: list[str], port: int = CONTROL_PORT,
               prefix: list[str] | None = None) -> dict:
        """Runs one netbench client in `ns`; returns its JSON document."""
        cmd = [*(prefix or []), self.nb, "--connect", f"{SERVER_ADDR}:{port}", *args, "--json",
               "-q"]
        p = subprocess.Popen(self.t.exec_args(ns, cmd), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        self.procs.append(p)
        try:
            out, err = p.communicate(timeout=RUN_TIMEOUT_S)
        finally:
            self.stop(p, signal.SIGKILL)
        doc = json.loads(out) if out.strip() else {}
        doc["_exit"] = p.returncode
        if p.returncode != 0:
            print(f"  netbench exited {p.returncode}: {doc.get('error', '')} {err.strip()}",
                  flush=True)
        return doc

    def intervals_add_up(self, s: str, name: str, run: dict) -> None:
        """The per-interval received figures sum to the run's totals (the
        last interval covers what arrived after the last send)."""
        for key, total in (("received_messages", run["receiver"]["messages"]),
                           ("received_bytes", run["receiver"]["bytes"])):
            self.checks.equal(s, f"{name}: sum of intervals' {key} = total", total,
                              sum(i[key] for i in run["intervals"]))

    # -- scenario 1 -------------------------------------------------------
    def bottleneck(self) -> dict:
        s = "1 bottleneck"
        rate = 100_000_000
        print(f"== {s}: tbf {rate / 1e6:.0f} Mbit/s on the router's port toward the server",
              flush=True)
        srv = self.serve(CONTROL_PORT)
        self.t.set_bottleneck(rate)
        tcp = self.client(self.t.clients[0], ["--proto", "tcp", "--duration", "4s"])
        tbf_tcp = self.t.bottleneck_stats()
        r = tcp["run"]
        self.checks.equal(s, "TCP run completes", True, tcp["_exit"] == 0 and r["complete"])
        goodput = r["receiver"]["throughput_bps"]
        self.checks.within(s, "TCP goodput, Mbit/s (vs tbf rate R)", rate / 1e6, goodput / 1e6,
                           0.05)
        # tbf counts whole frames: 8948 bytes of TCP payload per 9014-byte
        # frame (MTU 9000, timestamps on) is all the link can carry.
        capacity = rate * 8948 / 9014
        self.checks.within(s, "TCP goodput, Mbit/s (vs R x 8948/9014 payload)", capacity / 1e6,
                           goodput / 1e6, 0.05)
        self.checks.equal(s, "TCP application loss", 0, r["receiver"]["loss"]["lost"])
        self.checks.equal(s, "TCP bytes received = sent", r["sender"]["bytes"],
                          r["receiver"]["bytes"])
        self.intervals_add_up(s, "TCP", r)
        retx = r["sender"]["tcp_retransmits"]
        self.checks.add(s, "TCP retransmissions reported (tbf drops)", tbf_tcp["dropped"], retx,
                        "reported", isinstance(retx, int) and retx >= 0)

        self.t.set_bottleneck(rate)  # fresh counters
        size = 8972  # one 9000-byte IP packet per datagram
        udp = self.client(self.t.clients[0], ["--proto", "udp", "--bitrate", str(4 * rate),
                                              "--size", str(size), "--duration", "4s",
                                              "--buffer", "4MiB"])
        tbf = self.t.bottleneck_stats()
        self.t.clear_bottleneck()
        self.stop(srv)
        r = udp["run"]
        loss = r["receiver"]["loss"]
        self.checks.equal(s, "UDP run completes", True, udp["_exit"] == 0 and r["complete"])
        self.checks.within(s, "UDP received at 4 R offered, Mbit/s", rate / 1e6,
                           r["receiver"]["throughput_bps"] / 1e6, 0.05)
        # Offered 4 R of datagrams whose frames are 42 bytes longer than
        # their payload: the wire carries R, so 1 - R / (4 R * 9014 / 8972).
        truth = 1 - 1 / (4 * (size + 42) / size)
        self.checks.add(s, "UDP loss %", f"{truth * 100:.2f}", f"{loss['ratio'] * 100:.2f}",
                        "±2 points", abs(loss["ratio"] - truth) <= 0.02)
        self.checks.add(s, "UDP lost = tbf drops (network)", tbf["dropped"], loss["in_network"],
                        "≤ 20 control packets", 0 <= tbf["dropped"] - loss["in_network"] <= 20)
        self.checks.equal(s, "UDP lost at receiver socket", 0, loss["at_receiver_socket"])
        self.checks.equal(s, "UDP lost at sender", 0, loss["at_sender"])
        self.intervals_add_up(s, "UDP", r)
        held = self.held_back(rate)
        return {"tcp_goodput_bps": goodput, "tcp_retransmits": retx,
                "tcp_tbf_dropped": tbf_tcp["dropped"], "udp_received_bps":
                r["receiver"]["throughput_bps"], "udp_loss_ratio": loss["ratio"],
                "udp_loss_truth": truth, "udp_tbf_dropped": tbf["dropped"], "udp_loss": loss,
                "udp_held_back": held}

    def held_back(self, rate: int) -> dict:
        """Unpaced UDP through a tbf on the client's own egress, whose queue
        is longer than the socket's send buffer: the qdisc holds the
        datagrams' memory, so the sender's sends block (EAGAIN) and it waits
        for room (EPOLLOUT) instead of losing datagrams."""
        s = "1 bottleneck"
        where = (self.t.clients[0], "eth0")
        srv = self.serve(CONTROL_PORT)
        self.t.set_bottleneck(rate, queue_bytes=8 << 20, where=where)
        size = 8972
        try:
            doc = self.client(self.t.clients[0], ["--proto", "udp", "--size", str(size),
                                                  "--duration", "3s", "--buffer", "256KiB"])
            tbf = self.t.bottleneck_stats(where)
        finally:
            self.t.clear_bottleneck(where)
            self.stop(srv)
        r = doc["run"]
        tx, rx = r["sender"], r["receiver"]
        name = "UDP unpaced into the sender's own tbf"
        self.checks.equal(s, f"{name}: run completes", True, doc["_exit"] == 0 and r["complete"])
        self.checks.add(s, f"{name}: sends that found the buffer full", "> 0", tx["would_block"],
                        "> 0", tx["would_block"] > 0)
        self.checks.equal(s, f"{name}: tbf drops", 0, tbf["dropped"])
        self.checks.equal(s, f"{name}: lost", 0, rx["loss"]["lost"])
        self.checks.equal(s, f"{name}: received = sent", tx["messages"], rx["messages"])
        self.checks.within(s, f"{name}: received, Mbit/s (vs R x 8972/9014)",
                           rate * size / (size + 42) / 1e6, rx["throughput_bps"] / 1e6, 0.05)
        return {"would_block": tx["would_block"], "sent": tx["messages"],
                "received": rx["messages"], "received_bps": rx["throughput_bps"],
                "tbf": tbf}

    # -- scenario 6 -------------------------------------------------------
    def latency_under_load(self) -> dict:
        """--probe through a tbf with a deep queue: bulk TCP fills the queue,
        so the probe's requests wait behind it and its RTT rises by about
        the queue's delay (limit / rate); alone, the path is idle."""
        s = "6 latency under load"
        rate, queue = 50_000_000, 500_000
        queue_delay_ns = queue * 8 * 1e9 / rate
        print(f"== {s}: tbf {rate / 1e6:.0f} Mbit/s with a {queue / 1e3:.0f} kB queue "
              f"({queue_delay_ns / 1e6:.0f} ms) toward the server; bulk TCP and --probe 20",
              flush=True)
        port = CONTROL_PORT + 3
        srv = self.serve(port, extra=["--max-concurrent", "2"])
        self.t.set_bottleneck(rate, queue_bytes=queue)
        doc = self.client(self.t.clients[0], ["--proto", "tcp", "--flows", "4", "--duration", "4s", "--probe",
                                              "20"], port=port)
        self.t.clear_bottleneck()
        self.stop(srv)
        r = doc["run"]
        probe = r["probe"]
        self.checks.equal(s, "bulk run completes", True, doc["_exit"] == 0 and r["complete"])
        self.checks.equal(s, "both probe phases complete", [True, True],
                          [probe["idle"]["complete"], probe["loaded"]["complete"]])
        idle = probe["idle"]["rtt"]["p50_ns"]
        loaded = probe["loaded"]["rtt"]["p50_ns"]
        rise = loaded - idle
        self.checks.add(s, "probe RTT p50 rise under load, ms (vs queue delay)",
                        f"{queue_delay_ns / 1e6:.0f}", f"{rise / 1e6:.1f}",
                        "40%-130% of it",
                        0.4 * queue_delay_ns <= rise <= 1.3 * queue_delay_ns)
        self.checks.add(s, "probe RTT p50 idle, ms", "< 5", f"{idle / 1e6:.2f}", "< 5 ms",
                        idle < 5e6)
        self.checks.equal(s, "probe rtt_increase.p50_ns = loaded - idle", rise,
                          probe["rtt_increase"]["p50_ns"])
        return {"queue_delay_ns": queue_delay_ns, "probe": {k: {"p50_ns": probe[k]["rtt"]["p50_ns"],
                "p99_ns": probe[k]["rtt"]["p99_ns"], "sent": probe[k]["sent"],
                "replies": probe[k]["replies"]} for k in ("idle", "loaded")},
                "tcp_goodput_bps": r["receiver"]["throughput_bps"]}

    # -- scenario 2 -------------------------------------------------------
    def iptables_drop(self, match: list[str], p: float) -> None:
        self.t.run(self.t.server, ["iptables", "-I", "INPUT", *match, "-m", "statistic",
                                   "--mode", "random", "--probability", str(p), "-j", "DROP"])

    def iptables_dropped(self) -> int:
        out = self.t.run(self.t.server, ["iptables", "-L", "INPUT", "-n", "-v", "-x"])
        return sum(int(l.split()[0]) for l in out.splitlines() if " DROP " in f" {l} ")

    def random_loss(self) -> dict:
        s = "2 random loss"
        p = 0.05
        n = 200_000
        print(f"== {s}: iptables statistic drop p={p} on the server", flush=True)
        srv = self.serve(CONTROL_PORT)
        # Data datagrams only (228-byte IP packets), not the 52-byte registration.
        self.iptables_drop(["-p", "udp", "-m", "length", "--length", "100:65535"], p)
        udp = self.client(self.t.clients[0], ["--proto", "udp", "--count", str(n), "--rate",
                                              "50k", "--size", "200", "--buffer", "4MiB"])
        dropped = self.iptables_dropped()
        self.t.run(self.t.server, ["iptables", "-F", "INPUT"])
        r = udp["run"]
        loss = r["receiver"]["loss"]
        self.checks.equal(s, "UDP run completes", True, udp["_exit"] == 0 and r["complete"])
        self.checks.equal(s, "UDP messages sent", n, r["sender"]["messages"])
        # The injected loss is what netbench attributes to the network; a
        # receiver socket that overflowed on a loaded host adds its own drops,
        # attributed apart (and counted by the kernel, checked in scenario 3).
        net_ratio = loss["in_network"] / max(1, r["sender"]["messages"])
        self.checks.add(s, f"UDP network loss % over {n} messages (p)", f"{p * 100:.2f}",
                        f"{net_ratio * 100:.3f}", "±0.3 points", abs(net_ratio - p) <= 0.003)
        self.checks.equal(s, "UDP lost in network = iptables drops", dropped, loss["in_network"])
        self.checks.equal(s, "UDP lost = network + receiver socket + sender",
                          loss["in_network"] + loss["at_receiver_socket"] + loss["at_sender"],
                          loss["lost"])

        tp = 0.01
        self.iptables_drop(["-p", "tcp", "!", "--dport", str(CONTROL_PORT)], tp)
        tcp = self.client(self.t.clients[1], ["--proto", "tcp", "--duration", "3s"])
        tdropped = self.iptables_dropped()
        self.t.run(self.t.server, ["iptables", "-F", "INPUT"])
        self.stop(srv)
        r = tcp["run"]
        retx = r["sender"]["tcp_retransmits"]
        self.checks.equal(s, f"TCP (p={tp}) run completes", True,
                          tcp["_exit"] == 0 and r["complete"])
        self.checks.equal(s, "TCP application loss", 0, r["receiver"]["loss"]["lost"])
        self.checks.equal(s, "TCP bytes received = sent", r["sender"]["bytes"],
                          r["receiver"]["bytes"])
        self.checks.add(s, "TCP retransmissions (iptables drops)", tdropped, retx, "> 0",
                        retx > 0)
        return {"p": p, "udp_messages": n, "udp_loss_ratio": loss["ratio"],
                "udp_network_loss_ratio": net_ratio, "udp_loss": loss,
                "iptables_dropped": dropped, "udp_lost": loss["lost"], "tcp_p": tp,
                "tcp_iptables_dropped": tdropped, "tcp_retransmits": retx,
                "tcp_lost": r["receiver"]["loss"]["lost"],
                "tcp_bytes_sent": r["sender"]["bytes"], "tcp_bytes_received": r["receiver"]["bytes"],
                "tcp_goodput_bps": r["receiver"]["throughput_bps"]}

    # -- scenario 3 -------------------------------------------------------
    def overload(self) -> dict:
        s = "3 receiver overload"
        print(f"== {s}: 8 KiB receive buffer, server CPU shared with a busy loop", flush=True)
        port = CONTROL_PORT + 1
        # Server and a bounded busy loop on one CPU; the sender on another.
        cpus = sorted(os.sched_getaffinity(0))
        pin_rx = ["taskset", "-c", str(cpus[0])]
        pin_tx = ["taskset", "-c", str(cpus[1])] if len(cpus) > 1 else []
        srv = self.serve(port, pin_rx)
        hog = self.spawn(self.t.server, [*pin_rx, "timeout", "20", PY, "-c", "while True: pass"])
        before = self.t.udp_snmp(self.t.server)
        udp = self.client(self.t.clients[2], ["--proto", "udp", "--count", "150000", "--rate",
                                              "50k", "--size", "200", "--buffer", "8KiB"],
                          port=port, prefix=pin_tx)
        after = self.t.udp_snmp(self.t.server)
        self.stop(hog, signal.SIGKILL)
        self.stop(srv)
        rcvbuf_errors = after["RcvbufErrors"] - before["RcvbufErrors"]
        r = udp["run"]
        loss = r["receiver"]["loss"]
        self.checks.equal(s, "UDP run completes", True, udp["_exit"] == 0 and r["complete"])
        self.checks.add(s, "UDP lost at receiver socket", f"RcvbufErrors {rcvbuf_errors}",
                        loss["at_receiver_socket"], "> 0, = kernel counter",
                        0 < loss["at_receiver_socket"] == rcvbuf_errors)
        self.checks.add(s, "UDP lost in network", 0, loss["in_network"], "≤ 0.1% of lost",
                        loss["in_network"] <= loss["lost"] / 1000)
        return {"udp_lost": loss["lost"], "udp_loss_ratio": loss["ratio"],
                "at_receiver_socket": loss["at_receiver_socket"], "in_network":
                loss["in_network"], "rcvbuf_errors": rcvbuf_errors}

    # -- scenario 4 -------------------------------------------------------
    def reordering(self, seed: int = 4737, extra: list[str] | None = None) -> dict:
        s = "4 reorder/dup" + (f" ({' '.join(extra)})" if extra else "")
        flows, per = 2, 10_000
        print(f"== {s}: seeded schedule (seed {seed}), {flows} flows x {per} messages",
              flush=True)
        sched = impair_relay.make_schedule(seed, flows, per)
        sched_file, log_file, ready = (self.dir / n for n in ("schedule.json", "relay_log.json",
                                                               "relay.ready"))
        sched_file.write_text(json.dumps(sched))
        for stale in (log_file, ready):  # from an earlier run of this scenario
            stale.unlink(missing_ok=True)
        srv = self.serve(CONTROL_PORT)
        self.t.divert_udp_to_tun()
        relay = self.spawn(self.t.router, [PY, str(HERE / "impair_relay.py"), "--schedule",
                                           str(sched_file), "--log", str(log_file), "--ready",
                                           str(ready)])
        deadline = time.monotonic() + 10
        while not ready.exists():
            if relay.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("impair_relay.py did not start")
            time.sleep(0.05)
        tun_before = self.t.link_stats(self.t.router, "tun0")
        doc = self.client(self.t.clients[0], ["--proto", "udp", "--flows", str(flows), "--count",
                                              str(flows * per), "--rate", "5k", "--size", "200",
                                              "--buffer", "4MiB", *(extra or [])])
        tun_after = self.t.link_stats(self.t.router, "tun0")
        self.stop(relay)
        self.stop(srv)
        self.t.undivert_udp()
        log = json.loads(log_file.read_text())
        expected = impair_relay.expected_order(sched)
        r = doc["run"]
        self.checks.equal(s, "UDP run completes", True, doc["_exit"] == 0 and r["complete"])
        self.checks.equal(s, "no drop on the way to the relay (tun tx_dropped)", 0,
                          tun_after["tx_dropped"] - tun_before["tx_dropped"])
        echo = "echo" in (extra or [])
        checked: dict[int, dict] = {}
        models = []
        # Echo: the server echoes what the relay wrote, in that order, and
        # the client's reply figures must match it (per flow: lost,
        # duplicates, reordered; extents and bursts in the totals).
        for f in r["sender"]["flows"] if echo else r["receiver"]["flows"]:
            fid = f["flow"]
            emitted = log["emitted"].get(str(fid), [])
            self.checks.equal(s, f"flow {fid}: relay wrote the schedule's order", True,
                              emitted == expected[fid])
            acts = sched["actions"][str(fid)].values()
            m = rfc4737.flow_metrics(emitted, per)
            models.append(m)
            truth = {
                "lost": sum(1 for a in acts if a[0] == "drop"),
                "duplicates": sum(1 for a in acts if a[0] in ("dup", "delaydup")),
                "reordered": m["reordered"],
                "reorder extent sum": m["reorder_extent_sum"],
                "max reorder extent": m["reorder_extent_max"],
                "loss bursts": m["loss_bursts"],
                "longest burst": m["loss_burst_max"],
                "unique": m["unique"],
                "reorder extent distribution": m["reorder_extent_buckets"],
                "loss burst distribution": m["loss_burst_buckets"],
            }
            # The schedule's own counts and the model's must agree too.
            self.checks.equal(s, f"flow {fid}: schedule's drops and duplicates = model's",
                              (truth["lost"], truth["duplicates"]), (m["lost"], m["duplicates"]))
            if echo:
                got = {"lost": f["reply_lost"], "duplicates": f["reply_duplicates"],
                       "reordered": f["reply_reordered"], "unique": f["replies"] - f[
                           "reply_duplicates"]}
                truth = {k: truth[k] for k in got}
                for k in truth:
                    self.checks.equal(s, f"flow {fid}: replies {k}", truth[k], got[k])
                checked[fid] = {"truth": truth, "netbench": got}
                continue
            got = {
                "lost": f["lost"], "duplicates": f["duplicates"], "reordered": f["reordered"],
                "reorder extent sum": f["reorder_extent"]["sum"],
                "max reorder extent": f["reorder_extent"]["max"],
                "loss bursts": f["loss_bursts"], "longest burst": f["loss_burst_length"]["max"],
                "unique": f["unique"],
                "reorder extent distribution": f["reorder_extent"]["log2_buckets"],
                "loss burst distribution": f["loss_burst_length"]["log2_buckets"],
            }
            for k in truth:
                self.checks.equal(s, f"flow {fid}: {k}", truth[k], got[k])
            checked[fid] = {"truth": truth, "netbench": got}
            self.checks.equal(s, f"flow {fid}: socket drops", 0, f["socket_drops"])
        totals = {"max reorder extent": (max(m["reorder_extent_max"] for m in models),
                                         r["receiver"]["max_reorder_extent"]),
                  "loss bursts": (sum(m["loss_bursts"] for m in models),
                                  r["receiver"]["loss"]["bursts"]),
                  "longest burst": (max(m["loss_burst_max"] for m in models),
                                    r["receiver"]["loss"]["max_burst"])}
        for k, (want, have) in totals.items():
            self.checks.equal(s, f"all flows: {k}", want, have)
        # The per-interval figures must add up to the totals.
        for key in () if echo else ("reordered", "duplicates"):
            self.checks.equal(s, f"sum of intervals' {key} = total", r["receiver"][key],
                              sum(i[key] for i in r["intervals"]))
        self.intervals_add_up(s, "UDP", r)
        return {"seed": seed, "extra": extra or [], "flows": flows, "per_flow": per,
                "relay": log["stats"],
                "receiver": {k: r["receiver"][k] for k in ("reordered", "duplicates",
                                                          "max_reorder_extent", "unique")},
                "loss": r["receiver"]["loss"], "checked": checked}

    # -- scenario 5 -------------------------------------------------------
    def across_hosts(self) -> dict:
        s = "5 across hosts"
        print(f"== {s}: one netbench serve --max-concurrent 3, three clients at once",
              flush=True)
        srv = self.serve(CONTROL_PORT, extra=["--max-concurrent", "3"])
        jobs = {
            "c1 tcp stream thread": (self.t.clients[0], ["--proto", "tcp", "--model", "thread",
                                                        "--flows", "2", "--count", "4000",
                                                        "--size", "64KiB"], 4000),
            "c2 udp stream poll": (self.t.clients[1], ["--proto", "udp", "--model", "poll",
                                                      "--flows", "4", "--count", "40000", "--rate",
                                                      "20k", "--size", "1400", "--buffer", "4MiB"],
                                   40000),
            "c3 udp echo select": (self.t.clients[2], ["--proto", "udp", "--mode", "echo",
                                                      "--model", "select", "--count", "20000",
                                                      "--outstanding", "4", "--buffer", "1MiB"],
                                   20000),
        }
        # One thread per client: they start together, and each test must run
        # at its first try (a "busy" answer fails the check below).
        import threading

        docs: dict[str, dict] = {}

        def run(name: str, ns: str, args: list[str]) -> None:
            docs[name] = self.client(ns, args)

        threads = [threading.Thread(target=run, args=(k, v[0], v[1])) for k, v in jobs.items()]
        t0 = time.monotonic()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        wall = time.monotonic() - t0
        self.stop(srv)
        out = {"wall_s": wall}
        for name, (_, _, count) in jobs.items():
            d = docs[name]
            r = d.get("run", {})
            self.checks.equal(s, f"{name}: completes at once, beside the others", True,
                              d["_exit"] == 0 and r.get("complete", False))
            if "run" not in d:
                continue
            rx, tx = r["receiver"], r["sender"]
            self.checks.equal(s, f"{name}: messages sent", count, tx["messages"])
            if "echo" in name:
                replies = sum(f["replies"] for f in tx["flows"])
                self.checks.equal(s, f"{name}: replies", count, replies)
            else:
                self.checks.equal(s, f"{name}: unique received", count, rx["unique"])
                self.checks.equal(s, f"{name}: bytes received", tx["bytes"], rx["bytes"])
            self.checks.equal(s, f"{name}: lost", 0, rx["loss"]["lost"])
            if "stream" in name:
                self.intervals_add_up(s, name, r)
            out[name] = {"sent": tx["messages"], "received": rx["messages"],
                         "lost": rx["loss"]["lost"]}
        return out

    # -- scenario 7 -------------------------------------------------------
    def directions(self) -> dict:
        """--reverse and --bidir against netbench serve: the server sends
        under --reverse, so a tbf on the server's own egress is what it
        measures; --bidir measures both capacities at once."""
        s = "7 directions"
        up, down = 120_000_000, 40_000_000
        egress = (self.t.server, "eth0")
        print(f"== {s}: tbf {up / 1e6:.0f} Mbit/s toward the server, {down / 1e6:.0f} Mbit/s "
              "on the server's egress", flush=True)
        srv = self.serve(CONTROL_PORT)
        # Payload per 9014-byte frame (MTU 9000, timestamps on), as scenario 1.
        payload = 8948 / 9014
        out: dict[str, object] = {}
        try:
            for name, flags in (("forward", []), ("reverse", ["--reverse"]),
                                ("bidir", ["--bidir"])):
                self.t.set_bottleneck(up)
                # A short queue on the server's egress: the forward ACKs share it with
                # the reverse data, and a deep one (ACK delay) would slow the forward
                # flow under --bidir, as it does any TCP over a loaded return path.
                self.t.set_bottleneck(down, queue_bytes=64 * 1024, where=egress)
                doc = self.client(self.t.clients[0], ["--proto", "tcp", "--duration", "3s",
                                                      *flags])
                r = doc.get("run", {})
                self.checks.equal(s, f"{name}: run completes", True,
                                  doc["_exit"] == 0 and r.get("complete") is True)
                if not r:
                    continue
                runs = {"forward": r} if name == "forward" else (
                    {"reverse": r} if name == "reverse" else {"forward": r,
                                                              "reverse": r.get("reverse") or {}})
                for way, run in runs.items():
                    if not run:
                        self.checks.equal(s, f"{name}: {way} object present", True, False)
                        continue
                    rate = up if way == "forward" else down
                    got = run["receiver"]["throughput_bps"]
                    self.checks.within(s, f"{name}: {way} goodput, Mbit/s (vs R x 8948/9014)",
                                       rate * payload / 1e6, got / 1e6,
                                       0.05 if name != "bidir" else 0.08)
                    self.checks.equal(s, f"{name}: {way} bytes received = sent",
                                      run["sender"]["bytes"], run["receiver"]["bytes"])
                    self.intervals_add_up(s, f"{name} {way}", run)
                    out[f"{name}_{way}_bps"] = got
                # The reverse bytes went through the server's egress tbf.
                if name != "forward" and runs.get("reverse"):
                    back = runs["reverse"]["receiver"]["bytes"]
                    carried = self.t.bottleneck_stats(egress)["bytes"]
                    self.checks.add(s, f"{name}: server egress tbf carried the reverse bytes",
                                    back, carried, "≥ payload bytes", carried >= back)
        finally:
            self.t.clear_bottleneck()
            self.t.clear_bottleneck(egress)
            self.stop(srv)
        return out


def main() -> int:
    ap = argparse.ArgumentParser(description="netbench on namespaced hosts with impairments")
    ap.add_argument("--netbench", required=True, help="the netbench binary")
    ap.add_argument("--out", help="write the figures and checks as JSON here")
    ap.add_argument("--only", help="comma list of scenario numbers to run (default all)")
    ap.add_argument("--extra", default="--gso --model thread",
                    help="netbench flags of scenario 4's second run (--extra='--gso')")
    ap.add_argument("--seed", type=int, default=4737,
                    help="seed of scenario 4's impairment schedule (default 4737)")
    a = ap.parse_args()
    netbench = str(Path(a.netbench).resolve())

    ok, why = topology.netns_permitted()
    if not ok:
        print(f"SKIPPED: {why}; the netns scenarios need root and 'ip netns'")
        return SKIP
    for tool in ("tc", "iptables", "taskset", "ss", "bridge"):
        if subprocess.run(["which", tool], capture_output=True).returncode != 0:
            print(f"SKIPPED: '{tool}' is not installed")
            return SKIP

    def on_signal(signum: int, _frame: object) -> None:
        raise SystemExit(f"stopped by signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(
        TimeoutError(f"the whole set took more than {TOTAL_TIMEOUT_S} s")))
    signal.alarm(TOTAL_TIMEOUT_S)

    stale = topology.remove_stale()
    if stale:
        print(f"removed namespaces left by earlier runs: {' '.join(stale)}")
    only = set(a.only.split(",")) if a.only else {"1", "2", "3", "4", "4b", "4e", "5", "6",
                                                  "7"}
    t0 = time.monotonic()
    figures: dict[str, object] = {}
    h = None
    try:
        with tempfile.TemporaryDirectory(prefix="netbench-netns-") as d, Topology(3) as topo:
            h = Harness(netbench, topo, Path(d))
            try:
                for num, fn in (("1", h.bottleneck), ("2", h.random_loss), ("3", h.overload),
                                ("4", lambda: h.reordering(a.seed)),
                                ("4b", lambda: h.reordering(a.seed + 1, a.extra.split())),
                                ("4e", lambda: h.reordering(a.seed + 2, ["--mode", "echo"])),
                                ("5", h.across_hosts), ("6", h.latency_under_load),
                                ("7", h.directions)):
                    if num in only:
                        start = time.monotonic()
                        figures[num] = fn()
                        print(f"   ({time.monotonic() - start:.1f} s)", flush=True)
            finally:
                h.stop_all()
    finally:
        signal.alarm(0)
    wall = time.monotonic() - t0
    failed = h.checks.failed if h else [{"figure": "harness"}]
    print(f"\n{len(h.checks.rows) - len(failed)}/{len(h.checks.rows)} checks passed"
          f" in {wall:.1f} s")
    for row in failed:
        print(f"FAILED: {row['scenario']}: {row['figure']}: truth {row['truth']},"
              f" netbench {row['netbench']} ({row['tolerance']})")
    if a.out:
        Path(a.out).write_text(json.dumps({"wall_s": wall, "figures": figures,
                                           "checks": h.checks.rows}, indent=1, default=str))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
