#!/usr/bin/python3
"""Memory of netbench: (a) RSS does not grow with run length, (b) 10,000
flows under epoll (one and two sender threads) and 4,096 flows under the
thread and poll models stay under 256 MiB RSS on each side.

  bench/memory_check.py                 # about 2 minutes
  bench/memory_check.py --quick         # 1 s vs 5 s runs, 2,000 flows: a check that it runs

(a) runs the same paired test (both engines in one process) for a short and
a long duration and samples the process's VmRSS from /proc every 100 ms; the
peak (VmHWM) and the last sample of both are compared. (b) runs `netbench
serve` and a `--connect` client as two processes with 10,000 TCP
connections, then 10,000 UDP flows, and records each side's VmHWM. The
descriptor limit is raised for both children only (RLIMIT_NOFILE; root may
go past the hard limit up to fs.nr_open). Every child runs under a timeout
and is stopped by the PID saved at its start. Writes results/memory.json
and results/memory.md; exits 1 if a limit is broken or a run failed.
"""

import argparse
import datetime
import json
import os
import platform
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIMIT_MIB = 256
NOFILE = 65536


def raise_nofile():
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (NOFILE, NOFILE))
    except (ValueError, OSError):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def status_kib(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


class Sampled:
    """A child process whose VmRSS and VmHWM are sampled while it runs."""

    def __init__(self, cmd, timeout_s):
        # Output to files: a 10,000-flow JSON document would fill a pipe and
        # block the child while we only sample it.
        self.out = tempfile.TemporaryFile("w+")
        self.err = tempfile.TemporaryFile("w+")
        self.proc = subprocess.Popen(["timeout", "-k", "5", str(timeout_s)] + cmd, stdout=self.out, stderr=self.err,
                                     stdin=subprocess.DEVNULL, text=True, preexec_fn=raise_nofile,
                                     start_new_session=True)
        self.rss = []  # (seconds since start, KiB)
        self.hwm = 0
        self.t0 = time.monotonic()

    def target_pid(self):
        # `timeout` forks netbench: its one child.
        try:
            with open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children") as f:
                kids = f.read().split()
            return int(kids[0]) if kids else None
        except (OSError, ValueError):
            return None

    def sample(self):
        pid = self.target_pid()
        if pid is None:
            return
        rss, hwm = status_kib(pid, "VmRSS"), status_kib(pid, "VmHWM")
        if rss is not None:
            self.rss.append((round(time.monotonic() - self.t0, 2), rss))
        if hwm is not None:
            self.hwm = max(self.hwm, hwm)

    def output(self):
        self.out.seek(0)
        self.err.seek(0)
        return self.out.read(), self.err.read()

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def run_sampled(cmd, timeout_s):
    s = Sampled(cmd, timeout_s)
    try:
        while s.proc.poll() is None:
            s.sample()
            time.sleep(0.1)
        out, err = s.output()
    finally:
        s.stop()
    return s, out, err


def run_ok(out):
    try:
        doc = json.loads(out)
    except ValueError:
        return False, "no JSON"
    run = doc.get("run") or {}
    return bool(run.get("complete")), doc.get("error") or run.get("error", "")


def mib(kib):
    return round(kib / 1024, 1) if kib else None


def length_runs(binary, short_s, long_s):
    rows = []
    for name, args in (("udp stream 1400 B", ["--proto", "udp"]),
                       ("tcp stream 128 KiB", ["--proto", "tcp"]),
                       ("udp echo 64 B", ["--proto", "udp", "--mode", "echo"])):
        for secs in (short_s, long_s):
            s, out, err = run_sampled([binary] + args + ["--duration", f"{secs}s", "-q", "--json"], secs + 30)
            ok, why = run_ok(out)
            # Steady state: the last sample against the one at 1 s (after setup).
            late = [kib for t, kib in s.rss if t >= 1.0]
            rows.append({"test": name, "duration_s": secs, "ok": ok, "error": "" if ok else (why or err[-200:]),
                         "vm_hwm_mib": mib(s.hwm), "rss_at_1s_mib": mib(late[0]) if late else None,
                         "rss_last_mib": mib(s.rss[-1][1]) if s.rss else None, "samples": len(s.rss)})
            print(f"  {name:20} {secs:3d} s: peak {mib(s.hwm)} MiB, last {rows[-1]['rss_last_mib']} MiB"
                  f"{'' if ok else ' FAILED: ' + rows[-1]['error']}", file=sys.stderr, flush=True)
    return rows


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def many_flow_cases(flows, per_model_flows):
    """(proto, model, flows, sender threads): 10,000 flows under epoll with
    one and two sender threads, and every model at 4,096 flows (select is
    bounded by FD_SETSIZE and refuses so many; it is left out)."""
    cases = [(proto, "epoll", flows, k) for k in (1, 2) for proto in ("tcp", "udp")]
    cases += [(proto, model, per_model_flows, 1) for model in ("thread", "poll") for proto in ("tcp", "udp")]
    return cases


def many_flows(binary, cases, secs):
    rows = []
    for proto, model, flows, threads in cases:
        port = free_port()
        server = Sampled([binary, "serve", "--bind", "127.0.0.1", "--port", str(port), "--max-flows",
                          str(flows), "--max-tests", "1", "-q"], secs + 120)
        try:
            for _ in range(50):  # until it listens
                if subprocess.run(["ss", "-Hlnt", f"sport = :{port}"], capture_output=True, text=True,
                                  timeout=5).stdout.strip():
                    break
                time.sleep(0.1)
            client = Sampled([binary, "--connect", f"127.0.0.1:{port}", "--proto", proto, "--model", model,
                              "--flows", str(flows), "--sender-threads", str(threads), "--size", "64",
                              "--rate", "100k", "--duration", f"{secs}s", "-q", "--json"], secs + 90)
            try:
                while client.proc.poll() is None:
                    client.sample()
                    server.sample()
                    time.sleep(0.2)
                out, err = client.output()
            finally:
                client.stop()
            server.sample()
        finally:
            server.stop()
        ok, why = run_ok(out)
        row = {"test": f"{proto} stream, {flows} flows, {model}, {threads} sender thread"
                       f"{'s' if threads > 1 else ''}, serve + --connect, 100k msg/s, {secs} s",
               "flows": flows, "model": model, "sender_threads": threads, "ok": ok, "error": "" if ok else (why or err[-300:]),
               "server_vm_hwm_mib": mib(server.hwm), "client_vm_hwm_mib": mib(client.hwm)}
        rows.append(row)
        print(f"  {proto} {model} {flows} flows K={threads}: server peak {row['server_vm_hwm_mib']} MiB, client peak "
              f"{row['client_vm_hwm_mib']} MiB{'' if ok else ' FAILED: ' + row['error']}", file=sys.stderr,
              flush=True)
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="1 s vs 5 s, 2,000 flows")
    ap.add_argument("-b", "--binary", default=os.path.join(ROOT, "build", "release", "netbench"))
    ap.add_argument("-o", "--output", default=os.path.join(ROOT, "results", "memory.json"))
    a = ap.parse_args()
    short_s, long_s, flows, per_model = (1, 5, 2000, 1000) if a.quick else (2, 20, 10000, 4096)
    print("RSS against run length:", file=sys.stderr)
    lengths = length_runs(a.binary, short_s, long_s)
    print(f"{flows} flows:", file=sys.stderr)
    many = many_flows(a.binary, many_flow_cases(flows, per_model), 3)
    growth = []
    for name in dict.fromkeys(r["test"] for r in lengths):
        s, l = [r for r in lengths if r["test"] == name]
        growth.append({"test": name, "short_peak_mib": s["vm_hwm_mib"], "long_peak_mib": l["vm_hwm_mib"],
                       "growth_mib": round((l["vm_hwm_mib"] or 0) - (s["vm_hwm_mib"] or 0), 1)})
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "")
    doc = {"schema": "netbench-memory/1", "command": " ".join(["bench/memory_check.py"] + sys.argv[1:]),
           "machine": {"nproc": len(os.sched_getaffinity(0)), "kernel": platform.release(), "cpu_model": cpu,
                       "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")},
           "limit_mib": LIMIT_MIB, "run_length": lengths, "growth": growth, "many_flows": many}
    failures = [r for r in lengths + many if not r["ok"]]
    over = [r for r in many if max(r["server_vm_hwm_mib"] or 0, r["client_vm_hwm_mib"] or 0) >= LIMIT_MIB]
    # More than 2 MiB more peak for a 10x longer run would be growth, not noise.
    grows = [g for g in growth if g["growth_mib"] > 2]
    doc["verdict"] = {"failed_runs": len(failures), "over_limit": len(over), "grows_with_length": len(grows)}
    with open(a.output, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    md = [f"# netbench memory ({doc['machine']['date']}, {cpu}, {doc['machine']['nproc']} CPUs)", "",
          f"Command: `{doc['command']}`", "", "## Peak RSS (VmHWM) against run length (paired run, one process)", "",
          f"| test | {short_s} s peak MiB | {long_s} s peak MiB | growth MiB |", "| --- | ---: | ---: | ---: |"]
    md += [f"| {g['test']} | {g['short_peak_mib']} | {g['long_peak_mib']} | {g['growth_mib']} |" for g in growth]
    md += ["", f"## {flows} flows under epoll, {per_model} flows under the other models (limit {LIMIT_MIB} MiB per side)", "",
           "| test | server VmHWM MiB | client VmHWM MiB | ok |", "| --- | ---: | ---: | --- |"]
    md += [f"| {r['test']} | {r['server_vm_hwm_mib']} | {r['client_vm_hwm_mib']} | "
           f"{'yes' if r['ok'] else 'no: ' + r['error']} |" for r in many]
    md_path = a.output[:-5] + ".md" if a.output.endswith(".json") else a.output + ".md"
    with open(md_path, "w") as f:
        f.write("\n".join(md) + "\n")
    print("\n".join(md))
    return 1 if failures or over or grows else 0


if __name__ == "__main__":
    sys.exit(main())
