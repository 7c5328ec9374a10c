"""The fleet chart of a `netbench merge` document (docs/schema.md, "Fleets").

One figure, fleet.png/.svg: per run (one bar per client -> server pair), its
receiver throughput and its latency p99 side by side, with the fleet's
median as a dashed line; the title gives the plan, the summed throughput,
the pooled p99 (of the merged histograms, not a mean of the runs' p99s)
and Jain's fairness index over the runs. Standard library plus matplotlib.
"""


def pair_label(run):
    """'client -> server' of one per_run entry: the document's host and the peer's host."""
    peer = run.get("peer") or "this host"
    if peer.startswith("["):
        peer = peer[1:peer.find("]")]
    elif ":" in peer:
        peer = peer.rsplit(":", 1)[0]
    return f"{run.get('hostname') or '?'} -> {peer}"


def labels(fleet):
    """One label per run; the file name is added where two runs share a pair."""
    plain = [pair_label(r) for r in fleet["per_run"]]
    return [lab if plain.count(lab) == 1 else f"{lab} ({r['file'].rsplit('/', 1)[-1]})"
            for lab, r in zip(plain, fleet["per_run"])]


def fmt_bps(bps):
    """'1.23 Gbit/s' style."""
    for unit, scale in (("Gbit/s", 1e9), ("Mbit/s", 1e6), ("kbit/s", 1e3)):
        if bps >= scale:
            return f"{bps / scale:.3g} {unit}"
    return f"{bps:.3g} bit/s"


def fmt_ns(ns):
    """'12.3 us', '4.56 ms' style."""
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("us", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.0f} ns"


def summary_line(fleet):
    """The title's second line: sum, pooled p99 and Jain's index."""
    c = fleet["config"]
    parts = [f"{fleet['runs']} runs of {c.get('proto')} {c.get('mode')} {c.get('flows')} flow(s)",
             f"sum {fmt_bps(fleet['receiver']['throughput_bps'])}",
             f"Jain {fleet['spread']['jain_fairness']:.3f}"]
    lat = fleet.get("latency")
    if lat:
        parts.append(f"pooled p99 {fmt_ns(lat['from_intended_send']['p99_ns'])}")
    return ", ".join(parts)


def draw(pyplot, fleet, outdir, name="fleet", formats=("png", "svg")):
    """Draws the chart of one fleet object; returns the paths written."""
    import os

    runs = fleet["per_run"]
    names = labels(fleet)
    tput = [r["throughput_bps"] / 1e6 for r in runs]
    p99 = [(r["latency_p99_ns"] or 0) / 1e3 for r in runs]
    has_latency = any(r["latency_p99_ns"] is not None for r in runs)
    height = max(2.5, 0.35 * len(runs) + 1.5)
    ncols = 2 if has_latency else 1
    mfig, axes = pyplot.subplots(1, ncols, figsize=(6 * ncols, height), squeeze=False)
    ypos = list(range(len(runs)))
    ax = axes[0][0]
    ax.barh(ypos, tput, color="tab:blue")
    ax.axvline(fleet["spread"]["throughput_bps"]["median"] / 1e6, color="black", linestyle="--",
               linewidth=1, label="median")
    ax.set_yticks(ypos)
    ax.set_yticklabels(names)
    ax.invert_yaxis()
    ax.set_xlabel("receiver throughput (Mbit/s)")
    ax.set_title("throughput per pair")
    if has_latency:
        ax2 = axes[0][1]
        ax2.barh(ypos, p99, color="tab:orange")
        ax2.axvline(fleet["spread"]["latency_p99_ns"]["median"] / 1e3, color="black",
                    linestyle="--", linewidth=1)
        ax2.set_yticks(ypos)
        ax2.set_yticklabels([])
        ax2.invert_yaxis()
        kind = "RTT" if (fleet.get("latency") or {}).get("kind") == "rtt" else "one-way delay"
        ax2.set_xlabel(f"{kind} p99 (us)")
        ax2.set_title("p99 per pair")
    mfig.suptitle(f"netbench fleet\n{summary_line(fleet)}\n(dashed: median over the runs)",
                  fontsize=10)
    mfig.tight_layout()
    paths = []
    for ext in formats:
        path = os.path.join(outdir, f"{name}.{ext}")
        mfig.savefig(path, dpi=110, bbox_inches="tight")
        paths.append(path)
    pyplot.close(mfig)
    return paths
