#!/usr/bin/python3
"""Checks bench/compare_peers.py's reading of each peer's output, on outputs
recorded from the real tools (iperf3 3.12, iperf 2.1.8, nuttcp 6.1.2,
qperf 0.4.11, sockperf 3.7), and its medians, best peer and targets. Needs
none of the peers. CTest runs it as compare_peers.parsers_and_summary.

Prints 'N passed, N failed'; exit status 1 if any check failed.
"""

import importlib.util
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location(
    "compare_peers", os.path.join(HERE, "..", "..", "bench", "compare_peers.py"))
cp = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cp)

IPERF2_UDP_SERVER = (
    "19700101000000,127.0.0.1,15301,127.0.0.1,55483,1,0.0-1.0,5419340,43348694,0.000,97533,182210,53.528,0\n"
    "Waiting for server threads to complete. Interrupt again to force quit.\n")
IPERF2_TCP_SERVER = "19700101000000,127.0.0.1,15301,127.0.0.1,55938,1,0.0-1.0,1423179836,11209075100\n"
NUTTCP_UDP = ("megabytes=17.8002 real_seconds=1.00 rate_Mbps=149.4945 tx_cpu=99 rx_cpu=22 drop=5220 "
              "pkt=296858 data_loss=1.75839\n")
QPERF_UDP_BW = "udp_bw:\n    send_bw  =  18789952 bytes/sec\n    recv_bw  =  13658368 bytes/sec\n"
QPERF_TCP_BW = "tcp_bw:\n    bw  =  59565877 bytes/sec\n"
QPERF_UDP_LAT = "udp_lat:\n    latency  =  6246 ns\n"
SOCKPERF = """sockperf: [2;35m====> avg-latency=6.156 (std-dev=24.451)[0m
sockperf: ---> percentile 99.000 =    6.279
sockperf: ---> percentile 90.000 =    5.493
sockperf: ---> percentile 50.000 =    5.202
"""
IPERF3_UDP = json.dumps({"end": {"sum": {"packets": 1000, "lost_packets": 200, "seconds": 2.0},
                                 "sum_received": {"bits_per_second": 1.0}}})

results = {"passed": 0, "failed": 0}


def check(name, got, want, tol=1e-6):
    ok = all(abs(got[k] - v) <= tol * max(1.0, abs(v)) for k, v in want.items()) and set(got) == set(want)
    results["passed" if ok else "failed"] += 1
    if not ok:
        print(f"FAIL {name}: got {got}, want {want}")


def expect_failure(name, fn):
    try:
        fn()
    except cp.Failed:
        results["passed"] += 1
        return
    results["failed"] += 1
    print(f"FAIL {name}: no failure raised")


# iperf2: the receiver's figures come from the server's CSV line.
check("iperf2 udp", cp.parse_iperf2("udp_stream", 64, "", IPERF2_UDP_SERVER),
      {"goodput_gbps": 43348694 / 1e9, "msgs_per_s": 43348694 / 8 / 64})
check("iperf2 tcp", cp.parse_iperf2("tcp_stream", 131072, "", IPERF2_TCP_SERVER),
      {"goodput_gbps": 11209075100 / 1e9})
expect_failure("iperf2 without a server report", lambda: cp.parse_iperf2("tcp_stream", 1400, "x", "listening\n"))
# nuttcp: received data rate in 10^6 bit/s; 17.8002 MiB / 64 B = 291,638 datagrams in ~1 s.
got = cp.parse_nuttcp("udp_stream", 64, NUTTCP_UDP, "")
check("nuttcp udp", got, {"goodput_gbps": 0.1494945, "msgs_per_s": 149.4945e6 / 8 / 64})
if abs(got["msgs_per_s"] - 291_638) > 0.01 * 291_638:
    results["failed"] += 1
    print(f"FAIL nuttcp udp is not the received count: {got}")
# qperf: recv_bw (bytes/s) is the receiver's; latency is one way: RTT = 2x.
check("qperf udp_bw", cp.parse_qperf("udp_stream", 64, QPERF_UDP_BW, ""),
      {"goodput_gbps": 13658368 * 8 / 1e9, "msgs_per_s": 13658368 / 64})
check("qperf tcp_bw", cp.parse_qperf("tcp_stream", 64, QPERF_TCP_BW, ""), {"goodput_gbps": 59565877 * 8 / 1e9})
check("qperf udp_lat", cp.parse_qperf("echo", 64, QPERF_UDP_LAT, ""), {"rtt_mean_us": 12.492})
expect_failure("qperf latency not in ns", lambda: cp.parse_qperf("echo", 64, "latency = 6.2 us\n", ""))
# sockperf: half round trips, doubled.
check("sockperf", cp.parse_sockperf("echo", 64, SOCKPERF, ""),
      {"rtt_p50_us": 10.404, "rtt_p99_us": 12.558, "rtt_mean_us": 12.312})
# iperf3 UDP: delivered = sent - lost.
check("iperf3 udp", cp.parse_iperf3("udp_stream", 64, IPERF3_UDP, ""),
      {"msgs_per_s": 400.0, "goodput_gbps": 400 * 64 * 8 / 1e9})

# Summary: medians, the best peer per direction, ratios and targets.
samples = []
for rep, (ip3, nt, nb) in enumerate([(100, 120, 150), (110, 90, 160), (90, 130, 140)], 1):
    for label, tool, v in (("iperf3", "iperf3", ip3), ("nuttcp", "nuttcp", nt), ("netbench", "netbench", nb)):
        samples.append({"row": "udp_stream_64B", "rep": rep, "label": label, "tool": tool,
                        "metrics": {"msgs_per_s": v, "goodput_gbps": v * 64 * 8 / 1e9}})
    for label, tool, v in (("sockperf", "sockperf", 50), ("netbench", "netbench", 40 + rep)):
        samples.append({"row": "udp_echo_64B", "rep": rep, "label": label, "tool": tool,
                        "metrics": {"rtt_p50_us": v, "rtt_p99_us": v, "rtt_mean_us": v}})
samples.append({"row": "udp_echo_64B", "rep": 1, "label": "qperf", "tool": "qperf", "metrics": {"rtt_mean_us": 30}})
summary = cp.summarize(samples, ["udp_stream_64B", "udp_echo_64B"])
by = {(e["row"], e["metric"]): e for e in summary}
e = by[("udp_stream_64B", "msgs_per_s")]
check("best throughput peer is the highest median (nuttcp 120)", {"best": e["tools"][e["best_peer"]]["median"]},
      {"best": 120})
check("ratio over best peer", {"r": e["tools"]["netbench"]["ratio_over_best_peer"]}, {"r": 150 / 120})
e = by[("udp_echo_64B", "rtt_mean_us")]
check("best latency peer is the lowest median (qperf 30)", {"best": e["tools"][e["best_peer"]]["median"]},
      {"best": 30})
if "qperf" in by[("udp_echo_64B", "rtt_p50_us")]["tools"]:
    results["failed"] += 1
    print("FAIL qperf (mean only) must not appear on the p50 row")
else:
    results["passed"] += 1
targets = {(t["row"], t["netbench"]): t for t in cp.check_targets(summary)}
t = targets[("udp_echo_64B", "netbench")]
check("echo target against sockperf", {"ratio": t["ratio"], "met": float(t["met"])}, {"ratio": 42 / 50, "met": 1.0})

print(f"compare_peers: {results['passed']} passed, {results['failed']} failed")
sys.exit(1 if results["failed"] else 0)
