#!/usr/bin/env python3
"""Abusive peers against a live `netbench serve`, all at once, while normal
clients run tests in the middle of it (README, "Hardening").

Starts `netbench serve --port 0` on 127.0.0.1 (the port is read from its
log) and, concurrently for --window seconds:
  garbage      connections that send random bytes          -> an error reply
  4gib         a length prefix of 4 GiB                     -> an error reply
  slow         hello sent one byte per second               -> "handshake timeout"
  half-open    connect + shutdown(SHUT_WR), with and without a hello -> closed
  stalled      a valid test, then silence (never reads, sends no data)
                                                            -> ended after the idle timeout
  silent       --silent connections (500) that never speak, reopened when closed
                                                            -> closed at the handshake timeout
  spray        UDP datagrams from an unregistered socket at every UDP port the
               server has open (found through /proc)        -> nothing ever comes back
  intrude      TCP connections from 127.0.0.2 to a test's data ports (found
               through /proc), sending frames               -> closed, never a flow
  vanish       `netbench --connect` clients killed with SIGKILL mid-test
                                                            -> the server ends that test
In the middle, normal `netbench --connect` tests (tcp and udp, stream and
echo, under the epoll and the uring model; retried while the server says
"busy") must complete with exact counts. At the end the server must still be up, its descriptor count back
to the baseline, its RSS bounded, and it must exit 0 on SIGTERM.

Standard library only; every loop is bounded in count and time. Exit code 0
when every check passed, 1 otherwise.
    /usr/bin/python3 tests/system/abuse/abuse.py --netbench build/dev/netbench
"""
import argparse
import json
import os
import random
import re
import resource
import selectors
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

HELLO = json.dumps({"type": "hello", "version": 1}).encode()
CONFIG = {"batch": 1, "bind": "127.0.0.1", "busy_poll": False, "count_messages": 0,
          "duration_ns": 20_000_000_000, "family": "any", "flows": 1, "gso": False,
          "interval_ns": 1_000_000_000, "mode": "stream", "model": "epoll", "outstanding": 1,
          "pattern": "constant", "port": 0, "proto": "tcp", "rate_msgs_per_s": 1000.0,
          "size_bytes": 1024, "socket_buffer_bytes": 0, "threads": 1, "warmup_ns": 0}


def frame(body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + body


def read_frame(sock: socket.socket, timeout: float):
    """One reply frame as a dict, or None if the server closed or said nothing."""
    sock.settimeout(timeout)
    data = b""
    try:
        while len(data) < 4:
            chunk = sock.recv(4 - len(data))
            if not chunk:
                return None
            data += chunk
        (length,) = struct.unpack(">I", data)
        if length > 1 << 20:
            return None
        body = b""
        while len(body) < length:
            chunk = sock.recv(length - len(body))
            if not chunk:
                return None
            body += chunk
        return json.loads(body)
    except (OSError, ValueError):
        return None


def closed_by_server(sock: socket.socket, timeout: float) -> bool:
    """True if the server closes the connection within `timeout` (replies read and dropped)."""
    sock.settimeout(timeout)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if not sock.recv(65536):
                return True
    except ConnectionResetError:
        return True
    except OSError:
        return False
    return False


class Server:
    """`netbench serve` in a child process; its log lines are collected."""

    def __init__(self, netbench: str, extra: list):
        # --max-buffer: the normal runs ask for 4 MiB, above a stock rmem_max.
        cmd = [netbench, "serve", "--bind", "127.0.0.1", "--port", "0",
               "--max-buffer", "4MiB"] + extra
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)
        self.lines = []
        self.port = 0
        for _ in range(10):  # lines before it say which limits were lowered to fit
            line = self.proc.stderr.readline()
            self.lines.append(line.rstrip())
            m = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
            if m or not line:
                self.port = int(m.group(1)) if m else 0
                break
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stderr:
            self.lines.append(line.rstrip())

    def fds(self) -> int:
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))

    def rss_kib(self) -> int:
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def _ports(self, proto: str, listening: bool) -> set:
        """Local ports of the server's sockets: its fd inodes matched in /proc/net/PROTO."""
        inodes = set()
        try:
            for fd in os.listdir(f"/proc/{self.proc.pid}/fd"):
                try:
                    target = os.readlink(f"/proc/{self.proc.pid}/fd/{fd}")
                except OSError:
                    continue
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except OSError:
            return set()
        ports = set()
        for table in (f"/proc/net/{proto}", f"/proc/net/{proto}6"):
            try:
                with open(table) as f:
                    next(f)
                    for line in f:
                        cols = line.split()
                        if len(cols) > 9 and cols[9] in inodes and (
                                not listening or cols[3] == "0A"):
                            ports.add(int(cols[1].rsplit(":", 1)[1], 16))
            except OSError:
                pass
        return ports

    def udp_ports(self) -> set:
        return self._ports("udp", False)

    def tcp_data_ports(self) -> set:
        """The server's listening TCP ports other than its control port: a test's data ports."""
        return self._ports("tcp", True) - {self.port}

    def alive(self) -> bool:
        return self.proc.poll() is None


class Abuse:
    def __init__(self, args, server: Server):
        self.args = args
        self.server = server
        self.stop = threading.Event()
        self.results = {}
        self.lock = threading.Lock()

    def record(self, name, ok, detail):
        with self.lock:
            self.results[name] = (ok, detail)

    def connect(self):
        s = socket.create_connection(("127.0.0.1", self.server.port), timeout=5)
        return s

    def garbage(self):
        errors = rounds = 0
        rng = random.Random(8)
        for i in range(400):  # until the window ends
            if self.stop.is_set():
                break
            rounds += 1
            with self.connect() as s:
                if i % 2 == 0:
                    body = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 2000)))
                    s.sendall(frame(body))  # a plausible length, a body that is not JSON
                else:
                    s.sendall(bytes(rng.randrange(256) for _ in range(rng.randrange(4, 2000))))
                reply = read_frame(s, 10)
                errors += reply is not None and reply.get("type") == "error"
            time.sleep(0.1)
        self.record("garbage", errors == rounds, f"{errors}/{rounds} error replies")

    def four_gib(self):
        good = rounds = 0
        for _ in range(200):
            if self.stop.is_set():
                break
            rounds += 1
            with self.connect() as s:
                s.sendall(b"\xff\xff\xff\xff" + b"x" * 1000)
                reply = read_frame(s, 10)
                good += reply is not None and "outside" in reply.get("error", "")
            time.sleep(0.2)
        self.record("4gib", good == rounds, f"{good}/{rounds} 'length outside' errors")

    def slow(self):
        """Five peers sending a hello one byte per second."""
        done = []
        problems = []

        def one():
            data = frame(HELLO)
            try:
                with self.connect() as s:
                    for i in range(min(len(data), 30)):
                        s.sendall(data[i:i + 1])
                        if select_readable(s, 1.0):
                            reply = read_frame(s, 1.0) or {}
                            done.append(reply.get("error") == "handshake timeout")
                            if not done[-1]:
                                problems.append(f"reply {reply}")
                            return
            except OSError as e:
                problems.append(str(e))
                done.append(False)
                return
            problems.append("never cut off")
            done.append(False)

        batches = 0
        while batches < 20 and not self.stop.is_set():  # batches of five, until the window ends
            batches += 1
            threads = [threading.Thread(target=one) for _ in range(5)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
        self.record("slow", len(done) == 5 * batches and all(done),
                    f"{sum(done)}/{5 * batches} one-byte-per-second peers cut off with "
                    "'handshake timeout'" + (f"; {problems[:3]}" if problems else ""))

    def half_open(self):
        closed = rounds = 0
        for i in range(200):
            if self.stop.is_set():
                break
            rounds += 1
            time.sleep(0.1)
            s = self.connect()
            if i % 2 == 1:
                s.sendall(frame(HELLO))
            s.shutdown(socket.SHUT_WR)
            closed += closed_by_server(s, 15)
            s.close()
        self.record("half-open", closed == rounds, f"{closed}/{rounds} closed by the server")

    def stalled(self):
        """A valid TCP test, then silence: the server must end it (idle timeout)."""
        ended = rounds = 0
        for _ in range(10):
            if self.stop.is_set():
                break
            rounds += 1
            time.sleep(2)  # leaves the normal clients gaps to get the test slot in
            with self.connect() as s:
                s.sendall(frame(HELLO))
                if (read_frame(s, 10) or {}).get("type") != "hello":
                    continue
                s.sendall(frame(json.dumps({"type": "test", "config": CONFIG}).encode()))
                # Busy (another test) is an answer too; otherwise "ready", then
                # nothing from us: the server must give up on its own.
                first = read_frame(s, 10) or {}
                if first.get("type") == "error":
                    ended += "busy" in first.get("error", "")
                    continue
                ended += first.get("type") == "ready" and closed_by_server(s, 30)
        self.record("stalled", ended == rounds,
                    f"{ended}/{rounds} stalled tests ended by the server (or told busy)")

    def silent(self):
        sel = selectors.DefaultSelector()
        opened = closed = 0
        limit = self.args.silent * 20  # bound on connections ever opened

        def open_one():
            nonlocal opened
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", self.server.port))
            sel.register(s, selectors.EVENT_READ)
            opened += 1

        for _ in range(self.args.silent):
            open_one()
        while not self.stop.is_set():
            for key, _ in sel.select(0.2):
                s = key.fileobj
                try:
                    gone = not s.recv(65536)
                except BlockingIOError:
                    continue
                except OSError:
                    gone = True
                if gone:
                    sel.unregister(s)
                    s.close()
                    closed += 1
                    if opened < limit:
                        open_one()
        for key in list(sel.get_map().values()):
            key.fileobj.close()
        self.record("silent", closed >= self.args.silent,
                    f"{opened} never-speaking connections opened, {closed} closed by the server")

    def spray(self):
        """UDP from a socket that never registered, at every UDP port the server has."""
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        s.setblocking(False)
        rng = random.Random(9)
        sent = echoed = 0
        ports_seen = set()
        deadline = time.monotonic() + self.args.window + 5
        while not self.stop.is_set() and time.monotonic() < deadline:
            for port in self.server.udp_ports():
                ports_seen.add(port)
                for k in range(5):
                    if k == 0:  # looks like a registration, with a wrong token
                        payload = b"NBREG\x00v1" + rng.randbytes(16)
                    else:
                        payload = rng.randbytes(rng.randrange(1, 1400))
                    try:
                        s.sendto(payload, ("127.0.0.1", port))
                        sent += 1
                    except OSError:
                        pass
            for _ in range(1000):
                try:
                    s.recvfrom(65536)
                    echoed += 1
                except BlockingIOError:
                    break
                except OSError:
                    continue  # an ICMP error (port unreachable) surfacing: not an echo
            time.sleep(0.01)
        time.sleep(0.5)
        for _ in range(1000):
            try:
                s.recvfrom(65536)
                echoed += 1
            except BlockingIOError:
                break
            except OSError:
                continue
        s.close()
        self.record("spray", echoed == 0 and sent > 0 and len(ports_seen) > 0,
                    f"{sent} datagrams to {len(ports_seen)} server UDP ports, {echoed} came back")

    def intrude(self):
        """TCP connections to a test's data ports from another address (127.0.0.2),
        sending valid-looking frames: each must be closed, none must count."""
        rng = random.Random(10)
        tries = closed = 0
        deadline = time.monotonic() + self.args.window + 5
        while not self.stop.is_set() and time.monotonic() < deadline and tries < 2000:
            for port in self.server.tcp_data_ports():
                tries += 1
                try:
                    s = socket.socket()
                    s.bind(("127.0.0.2", 0))
                    s.settimeout(5)
                    s.connect(("127.0.0.1", port))
                    s.sendall(rng.randbytes(64))
                    closed += closed_by_server(s, 5)
                    s.close()
                except OSError:
                    closed += 1  # refused or reset: the test's port closed, or we were cut off
            time.sleep(0.01)
        self.record("intrude", closed == tries,
                    f"{closed}/{tries} TCP data connections from 127.0.0.2 closed by the server")

    def client(self, proto, mode, extra, timeout=60):
        cmd = [self.args.netbench, "--connect", f"127.0.0.1:{self.server.port}", "--proto", proto,
               "--mode", mode] + extra
        env = {k: v for k, v in os.environ.items() if k != "NETBENCH_AUTH_TOKEN"}
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)

    def vanish(self):
        """Clients killed with SIGKILL one second into a 10 s test, the server's
        receiver readiness-based (epoll), then completion-based (uring)."""
        killed = rounds = 0
        for proto, model in (("tcp", "epoll"), ("udp", "epoll"), ("tcp", "uring"), ("udp", "uring")):
            if self.stop.is_set():
                break
            rounds += 1
            time.sleep(1)
            for _ in range(40):  # wait for a free test slot: a kill needs a running test
                cmd = [self.args.netbench, "--connect", f"127.0.0.1:{self.server.port}",
                       "--proto", proto, "--model", model, "--duration", "10s", "--rate", "20k",
                       "-q"]
                p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True)
                try:
                    p.wait(1.0)
                    if "busy" in p.stderr.read():
                        time.sleep(0.25)
                        continue
                    break
                except subprocess.TimeoutExpired:
                    p.kill()  # SIGKILL, by its PID
                    p.wait()
                    killed += p.returncode == -signal.SIGKILL
                    break
        self.record("vanish", killed == rounds, f"{killed}/{rounds} clients killed mid-test")

    def normal_runs(self):
        """Normal tests in the middle of the abuse; retried while the server is busy."""
        time.sleep(self.args.window / 3)
        count = 2000
        outcomes = []
        for proto, mode, model in [(p, m, model) for model in ("epoll", "uring")
                                   for p in ("tcp", "udp") for m in ("stream", "echo")]:
            busy = 0
            for _ in range(120):
                r = self.client(proto, mode, ["--model", model, "--flows", "2", "--count",
                                              str(count), "--rate", "10k", "--buffer", "4MiB",
                                              "--json"])
                if r.returncode == 3 and "busy" in r.stdout + r.stderr:
                    busy += 1
                    time.sleep(0.25)
                    continue
                break
            problem = check_run(r, count, mode)
            outcomes.append((f"{proto}/{mode}/{model}", problem, busy))
        ok = all(p is None for _, p, _ in outcomes)
        detail = ", ".join(f"{n}: {'exact' if p is None else p} (busy {b}x)" for n, p, b in outcomes)
        self.record("normal", ok, detail)


def select_readable(s, timeout):
    sel = selectors.DefaultSelector()
    sel.register(s, selectors.EVENT_READ)
    ready = bool(sel.select(timeout))
    sel.close()
    return ready


def check_run(r, count, mode):
    """None if the run's document is complete and exact, else what is wrong."""
    if r.returncode != 0:
        return f"exit {r.returncode}: {r.stderr.strip()[-200:]}"
    try:
        run = json.loads(r.stdout)["run"]
    except (ValueError, KeyError):
        return "no JSON document"
    rx, tx = run["receiver"], run["sender"]
    checks = {
        "complete": run["complete"] is True,
        "sent": tx["messages"] == count,
        "received": rx["messages"] == count and rx["unique"] == count,
        "lost": rx["loss"]["lost"] == 0,
        "duplicates": rx["duplicates"] == 0,
        "malformed": rx["malformed"] == 0,
    }
    if mode == "echo":
        checks["replies"] = sum(f["replies"] for f in tx["flows"]) == count
    bad = [k for k, v in checks.items() if not v]
    return None if not bad else "wrong " + ", ".join(bad)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--netbench", required=True)
    ap.add_argument("--window", type=float, default=20, help="seconds of abuse (default 20)")
    ap.add_argument("--silent", type=int, default=500, help="never-speaking connections (500)")
    ap.add_argument("--server-log", help="write the server's log lines to this file at the end")
    ap.add_argument("--sanitized", action="store_true",
                    help="a sanitizer build: report the server's memory, do not check it")
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    server = Server(args.netbench, ["--idle-timeout", "3s", "--handshake-timeout", "2s",
                                    "--max-clients", "1024", "--max-flows", "64",
                                    "--max-duration", "30s"])
    if not server.port:
        print("abuse: the server did not start:", server.lines, file=sys.stderr)
        return 1
    time.sleep(0.3)
    base_fds, base_rss = server.fds(), server.rss_kib()
    peak = {"fds": base_fds, "rss": base_rss}

    def monitor():
        while server.alive() and not abuse.stop.is_set():
            try:
                peak["fds"] = max(peak["fds"], server.fds())
                peak["rss"] = max(peak["rss"], server.rss_kib())
            except OSError:
                pass
            time.sleep(0.1)

    abuse = Abuse(args, server)
    started = time.monotonic()
    workers = [threading.Thread(target=monitor)]
    for name in ("garbage", "four_gib", "slow", "half_open", "stalled", "silent", "spray",
                 "intrude", "vanish", "normal_runs"):
        workers.append(threading.Thread(target=getattr(abuse, name), name=name))
    for t in workers:
        t.start()
    # The window, or longer if the normal runs are not done yet (bounded).
    normal = workers[-1]
    normal.join(180)
    time.sleep(max(0.0, started + args.window - time.monotonic()))
    abuse.stop.set()
    for t in workers:
        t.join(90)
    hung = [t.name for t in workers if t.is_alive()]

    # The descriptors come back once the last connections are closed.
    fds_after = server.fds()
    for _ in range(150):
        fds_after = server.fds()
        if fds_after <= base_fds:
            break
        time.sleep(0.1)
    rss_after = server.rss_kib()
    alive = server.alive()
    wall = time.monotonic() - started
    server.proc.send_signal(signal.SIGTERM)
    try:
        code = server.proc.wait(15)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        code = "hung on SIGTERM"

    server.reader.join(5)
    if args.server_log:
        with open(args.server_log, "w") as f:
            f.write("\n".join(server.lines) + "\n")
    checks = dict(abuse.results)
    checks["hung abusers"] = (not hung, ", ".join(hung) or "none")
    checks["server up"] = (alive, "alive after the abuse")
    checks["descriptors"] = (fds_after <= base_fds,
                             f"{base_fds} before, peak {peak['fds']}, {fds_after} after")
    checks["memory"] = (args.sanitized or
                        (rss_after - base_rss < 32 * 1024 and peak["rss"] - base_rss < 256 * 1024),
                        f"RSS {base_rss} KiB before, peak {peak['rss']} KiB, {rss_after} KiB after")
    checks["SIGTERM"] = (code == 0, f"exit code {code}")
    dropped = sum(int(m.group(1)) for line in server.lines
                  for m in [re.search(r"(\d+) datagrams from unregistered peers dropped", line)] if m)
    if "spray" in checks:
        ok, detail = checks["spray"]
        checks["spray"] = (ok, detail + f"; {dropped} dropped unseen during registration")
    gone = sum(1 for line in server.lines if "test incomplete" in line)
    if "vanish" in checks:
        ok, detail = checks["vanish"]
        checks["vanish"] = (ok and gone > 0, detail + f"; the server logged {gone} incomplete tests "
                             "(killed and stalled clients)")
    stray = sum(int(m.group(1)) for line in server.lines
                for m in [re.search(r"(\d+) stray TCP data connections refused", line)] if m)
    if "intrude" in checks:
        ok, detail = checks["intrude"]
        checks["intrude"] = (ok, detail + f"; the server logged {stray} refused")
    refusals = sum(1 for line in server.lines if "client 127.0.0.1" in line)
    checks["log"] = (refusals > 0, f"{refusals} per-client log lines")
    failed = 0
    for name, (ok, detail) in checks.items():
        failed += not ok
        print(f"abuse: {'ok  ' if ok else 'FAIL'} {name}: {detail}")
    print(f"abuse: {len(checks) - failed}/{len(checks)} checks passed in {wall:.1f} s")
    if failed:
        print("abuse: last server log lines:", *server.lines[-15:], sep="\n  ", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
