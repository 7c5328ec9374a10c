"""A deterministic impairment path: drops, duplicates and delays netbench UDP
datagrams by a seeded schedule keyed on each datagram's (flow, sequence).

Run inside the router namespace (tests/system/netns/validate.py does):

    impair_relay.py --tun tun0 --schedule sched.json --log emitted.json

The router's policy routing sends UDP bound for the server into tun0; this
program reads each IP packet from the tun device and writes it back, where
the router forwards it to the server as usual. Anything that is not a
netbench data datagram (the registration token, other traffic) is written
back at once. A data datagram's fate comes from the schedule:

    drop            never written
    dup K           written now, and a copy released after the arrival of
                    the flow's sequence number seq + K (K = 0: right after)
    delay K         released after the arrival of the flow's seq + K
    delaydup K      two copies released after the arrival of seq + K (a late
                    message that is also duplicated: reordered once, then a
                    duplicate)

"Released after the arrival of n" means: when a datagram of that flow whose
number is >= n arrives (dropped or not), after it is handled. So the output
order depends only on the input order, never on timing; the schedule keeps
every release point below the flow's last messages, so nothing waits for a
timer. Every written data datagram is logged as (flow, seq) in order; the log
is written as JSON on SIGTERM/SIGINT. Stdlib only; Linux; needs CAP_NET_ADMIN.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import random
import select
import signal
import struct
import sys

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000

WIRE_MAGIC = 0x4E42
WIRE_VERSION = 2
WIRE_HEADER = 40


def make_schedule(seed: int, flows: int, count_per_flow: int, margin: int = 64) -> dict:
    """The injected truth: per flow, {seq: [action, K]} for the impaired
    numbers. Drops come in bursts of 1-6; duplicates and delays are single.
    Numbers in the last `margin` of a flow are left alone, and every release
    point is below count_per_flow - margin."""
    rng = random.Random(seed)
    limit = count_per_flow - margin
    sched: dict[str, dict[str, list]] = {}
    for flow in range(flows):
        actions: dict[str, list] = {}
        seq = 0
        while seq < limit:
            r = rng.random()
            if r < 0.004:  # a burst of drops
                n = rng.randint(1, 6)
                for s in range(seq, min(seq + n, limit)):
                    actions[str(s)] = ["drop", 0]
                seq += n
            elif r < 0.008:
                k = rng.randint(0, 20)
                if seq + k < limit:
                    actions[str(seq)] = ["dup", k]
                seq += 1
            elif r < 0.016:
                k = rng.choice([1, 1, 2, 3, 5, 8, 13, 40, 200, 1000])
                if seq + k < limit:
                    actions[str(seq)] = ["delay", k]
                seq += 1
            elif r < 0.018:
                k = rng.randint(1, 30)
                if seq + k < limit:
                    actions[str(seq)] = ["delaydup", k]
                seq += 1
            else:
                seq += 1
        sched[str(flow)] = actions
    return {"seed": seed, "flows": flows, "count_per_flow": count_per_flow, "actions": sched}


def expected_order(schedule: dict) -> dict[int, list[int]]:
    """What the relay writes for each flow when the flow's datagrams reach it
    in order 0, 1, ... (the relay's own rule, replayed)."""
    out: dict[int, list[int]] = {}
    n = schedule["count_per_flow"]
    for flow_key, actions in schedule["actions"].items():
        emitted: list[int] = []
        pending: list[tuple[int, int]] = []  # (release after, seq), arrival order
        for seq in range(n):
            act = actions.get(str(seq))
            if act is None:
                emitted.append(seq)
            elif act[0] == "dup":
                emitted.append(seq)
                pending.append((seq + act[1], seq))
            elif act[0] == "delay":
                pending.append((seq + act[1], seq))
            elif act[0] == "delaydup":
                pending += [(seq + act[1], seq)] * 2
            due = [p for p in pending if p[0] <= seq]
            pending = [p for p in pending if p[0] > seq]
            emitted.extend(s for _, s in due)
        emitted.extend(s for _, s in pending)
        out[int(flow_key)] = emitted
    return out


def _open_tun(name: str) -> int:
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


def _data_header(pkt: bytes) -> tuple[int, int] | None:
    """(flow, seq) of a netbench data datagram in IPv4 packet `pkt`."""
    if len(pkt) < 20 or pkt[0] >> 4 != 4 or pkt[9] != 17:
        return None
    ihl = (pkt[0] & 0x0F) * 4
    frag = struct.unpack_from("!H", pkt, 6)[0]
    if frag & 0x3FFF:  # a fragment: not a whole datagram
        return None
    body = ihl + 8
    if len(pkt) < body + WIRE_HEADER:
        return None
    magic, version = struct.unpack_from("!HB", pkt, body)
    if magic != WIRE_MAGIC or version != WIRE_VERSION:
        return None
    flow, seq = struct.unpack_from("!IQ", pkt, body + 4)
    return flow, seq


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tun", default="tun0")
    ap.add_argument("--schedule", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--ready", help="file created once the tun device is open")
    a = ap.parse_args()

    with open(a.schedule) as f:
        actions = {int(k): {int(s): v for s, v in acts.items()}
                   for k, acts in json.load(f)["actions"].items()}
    fd = _open_tun(a.tun)
    emitted: dict[int, list[int]] = {}
    pending: dict[int, list[tuple[int, int, bytes]]] = {}
    stats = {"passthrough": 0, "data_in": 0, "dropped": 0, "written": 0}
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if a.ready:
        open(a.ready, "w").close()

    def write(flow: int, seq: int, pkt: bytes) -> None:
        os.write(fd, pkt)
        emitted.setdefault(flow, []).append(seq)
        stats["written"] += 1

    while not stopping:
        try:
            ready, _, _ = select.select([fd], [], [], 0.2)
        except InterruptedError:
            continue
        if not ready:
            continue
        try:
            pkt = os.read(fd, 65536)
        except InterruptedError:
            continue
        hdr = _data_header(pkt)
        if hdr is None:
            os.write(fd, pkt)
            stats["passthrough"] += 1
            continue
        flow, seq = hdr
        stats["data_in"] += 1
        act = actions.get(flow, {}).get(seq)
        queue = pending.setdefault(flow, [])
        if act is None:
            write(flow, seq, pkt)
        elif act[0] == "drop":
            stats["dropped"] += 1
        elif act[0] == "dup":
            write(flow, seq, pkt)
            queue.append((seq + act[1], seq, pkt))
        elif act[0] == "delay":
            queue.append((seq + act[1], seq, pkt))
        elif act[0] == "delaydup":
            queue += [(seq + act[1], seq, pkt)] * 2
        if queue:
            due = [p for p in queue if p[0] <= seq]
            if due:
                pending[flow] = [p for p in queue if p[0] > seq]
                for _, s, p in due:
                    write(flow, s, p)
    for flow, queue in pending.items():
        for _, s, p in queue:
            write(flow, s, p)
    with open(a.log + ".tmp", "w") as f:
        json.dump({"emitted": {str(k): v for k, v in emitted.items()}, "stats": stats}, f)
    os.replace(a.log + ".tmp", a.log)
    return 0


if __name__ == "__main__":
    sys.exit(main())
