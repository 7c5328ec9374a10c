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


# LatencyHistogram::serialize() in base64: empty, and 50 samples of k * 997 ns.
EMPTY_HIST = "TkJMSAEAAAAAAIGIAg=="
HIST_50 = ("TkJMSAEy5Qe6hQOHy00AgYgCyQ8Cxw8ClwgC4wcCpQQC7wMC7wMC8QMCqwIC9wEC9QEC9wEC9wEC9QEC"
           "9wEC9wECrwECeQJ5AnsCeQJ5AnsCeQJ5AnsCeQJ5AnsCeQJ5AnsCcQI7AjsCOwI7AjsCPQI7AjsCOwI7"
           "AjsCPQI7AjsCOwI7AjsC")


def sender_part(flows, intervals, zerocopy):
    """A valid sender part (src/app/control/sender_codec.hpp)."""
    def dist(count=0, mx=0, total=0, buckets=()):
        return {"count": count, "max": mx, "sum": total, "buckets": [list(b) for b in buckets]}

    def cpu(u, s):
        return {"user_s": u, "sys_s": s, "voluntary_switches": 3, "involuntary_switches": 1,
                "threads": 1}

    def zc(n):
        keys = ("sends", "notifications", "completions", "zerocopy", "copied", "enobufs_waits",
                "buffer_waits", "copy_fallbacks", "unexpected", "outstanding_at_end")
        return {k: n + i for i, k in enumerate(keys)}

    def flow(i):
        return {"flow_id": i, "messages": 100, "bytes": 6400, "warmup_messages": 5,
                "send_failures": 1, "would_block": 2, "replies": 97, "reply_bytes": 6208,
                "replies_malformed": 0, "reply_reordered": 1, "reply_duplicates": 0,
                "reply_loss": {"sent": 100, "unique": 97, "lost": 3, "bursts": 2,
                               "burst_lengths": dist(2, 2, 3, [(1, 1), (2, 1)])},
                "reply_reorder_extents": dist(1, 11, 11, [(4, 1)]),
                "tcp": {"valid": True, "retransmits": 0, "srtt_us": 25, "rttvar_us": 6,
                        "cwnd_segments": 10, "mss_bytes": 65483, "segments_out": 120,
                        "segments_in": 118},
                "zerocopy": zc(0), "closed_by_peer": False}

    def interval(i):
        return {"start_ns": i * 10**9, "end_ns": (i + 1) * 10**9 + 7, "sent_messages": 50,
                "sent_bytes": 3200, "received_messages": 49, "received_bytes": 3136,
                "reordered": 1, "duplicates": 0, "latency_samples": 49,
                "latency_p50_ns": 21000, "latency_p99_ns": 48000, "warmup": i == 0}

    part = {"message_bytes": 64, "measured_ns": 2 * 10**9,
            "sender_flows": [flow(i) for i in range(flows)],
            "sender": {"cpu": cpu(0.25, 0.125), "loop": {"wakeups": 10, "ready_events": 12},
                       "tcp_congestion": "cubic"},
            "send_loops": [{"cpu": -1, "flows": flows, "messages": 100 * flows,
                            "cpu_usage": cpu(0.2, 0.1)}],
            "pacing": {"target_msgs_per_s": 1000.5, "lateness": HIST_50, "first_send_ns": 7,
                       "last_send_ns": 2 * 10**9, "sends": 100 * flows},
            "latency": HIST_50, "latency_from_actual": EMPTY_HIST,
            "start": {"requested_unix_ns": 0, "actual_unix_ns": 0},
            "intervals": [interval(i) for i in range(intervals)],
            "complete": True, "error": "", "warnings": ["pacing fell behind schedule"]}
    if zerocopy:
        part["zerocopy"] = zc(100)
    return part


def sender_seeds():
    t = "fuzz_sender_codec"
    full = sender_part(3, 3, True)
    write(t, "full", json.dumps(full).encode())
    write(t, "one_flow_no_zerocopy", json.dumps(sender_part(1, 1, False)).encode())
    write(t, "empty", json.dumps(sender_part(0, 0, False)).encode())
    write(t, "interval", json.dumps(full["intervals"][1]).encode())
    backwards = dict(full["intervals"][1], end_ns=0)
    write(t, "interval_backwards", json.dumps(backwards).encode())
    bad_loss = json.loads(json.dumps(full))
    bad_loss["sender_flows"][2]["reply_loss"]["lost"] = 4
    write(t, "bad_reply_loss", json.dumps(bad_loss).encode())
    write(t, "not_object", b"[1, 2, 3]")


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
    sender_seeds()
    if len(sys.argv) > 1:
        captured_control_seeds(sys.argv[1])


if __name__ == "__main__":
    main()
