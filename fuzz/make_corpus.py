#!/usr/bin/env python3
"""Regenerates the committed seed corpora under fuzz/corpus/.

    fuzz/make_corpus.py [path/to/netbench]

Wire headers and TCP streams are built here (layout of
include/netbench/wire_header.hpp). Control messages are captured from a real
exchange: this script plays the client of `netbench serve` on loopback (a TCP
stream test of a few messages) and stores each message it sends and receives,
as a bare JSON body and as a length-prefixed frame. Without a netbench binary
only the header, stream and hand-written control seeds are written.
"""
import base64
import json
import os
import socket
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
MAGIC, VERSION, HEADER = 0x4E42, 2, 40


def header(flags=0, flow=0, seq=0, send_ns=0, intended_ns=0, length=HEADER, reserved=0,
           magic=MAGIC, version=VERSION):
    return struct.pack(">HBBIQQQII", magic, version, flags, flow, seq, send_ns, intended_ns,
                       length, reserved)


def message(length, **kw):
    return header(length=length, **kw) + b"\xab" * (length - HEADER)


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def frame(body):
    return struct.pack(">I", len(body)) + body


def wire_seeds():
    t = "fuzz_wire_header"
    write(t, "min", header())
    write(t, "datagram_64", message(64, flow=3, seq=7, send_ns=10**9, intended_ns=10**9 - 5))
    write(t, "warmup_last", header(flags=3, flow=0xFFFFFFFF, seq=2**64 - 1, length=HEADER))
    write(t, "stream_prefix", header(length=1400) + b"\0" * 10)  # stream ok, datagram not
    write(t, "max_length", header(length=16 << 20))
    write(t, "too_long", header(length=(16 << 20) + 1))
    write(t, "too_short_len", header(length=39))
    write(t, "bad_magic", header(magic=0x4E43))
    write(t, "bad_version", header(version=1))
    write(t, "bad_flags", header(flags=4))
    write(t, "bad_reserved", header(reserved=1))
    write(t, "short", header()[:39])
    write(t, "empty", b"")


def stream_seeds():
    # First byte: how many chunk sizes follow (mod 9); then the sizes; then the stream.
    t = "fuzz_frame_decoder"
    three = message(40, seq=0) + message(64, seq=1) + message(1400, seq=2, flags=2)
    write(t, "whole", b"\x00" + three)
    write(t, "bytewise", b"\x01\x00" + three)
    write(t, "split_header", b"\x03\x10\x1f\x85" + three)
    write(t, "big_payload", b"\x02\xff\x07" + message(20000) + message(40))
    write(t, "bad_after_good", b"\x01\x27" + message(64) + header(magic=0) + message(40))
    write(t, "partial_end", b"\x00" + message(64) + message(100)[:70])
    write(t, "max_length", b"\x01\xff" + header(length=16 << 20) + b"\0" * 3000)


def hand_control_seeds():
    t = "fuzz_control"
    msgs = {
        "hello": {"type": "hello", "version": 1},
        "hello_token": {"type": "hello", "version": 1, "token": "s3cret"},
        "error": {"type": "error", "error": "busy: another test is running; try again later"},
        "poll": {"type": "poll"},
        "done": {"type": "done", "sent_by_flow": [10, 0, 18446744073709551615]},
        "not_object": [1, 2, 3],
        "config_null": {"type": "test", "config": None},
        "receiver_empty": {"type": "result", "receiver": {}},
    }
    for name, m in msgs.items():
        body = json.dumps(m).encode()
        write(t, "json_" + name, body)
        write(t, "frame_" + name, frame(body))
    write(t, "frame_zero_len", b"\0\0\0\0")
    write(t, "frame_too_long", struct.pack(">I", (1 << 20) + 1) + b"{}")
    write(t, "frame_truncated", struct.pack(">I", 100) + b'{"type":')
    write(t, "frame_two", frame(b'{"type":"poll"}') + frame(b'{"type":"done"}'))
    write(t, "json_deep", b"[" * 2000 + b"]" * 2000)
    write(t, "hist_empty_tag", b"NBLH\x01")
    write(t, "hist_bad_version", b"NBLH\x02\0\0\0\0\0\0")


class Peer:
    def __init__(self, sock):
        self.sock = sock
        self.seen = []

    def send(self, m):
        body = json.dumps(m).encode()
        self.seen.append(body)
        self.sock.sendall(frame(body))

    def recv(self):
        def exact(n):
            b = b""
            while len(b) < n:
                c = self.sock.recv(n - len(b))
                if not c:
                    raise EOFError
                b += c
            return b
        (n,) = struct.unpack(">I", exact(4))
        body = exact(n)
        self.seen.append(body)
        return json.loads(body)


def captured_control_seeds(netbench):
    doc = json.loads(subprocess.run(
        [netbench, "--proto", "tcp", "--count", "20", "--size", "200", "--json", "-q"],
        check=True, capture_output=True, text=True).stdout)
    config = doc["run"]["config"]
    srv = subprocess.Popen([netbench, "serve", "--bind", "127.0.0.1", "--port", "0",
                            "--max-tests", "1"], stderr=subprocess.PIPE, text=True)
    try:
        line = srv.stderr.readline()  # "listening on 127.0.0.1:PORT ..."
        port = int(line.split("listening on ")[1].split()[0].rsplit(":", 1)[1])
        ctl = Peer(socket.create_connection(("127.0.0.1", port), timeout=10))
        ctl.send({"type": "hello", "version": 1})
        ctl.recv()
        ctl.send({"type": "test", "config": config, "clock_ns": time.monotonic_ns()})
        ready = ctl.recv()
        data = socket.create_connection(("127.0.0.1", ready["ports"][0]), timeout=10)
        n = 20
        for i in range(n):
            now = time.monotonic_ns()
            data.sendall(message(200, seq=i, send_ns=now, intended_ns=now,
                                 flags=2 if i == n - 1 else 0))
        ctl.send({"type": "poll"})
        live = ctl.recv()
        time.sleep(0.2)
        ctl.send({"type": "done", "sent_by_flow": [n]})
        result = ctl.recv()
        data.close()
        ctl.sock.close()
    finally:
        srv.wait(timeout=10)
    t = "fuzz_control"
    for i, body in enumerate(ctl.seen):
        write(t, "real_%d_json" % i, body)
        write(t, "real_%d_frame" % i, frame(body))
    write(t, "real_session_frames", b"".join(frame(b) for b in ctl.seen))
    for key in ("latency", "latency_from_actual", "delay_variation"):
        write(t, "hist_" + key, base64.b64decode(result["receiver"][key]))
    write(t, "hist_live", base64.b64decode(live["latency"]))


def main():
    wire_seeds()
    stream_seeds()
    hand_control_seeds()
    if len(sys.argv) > 1:
        captured_control_seeds(sys.argv[1])


if __name__ == "__main__":
    main()
