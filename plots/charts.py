"""Decides which charts the results call for, and what each one shows.

plan() turns the records of load_results into Figure objects: plain data
(panels, series of (x, y) points, axis labels) that plot.py draws with
matplotlib and check_plots.py checks for on disk. Standard library only.

Runs that share every field but the x value and the series (repetitions,
or the same point in several files) are reduced to their median, with the
95% CI of that median as an error bar wherever a point has two or more
runs. The best-model chart (best_model*) names, per load, the model with the
best median and its margin over the next, tested with a two-sided
Mann-Whitney U test.
"""

import math
import re
import statistics
from dataclasses import dataclass, field

from load_results import CONFIG_FIELDS

MODELS = ("thread", "select", "poll", "epoll", "uring")
MODEL_COLORS = {
    "thread": "tab:blue",
    "select": "tab:orange",
    "poll": "tab:green",
    "epoll": "tab:red",
    "uring": "tab:purple",
}
PROTOS = ("tcp", "udp")
MODES = ("stream", "echo", "connect")
# Significance level of the best-model chart's U test (two-sided).
ALPHA = 0.05
# Largest sample for the exact null distribution of U without ties, as
# kExactMaxSampleSize in the C++ core; larger or tied samples: normal approximation.
EXACT_MAX_SAMPLE = 50
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
    # (order statistics, or min..max below 6 values); empty with one run per
    # point. A point of one run has (y, y): plot.py draws no bar there.
    errors: list = field(default_factory=list)
    # Runs behind each point (the median's n), in the order of points.
    counts: list = field(default_factory=list)
    secondary: bool = False  # drawn against the panel's right-hand axis
    reference: bool = False  # not a measurement (the offered rate): no CI
    group: str = ""  # legend column (the model); "" = the label


@dataclass
class Verdict:
    """The best model at one load (one cell of the best-model chart)."""

    best: str
    best_median: float
    best_n: int
    runner_up: str = ""  # "" when only one model ran this load
    runner_median: float = 0.0
    runner_n: int = 0
    # How much better the best median is than the runner-up's, in %:
    # best/runner - 1 (higher is better) or runner/best - 1 (lower is better).
    margin_pct: float = 0.0
    p_value: float | None = None  # two-sided Mann-Whitney U, best vs runner-up
    # "significant" (p < ALPHA), "not significant", "not tested" (a model
    # has one run: nothing to test) or "only model".
    status: str = "only model"


@dataclass
class Table:
    """A grid of verdicts: rows are (proto, mode, size), columns flow counts."""

    rows: list  # row labels, top to bottom
    columns: list  # flow counts, left to right
    cells: dict  # (row index, column index) -> Verdict; absent: nothing ran there
    higher_is_better: bool = True
    row_keys: list = field(default_factory=list)  # (proto, mode, size_bytes) per row
    facet: dict = field(default_factory=dict)  # every other configuration field: its value


@dataclass
class Panel:
    title: str
    xlabel: str
    ylabel: str
    series: list = field(default_factory=list)
    xscale: str = "log2"  # "log2" (ticks at the x values), "log10" or "linear"
    yscale: str = "linear"  # "linear" (from 0) or "log"
    yformat: str = "eng"  # "eng", "eng:<unit>", "plain", "percent"
    note: str = ""  # shown instead of data when there are no series
    y2label: str = ""  # right-hand axis of the secondary series (from 0)
    y2format: str = "percent"
    table: Table | None = None  # a best-model grid instead of series


@dataclass
class Figure:
    name: str  # file stem: <name>.png and <name>.svg
    title: str
    panels: list  # in row-major grid order; None leaves a cell empty
    ncols: int = 2


def ci_gid(panel_index, series_index):
    """The SVG id plot.py gives the error bars of one series, and check_plots.py looks for."""
    return f"ci-p{panel_index}-s{series_index}"


def cell_gid(panel_index, row, column):
    """The SVG id of one best-model cell."""
    return f"cell-p{panel_index}-r{row}-c{column}"


def plan(inputs):
    """Returns (figures, messages): the charts to draw, and why others were not."""
    figures, messages = [], []
    runs = inputs.runs
    if runs:
        for build in (throughput_figures, latency_figures, cpu_figures, fairness_figures,
                      rate_figures, best_model_figures, connect_figures, fanout_figures):
            figures += build(runs, inputs.hosts, messages)
    if inputs.bench:
        figures += bench_figures(inputs.bench, inputs.hosts)
    for fig in figures:
        note = ci_note(fig)
        if note:
            fig.title += "\n" + note
    return figures, messages


def ci_note(fig):
    """A line saying what the error bars are, from the runs behind the points."""
    counts = [c for p in fig.panels if p is not None for s in p.series if not s.reference
              for c in s.counts]
    if not counts:
        return ""
    lo, hi = min(counts), max(counts)
    n = f"n={lo}" if lo == hi else f"n={lo}-{hi}"
    if hi < 2:
        return "n=1 per point: no CI"
    where = ", where n>=2" if lo < 2 else ""
    small = min(c for c in counts if c >= 2)
    if small < 6:
        coverage = 1 - 2 ** (1 - small)
        bars = (f"error bars: CI of the median (order statistics){where}: 95% from n=6 on, "
                f"min-max below ({coverage:.0%} coverage at n={small})")
    else:
        bars = f"error bars: 95% CI of the median (order statistics){where}"
    return f"{bars}; {n} runs per point"


# --- charts of netbench runs ---


def throughput_figures(runs, hosts, messages):
    """(a) receiver throughput vs flows, one line per model (stream runs); on
    UDP panels also the loss per model, dotted, against a right-hand axis."""
    stream = [r for r in runs if r["mode"] == "stream"]
    return _vs_flows(
        stream,
        hosts,
        messages,
        name="throughput_vs_flows",
        what="Receiver throughput (solid) and UDP loss (dotted) vs flows",
        ylabel="receiver throughput (bit/s)",
        yformat="eng:bit/s",
        lines=[("", lambda r: r["received_bps"], "-", "o")],
        udp_loss=True,
    )


def latency_figures(runs, hosts, messages):
    """(b) latency p50 and p99 vs flows, on separate figures: stream one-way
    delay (latency_vs_flows_stream) and echo RTT (latency_vs_flows_echo)."""
    figures = []
    for mode, kind in (("stream", "one-way delay"), ("echo", "RTT")):
        chosen = [r for r in runs if r["mode"] == mode and r["latency_count"] > 0]
        if not chosen:
            continue
        figures += _vs_flows(
            chosen,
            hosts,
            messages,
            name=f"latency_vs_flows_{mode}",
            what=f"{kind[0].upper() + kind[1:]} p50 (solid) and p99 (dashed) vs flows",
            ylabel=f"{kind} from actual send (µs)",
            yformat="plain",
            yscale="log",
            lines=[
                (" p50", lambda r: r["p50_ns"] / 1e3, "-", "o"),
                (" p99", lambda r: r["p99_ns"] / 1e3, "--", "^"),
            ],
        )
    return figures


def cpu_figures(runs, hosts, messages):
    """(c) receiver (server) CPU time per message vs flows."""
    return _vs_flows(
        [r for r in runs if r["server_cpu_per_msg_ns"] is not None],
        hosts,
        messages,
        name="server_cpu_vs_flows",
        what="Server (receiver) CPU per message vs flows",
        ylabel="server CPU user+sys per message (µs)",
        yformat="plain",
        lines=[("", lambda r: r["server_cpu_per_msg_ns"] / 1e3, "-", "o")],
    )


def fairness_figures(runs, hosts, messages):
    """(f) Jain's fairness index of per-flow throughput vs flows (runs of two
    or more flows whose document has a flow summary): 1 = every flow got the
    same share, 1/n = one flow got everything."""
    fair = [r for r in runs if r["flows"] > 1 and r.get("jain") is not None]
    if not fair:
        messages.append("fairness_vs_flows: skipped, no run of two or more flows has a flow summary")
        return []
    return _vs_flows(
        fair,
        hosts,
        messages,
        name="fairness_vs_flows",
        what="Jain's fairness index of per-flow throughput vs flows",
        ylabel="Jain's index (1 = equal shares)",
        yformat="plain",
        lines=[("", lambda r: r["jain"], "-", "o")],
    )


def connect_figures(runs, hosts, messages):
    """(g) --mode connect: transactions/s, and the p99 of connect latency
    (solid) and of transaction latency (dashed), against the transactions
    in flight (flows x outstanding), one line per model; a row per protocol.
    When --outstanding varies too, each of its values is a line of its own
    (so that 8 flows x 1 and 1 flow x 8 are never pooled)."""
    conn = [dict(r, concurrency=r["flows"] * r["outstanding"]) for r in runs
            if r["mode"] == "connect" and r.get("transactions_per_s") is not None]
    if not conn:
        return []
    if len({r["concurrency"] for r in conn}) < 2:
        messages.append("connect_vs_concurrency: skipped, the connect runs have one concurrency")
        return []
    figures = []
    for values, recs in facets(conn, exclude=("proto", "model", "flows", "outstanding")):
        per_outstanding = len({r["outstanding"] for r in recs}) > 1
        panels = []
        for proto in ordered(recs, "proto", PROTOS):
            prec = [r for r in recs if r["proto"] == proto]
            xlabel = "transactions in flight: flows × outstanding (log scale)"
            rate = Panel(f"{proto.upper()}: transactions/s", xlabel, "transactions/s")
            lat = Panel(f"{proto.upper()}: p99 connect (solid) and transaction (dashed) latency",
                        xlabel, "p99 latency (µs)", yscale="log", yformat="plain")
            for model in ordered(prec, "model", MODELS):
                for out in sorted({r["outstanding"] for r in prec if r["model"] == model}):
                    mrec = [r for r in prec if r["model"] == model and r["outstanding"] == out]
                    name = f"{model}, {out} in flight per flow" if per_outstanding else model
                    marker = "os^vD"[sorted({r["outstanding"] for r in prec}).index(out) % 5]
                    rate.series.append(summarize(name, mrec, "concurrency",
                                                 lambda r: r["transactions_per_s"], color_of(model),
                                                 "-", marker, group=model))
                    connected = [r for r in mrec if r["connect_p99_ns"] is not None]
                    if connected:
                        lat.series.append(summarize(name + " connect p99", connected, "concurrency",
                                                    lambda r: r["connect_p99_ns"] / 1e3,
                                                    color_of(model), "-", marker, group=model))
                    answered = [r for r in mrec if r["latency_count"] > 0]
                    if answered:
                        lat.series.append(summarize(name + " transaction p99", answered,
                                                    "concurrency", lambda r: r["p99_ns"] / 1e3,
                                                    color_of(model), "--", marker, group=model))
            panels += [rate, lat]
        sample = dict(recs[0], outstanding=1) if per_outstanding else recs[0]
        head = title("Connect mode: transactions/s and p99 latency vs transactions in flight",
                     sample, values, hosts)
        figures.append(Figure("connect_vs_concurrency" + suffix_of(values), head, panels, 2))
    return figures


def _vs_flows(records, hosts, messages, name, what, ylabel, yformat, lines, yscale="linear",
              udp_loss=False):
    """One figure per facet; a panel per (proto, size); per model, one line per
    `lines` entry: (label suffix, value of a record, line style, marker).
    udp_loss: UDP panels also get each model's loss (%) on a right-hand axis."""
    on_axes = ("proto", "model", "flows", "size_bytes")
    groups = flow_facets(records, on_axes, name, messages)
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
                    panel.series.append(
                        summarize(model + label, mrec, "flows", value, color_of(model), style,
                                  marker, group=model))
                lossy = [r for r in mrec if r["loss_ratio"] is not None]
                if udp_loss and proto == "udp" and lossy:
                    series = summarize(model + " loss", lossy, "flows",
                                       lambda r: r["loss_ratio"] * 100, color_of(model), ":", "x",
                                       group=model)
                    series.secondary = True
                    panel.series.append(series)
            if any(s.secondary for s in panel.series):
                panel.y2label = "UDP loss, dotted (% of messages sent)"
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
                lossy = [r for r in prec if r["loss_ratio"] is not None]
                if proto == "udp" and lossy:
                    loss.series.append(summarize(f"UDP {model} loss", lossy, "rate_msgs_per_s",
                                                 lambda r: r["loss_ratio"] * 100,
                                                 color_of(model), group=model))
                good.series.append(summarize(f"{proto.upper()} {model}", prec, "rate_msgs_per_s",
                                             lambda r: r["received_bps"], color_of(model), style,
                                             marker, group=model))
        offered = sorted({r["rate_msgs_per_s"] for r in recs})
        offered_bps = [(x, x * size * 8) for x in offered]
        good.series.append(Series("offered", offered_bps, "tab:gray", ":", "", reference=True))
        if not loss.series:
            loss.note = "no UDP runs"
        what = f"Loss and goodput vs offered rate, {fmt_size(size)} messages"
        head = title(what, recs[0], values, hosts, rate_on_x=True)
        figures.append(Figure("loss_goodput_vs_rate" + suffix_of(values), head, [loss, good], 2))
    return figures


def fanout_figures(runs, hosts, messages):
    """Loss at each receiver of fan-out runs (--receivers): receivers on x, one
    line per method and model, the median over repetitions with its CI."""
    fan = [r for r in runs if r.get("fanout_loss") and None not in r["fanout_loss"]]
    if not fan:
        return []
    figures = []
    for values, recs in facets(fan, exclude=("model",)):
        panel = Panel("loss at each receiver", "receiver", "loss (% of messages sent)",
                      xscale="linear", yformat="percent")
        for method in ("multicast", "broadcast"):
            for model in ordered(recs, "model", MODELS):
                mine = [r for r in recs if r["model"] == model and r["fanout_method"] == method]
                # One pseudo-record per receiver of each run: x is its index.
                per_rx = [dict(r, receiver=k, rx_loss=v) for r in mine
                          for k, v in enumerate(r["fanout_loss"])]
                if per_rx:
                    panel.series.append(summarize(f"{method}, {model}", per_rx, "receiver",
                                                  lambda r: r["rx_loss"] * 100, color_of(model),
                                                  "-" if method == "multicast" else "--",
                                                  group=model))
        head = title("Loss at each fan-out receiver", recs[0], values, hosts)
        figures.append(Figure("fanout_loss" + suffix_of(values), head, [panel], 1))
    return figures


# (e) which model for my load

# Per mode: what "fastest" means (a row label), and the value of a record.
FASTEST = {
    "stream": ("received bit/s", lambda r: r["received_bps"]),
    "echo": ("round trips/s", lambda r: r["received_msgs_per_s"]),
    "connect": ("transactions/s", lambda r: r["transactions_per_s"]),
}


# Fields that are the rows, columns and cells of a best-model grid.
BEST_MODEL_AXES = ("proto", "mode", "model", "flows", "size_bytes")


def best_model_figures(runs, hosts, messages):
    """For each load (proto x mode x size x flows) the model with the best
    median and its margin over the runner-up, tested with a two-sided
    Mann-Whitney U test: one panel for speed (stream: received bit/s, echo:
    round trips/s; higher is better), one for server CPU per message (lower
    is better). One figure per facet that has at least two models."""
    figures = []
    for values, recs in flow_facets(runs, BEST_MODEL_AXES, "best_model", messages):
        if len({r["model"] for r in recs}) < 2:
            messages.append("best_model" + suffix_of(values) + ": skipped, a single model")
            continue
        rows = sorted({(r["proto"], r["mode"], r["size_bytes"]) for r in recs},
                      key=lambda k: (order_of(k[0], PROTOS), order_of(k[1], MODES), k))
        columns = sorted({r["flows"] for r in recs})
        speed = best_table(recs, rows, columns, lambda r: FASTEST[r["mode"]][1](r), True)
        speed.rows = [f"{row_label(k)}\n{FASTEST.get(k[1], ('?',))[0]}" for k in rows]
        cost = best_table(recs, rows, columns, lambda r: r["server_cpu_per_msg_ns"], False)
        cost.rows = [f"{row_label(k)}\nCPU per message" for k in rows]
        panels = [
            Panel("Fastest: stream received bit/s, echo round trips/s, connect transactions/s "
                  "(higher is better)",
                  "flows", "", table=speed),
            Panel("Cheapest: server CPU user+sys per message (lower is better)",
                  "flows", "", table=cost),
        ]
        what = "Which model for my load: best median, margin over the runner-up, U test"
        head = title(what, recs[0], values, hosts, mode_in_rows=True)
        head += "\n" + significance_note(panels)
        figures.append(Figure("best_model" + suffix_of(values), head, panels, 1))
    return figures


def best_table(records, rows, columns, value, higher_is_better):
    """A Table of verdicts: one per (row, flow count) where some model ran."""
    cells = {}
    for i, (proto, mode, size) in enumerate(rows):
        for j, flows in enumerate(columns):
            by_model = {}
            for r in records:
                if (r["proto"], r["mode"], r["size_bytes"], r["flows"]) == (proto, mode, size,
                                                                             flows):
                    by_model.setdefault(r["model"], []).append(value(r))
            if by_model:
                cells[(i, j)] = verdict(by_model, higher_is_better)
    facet = {f: records[0][f] for f in ALL_FIELDS if f not in BEST_MODEL_AXES}
    return Table([], list(columns), cells, higher_is_better, list(rows), facet)


def verdict(by_model, higher_is_better):
    """The best model by median of {model: [values]}, its margin over the
    next best and whether the two differ (two-sided Mann-Whitney U, ALPHA)."""
    medians = {m: statistics.median(v) for m, v in by_model.items()}
    sign = -1 if higher_is_better else 1
    ranked = sorted(medians, key=lambda m: (sign * medians[m], order_of(m, MODELS), m))
    best = ranked[0]
    v = Verdict(best, medians[best], len(by_model[best]))
    if len(ranked) < 2:
        return v
    runner = ranked[1]
    v.runner_up, v.runner_median, v.runner_n = runner, medians[runner], len(by_model[runner])
    better, worse = (v.best_median, v.runner_median) if higher_is_better else (
        v.runner_median, v.best_median)
    v.margin_pct = (better / worse - 1) * 100 if worse > 0 else (0.0 if better == 0 else math.inf)
    if min(v.best_n, v.runner_n) < 2:
        v.status = "not tested"
        return v
    v.p_value = mann_whitney_p(by_model[best], by_model[runner])
    v.status = "significant" if v.p_value < ALPHA else "not significant"
    return v


def significance_note(panels):
    """A line saying how the cells were tested, and when they could not be."""
    cells = [c for p in panels for c in p.table.cells.values()]
    tested = [c for c in cells if c.p_value is not None]
    line = (f"significance: two-sided Mann-Whitney U test of best vs runner-up, alpha {ALPHA:g}; "
            "hatched: not significant or not tested")
    if not tested:
        return line + "\nn=1 run per model and load: not tested"
    weakest = min(tested, key=lambda c: (min(c.best_n, c.runner_n), max(c.best_n, c.runner_n)))
    floor = u_test_min_p(weakest.best_n, weakest.runner_n)
    if floor >= ALPHA:
        line += (f"\ncells of {weakest.best_n} vs {weakest.runner_n} runs cannot be significant: "
                 f"without ties their smallest possible p is {floor:.2g} (--repeat 4 or more can "
                 f"reach p < {ALPHA:g})")
    return line


def row_label(key):
    proto, mode, size = key
    return f"{proto.upper()} {mode}, {fmt_size(size)}"


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
                    panel.series.append(summarize(model, mrec, "flows", lambda b: b["msgs_per_s"],
                                                  color_of(model)))
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


def flow_facets(records, on_axes, name, messages):
    """facets() of the records, less those with a single flow count when
    others have several (a rate sweep beside a flows sweep): a chart over
    flows has nothing to show for them."""
    groups = list(facets(records, exclude=on_axes))
    several = [g for g in groups if len({r["flows"] for r in g[1]}) > 1]
    if several and len(several) < len(groups):
        dropped = len(groups) - len(several)
        messages.append(f"{name}: {dropped} configuration(s) with a single flow count not drawn")
        groups = list(facets([r for _, recs in several for r in recs], exclude=on_axes))
    return groups


def summarize(label, records, x_key, y, color, linestyle="-", marker="o", group=""):
    """A Series of the median of y(record) per x, with its n and, when any x
    has two or more values, the 95% CI of each median."""
    by_x = {}
    for r in records:
        by_x.setdefault(r[x_key], []).append(y(r))
    xs = sorted(by_x)
    series = Series(label, [(x, statistics.median(by_x[x])) for x in xs], color, linestyle,
                    marker, group=group)
    series.counts = [len(by_x[x]) for x in xs]
    if any(n >= 2 for n in series.counts):
        series.errors = [median_ci(by_x[x]) for x in xs]
    return series


# --- statistics ---


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


def mann_whitney_p(a, b):
    """Two-sided p-value of the Mann-Whitney U test of a against b, as
    stats::mann_whitney_u in the C++ core (and scipy.stats.mannwhitneyu):
    exact when there are no ties and both samples have at most
    EXACT_MAX_SAMPLE values, p = min(1, 2 min(P(U <= u), P(U >= u)));
    otherwise the normal approximation with tie and continuity corrections;
    1 when a sample is empty or every value is tied."""
    n1, n2 = len(a), len(b)
    if n1 == 0 or n2 == 0:
        return 1.0
    pooled = sorted([(x, True) for x in a] + [(x, False) for x in b], key=lambda t: t[0])
    rank_sum_a, tie_term, ties = 0.0, 0.0, False
    i = 0
    while i < len(pooled):
        j = i + 1
        while j < len(pooled) and pooled[j][0] == pooled[i][0]:
            j += 1
        midrank = (i + 1 + j) / 2  # positions i..j-1 share ranks i+1..j
        if j - i > 1:
            ties = True
            tie_term += (j - i) ** 3 - (j - i)
        rank_sum_a += midrank * sum(1 for k in range(i, j) if pooled[k][1])
        i = j
    pairs = n1 * n2
    u = min(max(rank_sum_a - n1 * (n1 + 1) / 2, 0.0), float(pairs))
    if not ties and n1 <= EXACT_MAX_SAMPLE and n2 <= EXACT_MAX_SAMPLE:
        counts = u_null_counts(n1, n2)
        k = round(u)
        lower, upper = sum(counts[: k + 1]), sum(counts[k:])
        return min(1.0, 2 * min(lower, upper) / math.comb(n1 + n2, n1))
    n = n1 + n2
    variance = pairs / 12 * ((n + 1) - tie_term / (n * (n - 1)))
    if not variance > 0:
        return 1.0
    z = (max(u, pairs - u) - pairs / 2 - 0.5) / math.sqrt(variance)
    return min(1.0, max(0.0, math.erfc(z / math.sqrt(2))))  # 2 (1 - Phi(z))


_U_COUNTS = {}


def u_null_counts(m, n):
    """How many of the C(m+n, m) orderings of two tie-free samples of sizes m
    and n give U = 0 .. m n: f(i, j, u) = f(i-1, j, u-j) + f(i, j-1, u), as
    the largest value belongs to the first sample (beating all j) or not."""
    key = (min(m, n), max(m, n))  # symmetric in (m, n)
    if key not in _U_COUNTS:
        small, large = key
        table = [[1] for _ in range(small + 1)]  # i = 0: U = 0 surely
        for i in range(1, large + 1):
            row = [[1]]  # (i, 0)
            for j in range(1, small + 1):
                old, left = table[j], row[j - 1]  # (i-1, j) and (i, j-1)
                row.append([(old[u - j] if j <= u < j + len(old) else 0)
                            + (left[u] if u < len(left) else 0) for u in range(i * j + 1)])
            table = row
        _U_COUNTS[key] = table[small]
    return _U_COUNTS[key]


def u_test_min_p(n1, n2):
    """The smallest two-sided p the exact U test can give (no ties): 2 / C(n1+n2, n1)."""
    return min(1.0, 2 / math.comb(n1 + n2, n1)) if n1 and n2 else 1.0


def ordered(records, key, preferred):
    """Distinct values of `key`, those in `preferred` first in its order."""
    return sorted({r[key] for r in records}, key=lambda v: (order_of(v, preferred), v))


def color_of(model):
    return MODEL_COLORS.get(model, "black")


def order_of(value, preferred):
    return preferred.index(value) if value in preferred else len(preferred)


# --- titles and names ---


def title(what, sample, facet_values, hosts, rate_on_x=False, mode_in_rows=False):
    """Two lines: the chart and the configuration; the machine."""
    parts = [] if mode_in_rows else [sample["mode"]]
    parts += [] if rate_on_x else [fmt_rate(sample["rate_msgs_per_s"])]
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
