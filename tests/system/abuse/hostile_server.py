#!/usr/bin/env python3
"""A hostile or broken `netbench serve`, scripted, against the real client
(README, "Remote runs"; issue 16, items 8-11).

A fake server speaks the control framing (4-byte big-endian length, then
JSON) and misbehaves in one way per scenario; `netbench --connect` runs a
1 s TCP stream test against it. For every scenario the client must:
  - exit within the scenario's deadline, with the documented exit code
    (3: the server failed the setup, 4: the test ran but ended incomplete;
    never 1, "internal error"),
  - print one line on stderr saying why, with no raw ESC (or other control)
    byte in it,
  - keep its peak RSS (VmHWM, polled from /proc) under --max-rss-mib,
  - leave a complete JSON document in its -o file.

Scenarios: a 64 MiB frame of '[', a ready with 9 M ports, a result with
65,536 flows (and with 2 flows, and a duplicated flow id) for a 1-flow test,
an oversized result, wrong types in error/clock/live, negative, 1e300 and NaN
live figures, live totals that change forever (the drain deadline), silence
after ready, and terminal escapes in error and type strings.

A valid result to start from is recorded once from a real `netbench serve`.
Standard library only; every wait is bounded (the whole run takes ~40 s).
Exit code 0 when every check passed, 1 otherwise.
    /usr/bin/python3 tests/system/abuse/hostile_server.py --netbench build/dev/netbench
"""
import argparse
import copy
import json
import os
import re
import resource
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

DURATION_S = 1.0
CONFIG = {"batch": 1, "bind": "127.0.0.1", "busy_poll": False, "count_messages": 0,
          "duration_ns": 200_000_000, "family": "any", "flows": 1, "gso": False,
          "interval_ns": 1_000_000_000, "mode": "stream", "model": "epoll", "outstanding": 1,
          "pattern": "constant", "port": 0, "proto": "tcp", "rate_msgs_per_s": 100.0,
          "size_bytes": 100, "socket_buffer_bytes": 0, "threads": 1, "warmup_ns": 0}
EMPTY_HISTOGRAM = [""]  # base64, taken from the recorded result
ESCAPES = "\x1b[2J\x1b]0;owned\x07\x1b[31m"


def frame(obj) -> bytes:
    body = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
    return struct.pack(">I", len(body)) + body


def read_frame(sock: socket.socket, timeout: float = 5.0):
    """One frame as a dict; None when the peer closed or went quiet."""
    sock.settimeout(timeout)
    try:
        head = b""
        while len(head) < 4:
            chunk = sock.recv(4 - len(head))
            if not chunk:
                return None
            head += chunk
        (length,) = struct.unpack(">I", head)
        body = b""
        while len(body) < length:
            chunk = sock.recv(min(length - len(body), 1 << 20))
            if not chunk:
                return None
            body += chunk
        return json.loads(body)
    except (OSError, ValueError):
        return None


def record_result(netbench: str) -> dict:
    """The receiver part of a real 1-flow TCP result, from a real server."""
    proc = subprocess.Popen([netbench, "serve", "--bind", "127.0.0.1", "--port", "0"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        port = 0
        for _ in range(10):
            m = re.search(r"listening on 127\.0\.0\.1:(\d+)", proc.stderr.readline())
            if m:
                port = int(m.group(1))
                break
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(frame({"type": "hello", "version": 1}))
            read_frame(s)
            s.sendall(frame({"type": "test", "config": CONFIG}))
            ready = read_frame(s)
            socket.create_connection(("127.0.0.1", ready["ports"][0]), timeout=5).close()
            time.sleep(0.3)
            s.sendall(frame({"type": "done", "sent_by_flow": [0]}))
            result = read_frame(s, 10)
        assert result and result.get("type") == "result", result
        return result
    finally:
        proc.terminate()
        proc.wait(timeout=10)


class Sink:
    """A TCP data port that accepts and discards, so the client's sender runs."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._drain, args=(conn,), daemon=True).start()

    @staticmethod
    def _drain(conn):
        with conn:
            conn.settimeout(30)
            try:
                while conn.recv(1 << 16):
                    pass
            except OSError:
                pass


EMPTY_DISTRIBUTION = {"count": 0, "max": 0, "sum": 0, "buckets": []}
FLOW = {"flow_id": 0, "messages": 0, "bytes": 0, "warmup_messages": 0, "malformed": 0,
        "unique": 0, "duplicates": 0, "reordered": 0, "beyond_window": 0,
        "reorder_extents": EMPTY_DISTRIBUTION,
        "loss": {"sent": 0, "unique": 0, "lost": 0, "bursts": 0,
                 "burst_lengths": EMPTY_DISTRIBUTION},
        "jitter_ns": 0.0, "socket_drops": 0, "first_arrival_ns": 0, "last_arrival_ns": 0,
        "echoed_messages": 0, "echoed_bytes": 0, "echo_failures": 0, "peer_closed": True,
        "stream_error": False}


def live(n: int, **over) -> dict:
    msg = {"type": "live", "messages": n, "bytes": 100 * n, "reordered": 0, "duplicates": 0,
           "flows": 1, "finished_flows": 0, "latency": EMPTY_HISTOGRAM[0]}
    msg.update(over)
    return msg


class Script:
    """What the fake server does after "hello"; each method is one scenario."""

    def __init__(self, conn, sink, result):
        self.conn, self.sink, self.result = conn, sink, result

    def send(self, obj):
        self.conn.sendall(frame(obj))

    def ready(self, **over):
        msg = {"type": "ready", "ports": [self.sink.port], "clock": "separate"}
        msg.update(over)
        self.send(msg)

    def serve_polls(self, live_for, result=None):
        """Answers polls with live_for(i) and "done" with `result`."""
        i = 0
        while True:
            msg = read_frame(self.conn, 30)
            if msg is None:
                return
            if msg.get("type") == "poll":
                i += 1
                reply = live_for(i)
                self.conn.sendall(reply if isinstance(reply, bytes) else frame(reply))
            elif msg.get("type") == "done":
                self.conn.sendall(frame(result if result is not None else self.result))

    def result_with_flows(self, ids):
        r = copy.deepcopy(self.result)
        r["receiver"]["receiver_flows"] = [dict(FLOW, flow_id=i) for i in ids]
        return r


def scenario_list():
    """(name, what the server does, allowed exit codes, deadline s)."""
    def bracket_frame(s):
        s.conn.sendall(struct.pack(">I", 64 << 20))
        chunk = b"[" * (1 << 20)
        for _ in range(64):
            s.conn.sendall(chunk)

    def huge_ports(s):
        body = b'{"type":"ready","clock":"x","ports":[' + b"5001," * 9_000_000 + b"5001]}"
        s.conn.sendall(struct.pack(">I", len(body)) + body)

    def result(obj, live_for=lambda i: live(0)):
        return lambda s: (s.ready(), s.serve_polls(live_for, obj(s)))

    return [
        ("frame_64mib_of_brackets", bracket_frame, {3}, 10),
        ("ready_with_9m_ports", huge_ports, {3}, 10),
        ("result_of_1_mib_of_brackets", result(lambda s: b"[" * (1 << 20)), {4}, 10),
        ("ready_with_2_ports_for_1_tcp_flow",
         lambda s: s.ready(ports=[s.sink.port, s.sink.port]), {3}, 10),
        ("result_with_65536_flows", result(lambda s: s.result_with_flows(range(65536))), {4}, 15),
        ("result_with_2_flows", result(lambda s: s.result_with_flows([0, 1])), {4}, 10),
        ("result_with_flow_id_out_of_range", result(lambda s: s.result_with_flows([7])), {4}, 10),
        ("oversized_result", result(lambda s: dict(s.result, pad="a" * (16 << 20))), {4}, 10),
        ("result_of_one_valid_flow", result(lambda s: s.result_with_flows([0])), {0}, 10),
        ("error_of_wrong_type", lambda s: s.send({"type": "error", "error": 42}), {3}, 10),
        ("clock_of_wrong_type", lambda s: s.ready(clock=7), {3}, 10),
        ("live_of_wrong_type",
         lambda s: (s.ready(), s.serve_polls(lambda i: live(i, messages="many"))), {4}, 10),
        ("live_negative", lambda s: (s.ready(), s.serve_polls(lambda i: live(-5))), {4}, 10),
        ("live_1e300", lambda s: (s.ready(), s.serve_polls(lambda i: live(i, bytes=1e300))),
         {4}, 10),
        ("live_nan", lambda s: (s.ready(), s.serve_polls(
            lambda i: frame(json.dumps(live(i)).replace('"bytes": ' + str(100 * i),
                                                        '"bytes": NaN').encode()))), {4}, 10),
        ("live_going_backwards", lambda s: (s.ready(), s.serve_polls(
            lambda i: live(1000 - i))), {4}, 10),
        ("live_totals_change_forever", result(lambda s: s.result, lambda i: live(i)), {0, 4}, 10),
        ("silence_after_ready", lambda s: (s.ready(), time.sleep(40)), {4}, 10),
        ("escapes_in_error", lambda s: s.send({"type": "error", "error": ESCAPES + "no"}), {3}, 10),
        ("escapes_in_type", lambda s: s.send({"type": ESCAPES + "ready"}), {3}, 10),
        ("escapes_in_result_error",
         result(lambda s: dict(s.result, error=ESCAPES + "\xff\u202e")), {4}, 10),
    ]


def fake_server(listener, sink, result, script):
    try:
        conn, _ = listener.accept()
    except OSError:
        return
    with conn:
        try:
            if read_frame(conn) is None:
                return
            conn.sendall(frame({"type": "hello", "version": 1, "server": "hostile"}))
            if read_frame(conn) is None:  # the test
                return
            script(Script(conn, sink, result))
            time.sleep(1)
        except OSError:
            pass


def peak_rss_kib(pid: int, peak: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return max(peak, int(line.split()[1]))
    except OSError:
        pass
    return peak


def run_one(netbench, result, name, script, codes, deadline, max_rss_kib, limit_as, tmp):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    sink = Sink()
    threading.Thread(target=fake_server, args=(listener, sink, result, script),
                     daemon=True).start()
    out = os.path.join(tmp, name + ".json")
    cmd = [netbench, "--connect", f"127.0.0.1:{listener.getsockname()[1]}", "--proto", "tcp",
           "--duration", "1s", "--interval", "500ms", "--rate", "1k", "--size", "100",
           "-o", out]
    start = time.monotonic()
    def limit():
        if limit_as:
            resource.setrlimit(resource.RLIMIT_AS, (limit_as, limit_as))

    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, preexec_fn=limit)
    peak = 0
    while proc.poll() is None and time.monotonic() - start < deadline:
        peak = peak_rss_kib(proc.pid, peak)
        time.sleep(0.01)
    hung = proc.poll() is None
    if hung:
        proc.kill()
    stderr = proc.communicate(timeout=10)[1]
    took = time.monotonic() - start
    listener.close()
    sink.sock.close()
    lines = [ln for ln in stderr.split(b"\n") if ln]
    problems = []
    if hung:
        problems.append(f"still running after {deadline} s")
    elif proc.returncode not in codes:
        problems.append(f"exit {proc.returncode}, wanted {sorted(codes)}")
    if peak > max_rss_kib:
        problems.append(f"peak RSS {peak // 1024} MiB")
    if any(b < 0x20 or b == 0x7F for ln in lines for b in ln):
        problems.append("a control byte reached stderr")
    # One line says why the run failed; warnings (a sender that fell behind
    # its schedule on a loaded host, host load) come on lines of their own.
    said = [ln for ln in lines if not ln.startswith(b"netbench: warning: ")]
    if proc.returncode not in (0,) and not hung and len(said) != 1:
        problems.append(f"{len(said)} stderr lines besides warnings")
    try:
        with open(out) as f:
            doc = json.load(f)
        if not isinstance(doc, dict) or "schema" not in doc:
            problems.append("-o document has no schema")
    except (OSError, ValueError) as e:
        problems.append(f"-o document incomplete: {e}")
    said = lines[-1].decode("utf-8", "backslashreplace")[:150] if lines else ""
    verdict = "ok  " if not problems else "FAIL"
    print(f"{verdict} {name:36} exit {proc.returncode} in {took:4.1f} s, "
          f"peak {peak / 1024:6.1f} MiB: {said}" + (f"  <- {'; '.join(problems)}"
                                                    if problems else ""), flush=True)
    return not problems


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--netbench", required=True)
    ap.add_argument("--only", default="", help="run the scenarios whose name has this")
    ap.add_argument("--max-rss-mib", type=int, default=64)
    ap.add_argument("--limit-as-mib", type=int, default=2048,
                    help="address-space limit of the client (a safety net for the machine: "
                         "a client without bounds reached 4.9 GiB); not under --sanitized")
    ap.add_argument("--sanitized", action="store_true",
                    help="a sanitizer build: report RSS, do not check it")
    a = ap.parse_args()
    result = record_result(a.netbench)
    EMPTY_HISTOGRAM[0] = result["receiver"]["latency"]
    max_rss = (1 << 40) if a.sanitized else a.max_rss_mib * 1024
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for name, script, codes, deadline in scenario_list():
            if a.only in name:
                ok &= run_one(a.netbench, result, name, script, codes, deadline, max_rss,
                              0 if a.sanitized else a.limit_as_mib << 20, tmp)
    print("all passed" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
