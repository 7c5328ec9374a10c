#!/usr/bin/env python3
"""Connection churn against `netbench serve` must not lock real clients out
(issue 16, item 4; README, "Hardening").

Starts `netbench serve --port 0 --max-clients 16 --auth-token …` on
127.0.0.1 and, for --window seconds:
  churn   connections from 127.0.0.2 (another loopback address: all of
          127/8 is local), opened as fast as one thread can, each kept open
          until the server drops it or 400 are open (then the oldest is
          reset). By default never sending a byte: the server's deferred
          accept (TCP_DEFER_ACCEPT) keeps such connections out of its
          accept queue, so none reaches accept() and no SYN of a real
          client is dropped by a full queue. With --speak each sends one
          byte (a frame header's first): every one then takes a place in
          the server's admission table, and fair share by source is what
          keeps the real clients in
  proxy   a TCP proxy on 127.0.0.1 that delays every chunk by --delay-ms
          each way (this kernel has no netem): the control path of the real
          clients, one round trip ~2 x delay
  real    --clients `netbench --connect` TCP tests through the proxy, one
          after another, each bounded by a timeout
At least --need of the real clients must complete with exact counts. The
server's log bytes over the window are reported (and bounded by
--max-log-bytes), since each refused or evicted connection may log.

Standard library only; every loop is bounded in count and time (~15 s).
Exit 0 when every check passed, 1 otherwise.
    /usr/bin/python3 tests/system/abuse/churn.py --netbench build/dev/netbench
"""
import argparse
import asyncio
import json
import os
import re
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

TOKEN = "churn-test-token"


class Proxy:
    """Forwards 127.0.0.1:<port> to the server, each chunk delivered `delay` s later."""

    def __init__(self, target_port: int, delay: float):
        self.target_port = target_port
        self.delay = delay
        self.port = 0
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        if not self.ready.wait(5):
            raise RuntimeError("proxy did not start")

    def _run(self):
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(
            asyncio.start_server(self._serve, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self.ready.set()
        self.loop.run_forever()

    async def _pump(self, reader, writer):
        queue = asyncio.Queue()

        async def deliver():
            while True:
                due, data = await queue.get()
                wait = due - self.loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                if data is None:
                    break
                writer.write(data)
                await writer.drain()
            writer.close()

        task = asyncio.ensure_future(deliver())
        try:
            while True:
                data = await reader.read(65536)
                queue.put_nowait((self.loop.time() + self.delay, data or None))
                if not data:
                    break
        except (OSError, asyncio.CancelledError):
            queue.put_nowait((self.loop.time(), None))
        try:
            await asyncio.wait_for(task, 5)
        except (OSError, asyncio.TimeoutError):
            pass

    async def _serve(self, creader, cwriter):
        try:
            sreader, swriter = await asyncio.wait_for(
                asyncio.open_connection("127.0.0.1", self.target_port), 5)
        except (OSError, asyncio.TimeoutError):
            cwriter.close()
            return
        await asyncio.gather(self._pump(creader, swriter), self._pump(sreader, cwriter),
                             return_exceptions=True)

    def stop(self):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def churn(port: int, until: float, source: str, counter: list, first_bytes: bytes,
          rate: float):
    """Opens connections from `source` until `until` (at most `rate` per
    second; 0 = as fast as one thread can), each sending `first_bytes` once
    connected (none: never a byte)."""
    open_socks = []
    start = time.monotonic()
    linger = struct.pack("ii", 1, 0)  # close with RST: no TIME_WAIT, no port exhaustion
    while time.monotonic() < until and counter[0] < 2_000_000:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
        s.setblocking(False)
        try:
            s.bind((source, 0))
            s.connect_ex(("127.0.0.1", port))
        except OSError:
            s.close()
            time.sleep(0.001)
            continue
        counter[0] += 1
        open_socks.append(s)
        if first_bytes and len(open_socks) > 1:
            try:  # the previous one has had time to connect
                open_socks[-2].send(first_bytes)
            except OSError:
                pass
        if len(open_socks) > 400:
            open_socks.pop(0).close()
        if rate > 0:
            ahead = start + counter[0] / rate - time.monotonic()
            if ahead > 0.001:
                time.sleep(ahead)
    for s in open_socks:
        s.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--netbench", required=True)
    ap.add_argument("--window", type=float, default=10.0, help="churn seconds")
    ap.add_argument("--delay-ms", type=float, default=10.0, help="proxy delay each way")
    ap.add_argument("--clients", type=int, default=6)
    ap.add_argument("--need", type=int, default=5)
    ap.add_argument("--max-clients", type=int, default=16)
    ap.add_argument("--max-log-bytes", type=int, default=1 << 20)
    ap.add_argument("--no-token", action="store_true", help="serve without --auth-token")
    ap.add_argument("--speak", action="store_true",
                    help="each churn connection sends the first byte of a frame header "
                         "(past deferred accept: it takes a place in the admission table)")
    ap.add_argument("--show-log", action="store_true", help="print the server's log at the end")
    ap.add_argument("--sanitized", action="store_true",
                    help="a sanitizer build: each real client gets three times as long")
    ap.add_argument("--speak-rate", type=float, default=5000,
                    help="with --speak under --sanitized: churn connections/s at most")
    args = ap.parse_args()
    churn_rate = 0.0
    if args.sanitized:
        # An ASan/TSan server answers several times slower: churn three times
        # as long, so that each real client gets three times the time.
        args.window *= 3
        if args.speak:
            # Speaking churn reaches accept(); a sanitized server accepts
            # ~14 k/s here, below one Python thread's ~30 k/s, and the
            # kernel then drops SYNs (ListenOverflows) before admission
            # sees them: pace the churn so that admission is what is tested.
            churn_rate = args.speak_rate

    log = tempfile.TemporaryFile()
    cmd = [args.netbench, "serve", "--bind", "127.0.0.1", "--port", "0",
           "--max-clients", str(args.max_clients), "--handshake-timeout", "5s"]
    env = dict(os.environ)
    if not args.no_token:
        env["NETBENCH_AUTH_TOKEN"] = TOKEN
    server = subprocess.Popen(cmd, stderr=log, stdout=subprocess.DEVNULL, env=env)
    failures = []
    try:
        port = 0
        deadline = time.monotonic() + 10
        while port == 0 and time.monotonic() < deadline:
            log.seek(0)
            m = re.search(rb"listening on 127\.0\.0\.1:(\d+)", log.read())
            if m:
                port = int(m.group(1))
            else:
                time.sleep(0.05)
        if port == 0:
            print("FAIL: the server did not start")
            return 1
        proxy = Proxy(port, args.delay_ms / 1000.0)
        log.seek(0, os.SEEK_END)
        log_start = log.tell()
        counter = [0]
        start = time.monotonic()
        until = start + args.window
        attacker = threading.Thread(target=churn, args=(port, until, "127.0.0.2", counter,
                                                       b"\x00" if args.speak else b"",
                                                       churn_rate))
        attacker.start()
        time.sleep(0.5)  # the table is full of churn before the first real client
        completed = 0
        per_client = max(1.0, (args.window - 1.0) / args.clients)
        for i in range(args.clients):
            cmd = [args.netbench, "--connect", f"127.0.0.1:{proxy.port}", "--proto", "tcp",
                   "--count", "200", "--rate", "20k", "--json"]
            cenv = dict(os.environ)
            if not args.no_token:
                cenv["NETBENCH_AUTH_TOKEN"] = TOKEN
            t0 = time.monotonic()
            try:
                r = subprocess.run(cmd, capture_output=True, timeout=per_client, env=cenv)
                ok = r.returncode == 0
                detail = r.stderr.decode(errors="replace").strip().splitlines()[-1:] if not ok else ""
                if ok:
                    run = json.loads(r.stdout)["run"]
                    got = run["receiver"]["messages"]
                    ok = run["complete"] is True and got == 200
                    detail = f"(receiver: {got}/200 messages)"
            except subprocess.TimeoutExpired:
                ok, detail = False, f"timed out after {per_client:.1f} s"
            except (ValueError, KeyError) as e:
                ok, detail = False, f"bad JSON: {e}"
            completed += ok
            print(f"real client {i + 1}: {'completed' if ok else 'FAILED'} in "
                  f"{time.monotonic() - t0:.2f} s {detail}")
            left = start + 0.5 + (i + 1) * per_client - time.monotonic()
            if left > 0:
                time.sleep(left)
        attacker.join(args.window + 5)
        elapsed = time.monotonic() - start
        log.seek(0, os.SEEK_END)
        log_bytes = log.tell() - log_start
        rate = counter[0] / elapsed
        print(f"churn: {counter[0]} connections from 127.0.0.2 in {elapsed:.1f} s "
              f"({rate:,.0f}/s); real clients completed {completed}/{args.clients} "
              f"through a {args.delay_ms:g} ms-each-way proxy; server log {log_bytes:,} bytes")
        if completed < args.need:
            failures.append(f"only {completed}/{args.clients} real clients completed "
                            f"(need {args.need})")
        if log_bytes > args.max_log_bytes:
            failures.append(f"server log grew {log_bytes:,} bytes (limit {args.max_log_bytes:,})")
        if server.poll() is not None:
            failures.append(f"server exited ({server.returncode})")
        proxy.stop()
    finally:
        if server.poll() is None:
            server.terminate()
            try:
                server.wait(5)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    if args.show_log:
        log.seek(0)
        print(log.read().decode(errors="replace"), end="")
    for f in failures:
        print("FAIL:", f)
    print("PASS" if not failures else "FAILED")
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
