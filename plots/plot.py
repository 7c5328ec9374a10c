#!/usr/bin/python3
"""Draws netbench results as PNG and SVG charts.

  plots/plot.py results/sweep_uring.json [more.json ...] -o plots/

Inputs are netbench/1 documents (a sweep, or single runs from --json) and
Google Benchmark JSON of bench/bench_models (--benchmark_format=json). The
charts, one figure per configuration that varies besides the plotted axes:

  throughput_vs_flows*     receiver throughput vs flows per model (stream);
                           UDP panels also show loss, dotted, on a right axis
  latency_vs_flows_stream* one-way delay p50 and p99 vs flows per model
  latency_vs_flows_echo*   echo RTT p50 and p99 vs flows per model
  server_cpu_vs_flows*     receiver CPU time per message vs flows per model
  loss_goodput_vs_rate*    UDP loss, and TCP vs UDP goodput, vs offered rate
                           (only when the runs hold several offered rates)
  best_model*              per load (proto x mode x size x flows): the best
                           model, its margin over the runner-up and whether
                           a Mann-Whitney U test calls them different
                           (when at least two models ran)
  bench_models_<kind>      messages/s vs flows per model (Google Benchmark)
  fleet*                   a `netbench merge` document: throughput and p99
                           per client -> server pair, the fleet's median,
                           sum, pooled p99 and Jain's index

Every point with two or more runs has an error bar: the 95% CI of its
median; each chart's title says n. Legends sit below the panels, never on
them. Failed points are skipped (and listed). Prints every file written;
exits 1 if no chart could be drawn or a legend would cover a panel, 2 on
bad arguments or unreadable input.

Runs with Debian's /usr/bin/python3 and its python3-matplotlib (the python3
first on PATH may be another interpreter without it).
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import charts  # noqa: E402
import fleet_chart  # noqa: E402
import load_results  # noqa: E402

FORMATS = ("png", "svg")


def main(argv=None):
    args = parse_args(argv)
    try:
        inputs = load_results.load(args.inputs)
    except ValueError as e:
        print(f"plot.py: {e}", file=sys.stderr)
        return 2
    for line in inputs.skipped:
        print(f"plot.py: {line}", file=sys.stderr)
    figures, messages = charts.plan(inputs) if inputs.runs or inputs.bench else ([], [])
    for line in messages:
        print(f"plot.py: {line}", file=sys.stderr)
    if not figures and not inputs.fleets:
        print("plot.py: no run could be plotted", file=sys.stderr)
        return 1
    os.makedirs(args.output, exist_ok=True)
    pyplot = load_pyplot()
    status = 0
    for i, (_, fleet) in enumerate(inputs.fleets):
        name = "fleet" if len(inputs.fleets) == 1 else f"fleet_{i + 1}"
        for path in fleet_chart.draw(pyplot, fleet, args.output, name, FORMATS):
            print(path)
    for fig in figures:
        paths, problems = draw(pyplot, fig, args.output)
        for path in paths:
            print(path)
        for line in problems:
            print(f"plot.py: {fig.name}: {line}", file=sys.stderr)
            status = 1
    return status


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Draw netbench results and bench_models Google Benchmark JSON as PNG and SVG."
    )
    p.add_argument("inputs", nargs="+", help="netbench/1 JSON documents or Google Benchmark JSON")
    p.add_argument(
        "-o",
        "--output",
        default=None,
        help="directory of the charts (default: a new directory netbench-charts-YYYYmmdd-HHMMSS "
        "in the current one, so that the committed charts in plots/ are never overwritten)",
    )
    args = p.parse_args(argv)
    if args.output is None:
        args.output = new_output_dir()
    return args


def new_output_dir():
    """A directory name that does not exist yet: netbench-charts-<local time>[-N]."""
    import time

    base = "netbench-charts-" + time.strftime("%Y%m%d-%H%M%S")
    name, n = base, 1
    while os.path.exists(name):
        n += 1
        name = f"{base}-{n}"
    return name


def load_pyplot():
    """matplotlib.pyplot with the Agg backend (no display needed)."""
    try:
        import matplotlib
    except ImportError:
        sys.exit(
            "plot.py: matplotlib is missing; install Debian's python3-matplotlib "
            "and run with /usr/bin/python3"
        )
    matplotlib.use("Agg")
    import matplotlib.pyplot as pyplot

    return pyplot


def draw(pyplot, fig, outdir):
    """Draws one Figure; returns (paths written, problems found in the drawing)."""
    if any(p is not None and p.table is not None for p in fig.panels):
        mfig, axes = draw_tables(pyplot, fig)
    else:
        mfig, axes = draw_lines(pyplot, fig)
    problems = legend_overlaps(mfig, axes)
    paths = []
    for ext in FORMATS:
        path = os.path.join(outdir, f"{fig.name}.{ext}")
        mfig.savefig(path, dpi=110, bbox_inches="tight")
        paths.append(path)
    pyplot.close(mfig)
    return paths, problems


def draw_lines(pyplot, fig):
    """A grid of line panels and one legend below them all; returns (figure, axes)."""
    ncols = max(1, min(fig.ncols, len(fig.panels)))
    nrows = -(-len(fig.panels) // ncols)
    size = (7.0 * ncols, 4.4 * nrows + 0.4)  # inches
    mfig, grid = pyplot.subplots(nrows, ncols, figsize=size, squeeze=False)
    flat = [ax for row in grid for ax in row]
    axes, entries = [], {}
    for i, ax in enumerate(flat):
        if i < len(fig.panels) and fig.panels[i] is not None:
            axes += draw_panel(ax, fig.panels[i], i, entries)
        else:
            ax.set_visible(False)
    mfig.suptitle(fig.title, fontsize=10)
    mfig.tight_layout()
    add_legend(mfig, entries)
    return mfig, axes


def draw_panel(ax, panel, index, entries):
    """Draws one panel's series (and its right-hand axis, if any); adds each
    new label's handle to entries {label: (group, handle)}; returns the axes used."""
    ax.set_title(panel.title, fontsize=10)
    ax.set_xlabel(panel.xlabel)
    ax.set_ylabel(panel.ylabel)
    ax.grid(True, which="major", alpha=0.3)
    if not panel.series:
        ax.text(0.5, 0.5, panel.note or "no data", ha="center", va="center", transform=ax.transAxes)
        return [ax]
    right = ax.twinx() if any(s.secondary for s in panel.series) else None
    for j, s in enumerate(panel.series):
        target = right if s.secondary else ax
        xs = [p[0] for p in s.points]
        ys = [p[1] for p in s.points]
        marker = s.marker or None
        (line,) = target.plot(xs, ys, color=s.color, linestyle=s.linestyle, marker=marker,
                              label=s.label, markersize=6 if not s.secondary else 5)
        entries.setdefault(s.label, (s.group or s.label, line))
        # 95% CI of the median over the runs of each point that has two or more.
        shown = [k for k, n in enumerate(s.counts) if n >= 2 and k < len(s.errors)]
        if shown:
            below = [max(ys[k] - s.errors[k][0], 0) for k in shown]
            above = [max(s.errors[k][1] - ys[k], 0) for k in shown]
            bars = target.errorbar([xs[k] for k in shown], [ys[k] for k in shown],
                                   yerr=[below, above], fmt="none", ecolor=s.color, capsize=3,
                                   elinewidth=1, alpha=0.8)
            for collection in bars.lines[2]:
                collection.set_gid(charts.ci_gid(index, j))
    set_x_axis(ax, panel)
    set_y_axis(ax, panel)
    if right is None:
        return [ax]
    from matplotlib import ticker

    right.set_ylabel(panel.y2label, color="dimgray")
    right.tick_params(axis="y", colors="dimgray")
    top = max([p[1] for s in panel.series if s.secondary for p in s.points]
              + [hi for s in panel.series if s.secondary for _, hi in s.errors])
    right.set_ylim(0, top * 1.15 if top > 0 else 1)
    if panel.y2format == "percent":
        right.yaxis.set_major_formatter(ticker.PercentFormatter())
    return [ax, right]


def add_legend(mfig, entries):
    """One legend for the figure, below its panels (bbox_inches="tight" keeps
    it in the file), a column per group (model), so that it covers no line."""
    if not entries:
        return None
    from matplotlib.patches import Rectangle

    groups = {}
    for label, (group, handle) in entries.items():
        groups.setdefault(group, []).append((label, handle))
    depth = max(len(g) for g in groups.values())
    if len(groups) > 8:  # many groups: a plain grid
        items = [item for g in groups.values() for item in g]
        ncol = min(len(items), 6)
    else:  # matplotlib fills columns first: pad each group to one full column
        blank = ("", Rectangle((0, 0), 0, 0, visible=False))
        items = [item for g in groups.values() for item in g + [blank] * (depth - len(g))]
        ncol = len(groups)
    return mfig.legend([h for _, h in items], [label for label, _ in items], loc="upper center",
                       bbox_to_anchor=(0.5, 0.0), ncol=ncol, fontsize=8, frameon=False)


def legend_overlaps(mfig, axes):
    """One problem per legend that overlaps a panel's drawing area."""
    mfig.canvas.draw()
    renderer = mfig.canvas.get_renderer()
    legends = list(mfig.legends) + [ax.get_legend() for ax in axes if ax.get_legend()]
    problems = []
    for legend in legends:
        box = legend.get_window_extent(renderer)
        for ax in axes:
            if ax.get_visible() and box.overlaps(ax.get_window_extent(renderer)):
                problems.append(f"the legend overlaps the panel '{ax.get_title()}'")
    return problems


# --- best-model grids ---


def draw_tables(pyplot, fig):
    """Panels of best-model cells, stacked; returns (figure, axes)."""
    tables = [p.table for p in fig.panels if p is not None]
    ncols = max(len(t.columns) for t in tables)
    heights = [0.62 * len(t.rows) + 0.9 for t in tables]
    size = (max(9.0, 2.4 + 1.55 * ncols), sum(heights) + 1.2)
    mfig, grid = pyplot.subplots(len(tables), 1, figsize=size, squeeze=False,
                                 gridspec_kw={"height_ratios": heights})
    axes = [row[0] for row in grid]
    models = []
    for i, (ax, panel) in enumerate(zip(axes, [p for p in fig.panels if p is not None])):
        draw_table(ax, panel, i, models)
    models.sort(key=lambda m: (charts.order_of(m, charts.MODELS), m))
    mfig.suptitle(fig.title, fontsize=9)
    mfig.tight_layout()
    from matplotlib.patches import Patch

    handles = [Patch(facecolor=cell_color(m), edgecolor="white", label=m) for m in models]
    handles.append(Patch(facecolor="white", edgecolor="black", label="solid: significant"))
    handles.append(Patch(facecolor="white", edgecolor=HATCH_COLOR, hatch=HATCH,
                         label="hatched: not significant or not tested"))
    mfig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0),
                ncol=len(handles), fontsize=8, frameon=False)
    return mfig, axes


HATCH = "///"
HATCH_COLOR = (0.25, 0.25, 0.25, 0.45)


def cell_color(model):
    """The model's colour, lightened so that black text reads on it."""
    from matplotlib import colors

    r, g, b = colors.to_rgb(charts.color_of(model))
    return (0.45 * r + 0.55, 0.45 * g + 0.55, 0.45 * b + 0.55)


def draw_table(ax, panel, index, models):
    """One grid: a cell per (row, flows) with the best model, its margin and
    the test's verdict; appends each model shown to `models`."""
    from matplotlib.patches import Rectangle

    table = panel.table
    for (i, j), v in sorted(table.cells.items()):
        if v.runner_up and v.best not in models:
            models.append(v.best)
        # A lone model is no answer: grey, its name only.
        face = cell_color(v.best) if v.runner_up else (0.88, 0.88, 0.88)
        cell = Rectangle((j, i), 1, 1, facecolor=face, edgecolor="white", linewidth=2)
        cell.set_gid(charts.cell_gid(index, i, j))
        ax.add_patch(cell)
        if v.status != "significant":
            ax.add_patch(Rectangle((j, i), 1, 1, facecolor="none", edgecolor=HATCH_COLOR,
                                   hatch=HATCH, linewidth=0))
        backing = {"facecolor": "white", "alpha": 0.75, "edgecolor": "none",
                   "boxstyle": "round,pad=0.15"}
        ax.text(j + 0.5, i + 0.5, cell_text(v, table.higher_is_better), ha="center",
                va="center", fontsize=7.5, linespacing=1.25, bbox=backing)
    for i in range(len(table.rows)):
        for j in range(len(table.columns)):
            if (i, j) not in table.cells:
                ax.text(j + 0.5, i + 0.5, "no run", ha="center", va="center", fontsize=7.5,
                        color="gray")
    ax.set_xlim(0, len(table.columns))
    ax.set_ylim(len(table.rows), 0)  # first row at the top
    ax.set_xticks([j + 0.5 for j in range(len(table.columns))])
    ax.set_xticklabels([f"{c:g}" for c in table.columns])
    ax.set_yticks([i + 0.5 for i in range(len(table.rows))])
    ax.set_yticklabels(table.rows, fontsize=8)
    ax.tick_params(length=0)
    ax.xaxis.set_ticks_position("top")
    ax.xaxis.set_label_position("top")
    ax.set_xlabel(panel.xlabel, fontsize=8)
    ax.set_title(panel.title, fontsize=9)
    for spine in ax.spines.values():
        spine.set_visible(False)


def cell_text(v, higher_is_better):
    """Three lines: the best model; its margin over the runner-up; the test."""
    if not v.runner_up:
        return f"{v.best}\nonly model run"
    margin = "inf" if v.margin_pct == float("inf") else (
        f"{v.margin_pct:.0f}" if v.margin_pct >= 100 else f"{v.margin_pct:.1f}")
    if v.status == "significant":
        test = f"p={v.p_value:.2g} *"
    elif v.status == "not significant":
        test = f"n.s. (p={v.p_value:.2g})"
    else:
        test = "n=1: not tested"
    if higher_is_better:
        gap = f"+{margin}% over {v.runner_up}"
    else:
        gap = f"{v.runner_up} costs +{margin}%"
    return f"{v.best}\n{gap}\n{test}"


def set_x_axis(ax, panel):
    """Log scale with a tick at every x value that has data."""
    from matplotlib import ticker

    xs = sorted({p[0] for s in panel.series for p in s.points})
    if panel.xscale == "linear":  # small whole numbers (receiver indexes)
        ax.xaxis.set_major_locator(ticker.FixedLocator(xs))
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        ax.set_xlim(min(xs) - 0.5, max(xs) + 0.5)
        return
    ax.set_xscale("log", base=2 if panel.xscale == "log2" else 10)
    # Ticks closer than 10% on the log axis (1000 beside 1024) would print on
    # top of each other: keep the first of each such cluster.
    shown = [x for i, x in enumerate(xs) if i == 0 or x > xs[i - 1] * 1.1]
    ax.xaxis.set_major_locator(ticker.FixedLocator(shown))
    # Whole numbers as they are (flows 4096); rates in k/M.
    ax.xaxis.set_major_formatter(ticker.FuncFormatter(
        lambda v, _: f"{v:g}" if v < 10000 or panel.xscale == "log2" else ticker.EngFormatter(sep="")(v)))
    ax.xaxis.set_minor_locator(ticker.NullLocator())
    if len(xs) == 1:  # one point: give it room
        ax.set_xlim(xs[0] / 2, xs[0] * 2)


def set_y_axis(ax, panel):
    from matplotlib import ticker

    if panel.yscale == "log":
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        ax.yaxis.set_minor_formatter(ticker.NullFormatter())
    else:
        ax.set_ylim(bottom=0)
    if panel.yformat.startswith("eng"):
        unit = panel.yformat.partition(":")[2]
        ax.yaxis.set_major_formatter(ticker.EngFormatter(unit=unit))
    elif panel.yformat == "percent":
        ax.yaxis.set_major_formatter(ticker.PercentFormatter())


if __name__ == "__main__":
    sys.exit(main())
