#!/usr/bin/python3
"""Draws the peer comparison (bench/compare_peers.sh) as PNG and SVG.

  plots/plot_peers.py results/peers.json -o plots/

One horizontal bar per netbench variant and metric: the median of netbench
divided by the median of the best peer, on a log axis with the parity line
at 1. Throughput bars (higher is better) and latency bars (lower is better)
are in separate panels so that "better" points one way in each. Writes
peers_ratio.png and peers_ratio.svg; prints every file written; exits 1 if
the document has no ratio, 2 on bad arguments or unreadable input.

Runs with Debian's /usr/bin/python3 and its python3-matplotlib.
"""

import argparse
import json
import os
import sys

FORMATS = ("png", "svg")
LABELS = {"goodput_gbps": "goodput", "msgs_per_s": "msgs/s", "rtt_p50_us": "RTT p50",
          "rtt_p99_us": "RTT p99", "rtt_mean_us": "RTT mean"}


def bars(doc, better):
    out = []
    for e in doc.get("summary", []):
        if e["better"] != better or (e["row"].startswith("udp_stream") and e["metric"] == "goodput_gbps"):
            continue  # UDP goodput is msgs/s times the size: the same ratio
        for name, t in e["tools"].items():
            r = t.get("ratio_over_best_peer")
            if t["tool"] == "netbench" and r:
                variant = name[len("netbench"):].strip() or "default"
                out.append((f"{e['row']} {LABELS.get(e['metric'], e['metric'])}\n{variant} vs {e['best_peer']}", r))
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description="Draw netbench / best peer ratios of results/peers.json.")
    p.add_argument("input", help="a netbench-peers document from bench/compare_peers.sh")
    p.add_argument("-o", "--output", default="plots", help="directory of the chart (default: plots)")
    args = p.parse_args(argv)
    try:
        with open(args.input, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        print(f"plot_peers.py: {args.input}: {e}", file=sys.stderr)
        return 2
    if not str(doc.get("schema", "")).startswith("netbench-peers/"):
        print(f"plot_peers.py: {args.input}: not a netbench-peers document", file=sys.stderr)
        return 2
    panels = [("throughput: netbench / best peer (higher is better)", bars(doc, "higher")),
              ("latency: netbench / best peer (lower is better)", bars(doc, "lower"))]
    panels = [pn for pn in panels if pn[1]]
    if not panels:
        print("plot_peers.py: no ratio to draw", file=sys.stderr)
        return 1
    try:
        import matplotlib
    except ImportError:
        sys.exit("plot_peers.py: matplotlib is missing; install Debian's python3-matplotlib "
                 "and run with /usr/bin/python3")
    matplotlib.use("Agg")
    import matplotlib.pyplot as pyplot

    heights = [max(2.0, 0.42 * len(b) + 1.0) for _, b in panels]
    fig, axes = pyplot.subplots(len(panels), 1, figsize=(9.5, sum(heights) + 0.8),
                                gridspec_kw={"height_ratios": heights}, squeeze=False)
    for ax, (title, items) in zip((a[0] for a in axes), panels):
        names = [n for n, _ in items][::-1]
        ratios = [r for _, r in items][::-1]
        good_high = "higher" in title
        colors = ["tab:green" if (r >= 1) == good_high else "tab:red" for r in ratios]
        ax.barh(range(len(ratios)), ratios, color=colors)
        ax.set_yticks(range(len(ratios)))
        ax.set_yticklabels(names, fontsize=7)
        ax.set_xscale("log")
        ax.axvline(1.0, color="black", linewidth=0.8)
        for i, r in enumerate(ratios):
            ax.text(r, i, f" {r:.2f}", va="center", fontsize=7)
        ax.set_title(title, fontsize=10)
        ax.grid(True, axis="x", which="major", alpha=0.3)
    m, st = doc.get("machine", {}), doc.get("settings", {})
    fig.suptitle(f"netbench vs peers on loopback: medians of {st.get('repetitions')} x {st.get('duration_s')} s; "
                 f"{m.get('nproc')} CPUs, {m.get('date', '')[:10]}", fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    os.makedirs(args.output, exist_ok=True)
    for ext in FORMATS:
        path = os.path.join(args.output, f"peers_ratio.{ext}")
        fig.savefig(path, dpi=110)
        print(path)
    pyplot.close(fig)
    return 0


if __name__ == "__main__":
    sys.exit(main())
