"""Decides which charts the results call for, and what each one shows.

plan() turns the records of load_results into Figure objects: plain data
(panels, series of (x, y) points, axis labels) that plot.py draws with
matplotlib and check_plots.py checks for on disk. Standard library only.

Runs that share every field but the x value and the series (repetitions,
or the same point in several files) are reduced to their median.
"""

import math
import re
import statistics
from dataclasses import dataclass, field

from load_results import CONFIG_FIELDS

MODELS = ("thread", "select", "poll", "epoll")
MODEL_COLORS = {
    "thread": "tab:blue",
    "select": "tab:orange",
    "poll": "tab:green",
    "epoll": "tab:red",
}
PROTOS = ("tcp", "udp")
# Every field that can split a chart into several figures.
ALL_FIELDS = CONFIG_FIELDS + ("proto", "model", "flows", "size_bytes")


@dataclass
class Series:
    label: str
    points: list  # [(x, y)], sorted by x
    color: str = "tab:gray"
    linestyle: str = "-"
    marker: str = "o"
    # [(lower, upper)] per point: the 95% CI of the median over repetitions
    # (order statistics, or min..max below 6 values); empty with one run per point.
    errors: list = field(default_factory=list)


@dataclass
class Panel:
    title: str
    xlabel: str
    ylabel: str
    series: list = field(default_factory=list)
    xscale: str = "log2"  # "log2" (ticks at the x values) or "log10"
    yscale: str = "linear"  # "linear" (from 0) or "log"
    yformat: str = "eng"  # "eng", "eng:<unit>", "plain", "percent"
    note: str = ""  # shown instead of data when there are no series


@dataclass
class Figure:
    name: str  # file stem: <name>.png and <name>.svg
    title: str
    panels: list  # in row-major grid order; None leaves a cell empty
    ncols: int = 2


def plan(inputs):
    """Returns (figures, messages): the charts to draw, and why others were not."""
    figures, messages = [], []
    runs = inputs.runs
    if runs:
        for build in (throughput_figures, latency_figures, cpu_figures):
            figures += build(runs, inputs.hosts, messages)
        figures += rate_figures(runs, inputs.hosts, messages)
    if inputs.bench:
        figures += bench_figures(inputs.bench, inputs.hosts)
    return figures, messages


# --- charts of netbench runs ---


def throughput_figures(runs, hosts, messages):
    """(a) receiver throughput vs flows, one line per model (stream runs)."""
    stream = [r for r in runs if r["mode"] == "stream"]
    return _vs_flows(
        stream,
        hosts,
        messages,
        name="throughput_vs_flows",
        what="Receiver throughput vs flows",
        ylabel="receiver throughput (bit/s)",
        yformat="eng:bit/s",
        lines=[("", lambda r: r["received_bps"], "-", "o")],
    )


def latency_figures(runs, hosts, messages):
    """(b) latency p50 and p99 vs flows: echo RTT if there is any, else one-way delay."""
    mode = "echo" if any(r["mode"] == "echo" for r in runs) else "stream"
    chosen = [r for r in runs if r["mode"] == mode and r["latency_count"] > 0]
    kind = "RTT" if mode == "echo" else "one-way delay"
    return _vs_flows(
        chosen,
        hosts,
        messages,
        name="latency_vs_flows",
        what=f"{kind[0].upper() + kind[1:]} p50 (solid) and p99 (dashed) vs flows",
        ylabel=f"{kind} from actual send (µs)",
        yformat="plain",
        yscale="log",
        lines=[
            (" p50", lambda r: r["p50_ns"] / 1e3, "-", "o"),
            (" p99", lambda r: r["p99_ns"] / 1e3, "--", "^"),
        ],
    )


def cpu_figures(runs, hosts, messages):
    """(c) receiver (server) CPU time per message vs flows."""
    return _vs_flows(
        runs,
        hosts,
        messages,
        name="server_cpu_vs_flows",
        what="Server (receiver) CPU per message vs flows",
        ylabel="server CPU user+sys per message (µs)",
        yformat="plain",
        lines=[("", lambda r: r["server_cpu_per_msg_ns"] / 1e3, "-", "o")],
    )


def _vs_flows(records, hosts, messages, name, what, ylabel, yformat, lines, yscale="linear"):
    """One figure per facet; a panel per (proto, size); per model, one line per
    `lines` entry: (label suffix, value of a record, line style, marker)."""
    on_axes = ("proto", "model", "flows", "size_bytes")
    groups = list(facets(records, exclude=on_axes))
    several = [g for g in groups if len({r["flows"] for r in g[1]}) > 1]
    if several and len(several) < len(groups):
        dropped = len(groups) - len(several)
        messages.append(f"{name}: {dropped} configuration(s) with a single flow count not drawn")
        groups = list(facets([r for _, recs in several for r in recs], exclude=on_axes))
    figures = []
    for values, recs in groups:
        panels = []
        for (proto, size), prec in panel_groups(recs):
            if prec is None:  # padding: this protocol has fewer sizes
                panels.append(None)
                continue
            head = f"{proto.upper()}, {fmt_size(size)} messages"
            panel = Panel(head, "flows (log scale)", ylabel, yscale=yscale, yformat=yformat)
            for model in ordered(prec, "model", MODELS):
                mrec = [r for r in prec if r["model"] == model]
                for label, value, style, marker in lines:
                    points = median_points(mrec, "flows", value)
                    series = Series(model + label, points, color_of(model), style, marker)
                    series.errors = ci_errors(mrec, "flows", value)
                    panel.series.append(series)
            panels.append(panel)
        head = title(what, recs[0], values, hosts)
        figures.append(Figure(name + suffix_of(values), head, panels, panel_columns(recs)))
    return figures


def rate_figures(runs, hosts, messages):
    """(d) UDP loss, and TCP vs UDP goodput, vs offered rate (stream runs with a rate)."""
    rated = [r for r in runs if r["mode"] == "stream" and r["rate_msgs_per_s"] > 0]
    if len({r["rate_msgs_per_s"] for r in rated}) < 2:
        messages.append("loss_goodput_vs_rate: skipped, the runs hold fewer than two offered rates")
        return []
    figures = []
    for values, recs in facets(rated, exclude=("proto", "model", "rate_msgs_per_s")):
        if len({r["rate_msgs_per_s"] for r in recs}) < 2:
            continue
        size = recs[0]["size_bytes"]
        xlabel = "offered rate (messages/s, log scale)"
        loss = Panel("UDP loss", xlabel, "loss (% of messages sent)", yformat="percent")
        good = Panel("TCP vs UDP goodput", xlabel, "receiver goodput (bit/s)", yformat="eng:bit/s")
        loss.xscale = good.xscale = "log10"
        for proto in ordered(recs, "proto", PROTOS):
            style, marker = ("-", "o") if proto == "tcp" else ("--", "s")
            for model in ordered(recs, "model", MODELS):
                prec = [r for r in recs if r["proto"] == proto and r["model"] == model]
                if not prec:
                    continue
                if proto == "udp":
                    points = median_points(prec, "rate_msgs_per_s", lambda r: r["loss_ratio"] * 100)
                    loss.series.append(Series(model, points, color_of(model)))
                points = median_points(prec, "rate_msgs_per_s", lambda r: r["received_bps"])
                series = Series(f"{proto.upper()} {model}", points, color_of(model), style, marker)
                good.series.append(series)
        offered = sorted({r["rate_msgs_per_s"] for r in recs})
        offered_bps = [(x, x * size * 8) for x in offered]
        good.series.append(Series("offered", offered_bps, "tab:gray", ":", ""))
        if not loss.series:
            loss.note = "no UDP runs"
        what = f"Loss and goodput vs offered rate, {fmt_size(size)} messages"
        head = title(what, recs[0], values, hosts, rate_on_x=True)
        figures.append(Figure("loss_goodput_vs_rate" + suffix_of(values), head, [loss, good], 2))
    return figures


# --- charts of Google Benchmark results (bench/bench_models) ---


def bench_figures(bench, hosts):
    """Messages/s vs flows per model, one figure per benchmark (BM_Echo, BM_Stream)."""
    figures = []
    for kind in sorted({b["kind"] for b in bench}):
        recs = [b for b in bench if b["kind"] == kind]
        panels = []
        for proto in ordered(recs, "proto", PROTOS):
            ylabel = "round trips/s (replies received)" if kind == "Echo" else "messages/s received"
            label = next((b["label"] for b in recs if b["proto"] == proto and b["label"]), "")
            head = proto.upper() + (f", {label}" if label else "")
            panel = Panel(head, "flows (log scale)", ylabel, yformat="eng")
            for model in ordered(recs, "model", MODELS):
                mrec = [b for b in recs if b["proto"] == proto and b["model"] == model]
                if mrec:
                    points = median_points(mrec, "flows", lambda b: b["msgs_per_s"])
                    panel.series.append(Series(model, points, color_of(model)))
            panels.append(panel)
        first = recs[0]
        head = f"BM_{kind}: messages/s per model (bench_models, Google Benchmark, {first['date']})"
        machine = host_line(first["host"], hosts) + f", load average {first['load_avg']} at start"
        name = f"bench_models_{kind.lower()}"
        figures.append(Figure(name, head + "\n" + machine, panels, len(panels)))
    return figures


# --- grouping ---


def facets(records, exclude):
    """Yields (values, records) per combination of the fields that vary, `exclude` aside."""
    varying = [f for f in ALL_FIELDS if f not in exclude and len({r[f] for r in records}) > 1]
    groups = {}
    for r in records:
        groups.setdefault(tuple(r[f] for f in varying), []).append(r)
    for key in sorted(groups, key=lambda k: tuple(str(v).zfill(12) for v in k)):
        yield dict(zip(varying, key)), groups[key]


def panel_groups(records):
    """[((proto, size), records)], in the grid order of panel_columns(): one
    row per protocol (TCP first), sizes ascending, rows padded with
    ((proto, None), None) to equal length; one row for all when each
    protocol has a single size."""
    groups = {}
    for r in records:
        groups.setdefault(r["proto"], {}).setdefault(r["size_bytes"], []).append(r)
    widest = max(len(sizes) for sizes in groups.values())
    cells = []
    for proto in sorted(groups, key=lambda p: (order_of(p, PROTOS), p)):
        row = [((proto, size), groups[proto][size]) for size in sorted(groups[proto])]
        cells += row + [((proto, None), None)] * (widest - len(row))
    return cells


def panel_columns(records):
    """Columns of the panel grid: the most sizes any protocol has, or the
    number of protocols when each has one size (TCP and UDP side by side)."""
    sizes = {}
    for r in records:
        sizes.setdefault(r["proto"], set()).add(r["size_bytes"])
    widest = max(len(s) for s in sizes.values())
    return widest if widest > 1 else len(sizes)


def median_points(records, x_key, y):
    """[(x, median of y(record))] sorted by x."""
    by_x = {}
    for r in records:
        by_x.setdefault(r[x_key], []).append(y(r))
    return [(x, statistics.median(ys)) for x, ys in sorted(by_x.items())]


def median_ci(values, level=0.95):
    """Distribution-free interval for the median: [x(l), x(n+1-l)] with the
    largest l whose binomial coverage is >= level; [min, max] when even l = 1
    falls short (n <= 5), as stats::median_ci in the C++ core."""
    xs = sorted(values)
    n = len(xs)
    best = 1
    for l in range(1, n // 2 + 1):
        coverage = sum(math.comb(n, k) for k in range(l, n - l + 1)) / 2 ** n
        if coverage >= level:
            best = l
    return xs[best - 1], xs[n - best]


def ci_errors(records, x_key, y):
    """[(lower, upper)] per x, as median_points orders them; [] when no x has
    more than one value (nothing to show)."""
    by_x = {}
    for r in records:
        by_x.setdefault(r[x_key], []).append(y(r))
    if all(len(ys) < 2 for ys in by_x.values()):
        return []
    return [median_ci(ys) for _, ys in sorted(by_x.items())]


def ordered(records, key, preferred):
    """Distinct values of `key`, those in `preferred` first in its order."""
    return sorted({r[key] for r in records}, key=lambda v: (order_of(v, preferred), v))


def color_of(model):
    return MODEL_COLORS.get(model, "black")


def order_of(value, preferred):
    return preferred.index(value) if value in preferred else len(preferred)


# --- titles and names ---


def title(what, sample, facet_values, hosts, rate_on_x=False):
    """Two lines: the chart and the configuration; the machine."""
    parts = [sample["mode"]] + ([] if rate_on_x else [fmt_rate(sample["rate_msgs_per_s"])])
    parts.append(f"{sample['length']} per run")
    for key, label in (("threads", "event loops"), ("outstanding", "outstanding"), ("batch", "batch")):
        if sample[key] != 1 or key in facet_values:
            parts.append(f"{label} {sample[key]}")
    for key in ("flows", "pattern", "socket_buffer_bytes", "warmup_ns", "family"):
        if key in facet_values:
            parts.append(f"{key} {facet_values[key]}")
    return f"{what} — {', '.join(parts)}\n{host_line(sample['host'], hosts)}"


def host_line(hostname, hosts):
    h = hosts.get(hostname, {})
    extra = ", ".join(str(h[k]) for k in ("kernel", "machine") if k in h)
    return f"host {hostname}: {h.get('cpus', '?')} CPUs" + (f", {extra}" if extra else "")


def suffix_of(values):
    """File-name suffix naming the facet: '' or '_echo_rate100k'."""
    parts = []
    for key, value in values.items():
        if key in ("mode", "length", "pattern", "family", "host"):
            parts.append(str(value))
        elif key == "rate_msgs_per_s":
            parts.append("rate" + fmt_count(value))
        elif key == "size_bytes":
            parts.append(f"{value}B")
        else:
            parts.append(f"{key.split('_')[0]}{value}")
    text = "_".join(parts)
    return "_" + re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") if text else ""


def fmt_size(n):
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale and n % scale == 0:
            return f"{n // scale} {unit}"
    return f"{n} B"


def fmt_count(x):
    for unit, scale in (("M", 1e6), ("k", 1e3)):
        if x >= scale:
            return f"{x / scale:g}{unit}"
    return f"{x:g}"


def fmt_rate(rate):
    return f"offered {fmt_count(rate)} msg/s" if rate > 0 else "unlimited rate"
