#!/usr/bin/python3
"""Draws netbench results as PNG and SVG charts.

  plots/plot.py results/sweep.json [more.json ...] -o plots/

Inputs are netbench/1 documents (a sweep, or single runs from --json) and
Google Benchmark JSON of bench/bench_models (--benchmark_format=json). The
charts, one figure per configuration that varies besides the plotted axes:

  throughput_vs_flows*     receiver throughput vs flows per model (stream)
  latency_vs_flows*        p50 and p99 vs flows per model: echo RTT when
                           there are echo runs, else one-way delay
  server_cpu_vs_flows*     receiver CPU time per message vs flows per model
  loss_goodput_vs_rate*    UDP loss, and TCP vs UDP goodput, vs offered rate
                           (only when the runs hold several offered rates)
  bench_models_<kind>      messages/s vs flows per model (Google Benchmark)

Failed points are skipped (and listed). Prints every file written; exits 1
if no chart could be drawn, 2 on bad arguments or unreadable input.

Runs with Debian's /usr/bin/python3 and its python3-matplotlib (the python3
first on PATH may be another interpreter without it).
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import charts  # noqa: E402
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
    figures, messages = charts.plan(inputs)
    for line in messages:
        print(f"plot.py: {line}", file=sys.stderr)
    if not figures:
        print("plot.py: no run could be plotted", file=sys.stderr)
        return 1
    os.makedirs(args.output, exist_ok=True)
    pyplot = load_pyplot()
    for fig in figures:
        for path in draw(pyplot, fig, args.output):
            print(path)
    return 0


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
    """Draws one Figure; returns the paths written."""
    ncols = max(1, min(fig.ncols, len(fig.panels)))
    nrows = -(-len(fig.panels) // ncols)
    size = (7.6 * ncols, 4.4 * nrows + 0.6)  # inches: room for the legend at the right
    mfig, axes = pyplot.subplots(nrows, ncols, figsize=size, squeeze=False)
    flat = [ax for row in axes for ax in row]
    for i, ax in enumerate(flat):
        if i < len(fig.panels) and fig.panels[i] is not None:
            draw_panel(ax, fig.panels[i])
        else:
            ax.set_visible(False)
    mfig.suptitle(fig.title, fontsize=11)
    mfig.tight_layout()
    paths = []
    for ext in FORMATS:
        path = os.path.join(outdir, f"{fig.name}.{ext}")
        mfig.savefig(path, dpi=110, bbox_inches="tight")
        paths.append(path)
    pyplot.close(mfig)
    return paths


def draw_panel(ax, panel):
    ax.set_title(panel.title, fontsize=10)
    ax.set_xlabel(panel.xlabel)
    ax.set_ylabel(panel.ylabel)
    ax.grid(True, which="major", alpha=0.3)
    if not panel.series:
        ax.text(0.5, 0.5, panel.note or "no data", ha="center", va="center", transform=ax.transAxes)
        return
    for s in panel.series:
        xs = [p[0] for p in s.points]
        ys = [p[1] for p in s.points]
        marker = s.marker or None
        ax.plot(xs, ys, color=s.color, linestyle=s.linestyle, marker=marker, label=s.label)
        if s.errors:
            # 95% CI of the median over the repetitions of each point.
            below = [max(y - lo, 0) for y, (lo, _) in zip(ys, s.errors)]
            above = [max(hi - y, 0) for y, (_, hi) in zip(ys, s.errors)]
            ax.errorbar(xs, ys, yerr=[below, above], fmt="none", ecolor=s.color, capsize=3,
                        elinewidth=1, alpha=0.8)
    set_x_axis(ax, panel)
    set_y_axis(ax, panel)
    # Outside the axes, so that it never covers a line.
    ax.legend(fontsize=8, ncol=2 if len(panel.series) > 4 else 1, loc="upper left",
              bbox_to_anchor=(1.01, 1.0), borderaxespad=0)


def set_x_axis(ax, panel):
    """Log scale with a tick at every x value that has data."""
    from matplotlib import ticker

    xs = sorted({p[0] for s in panel.series for p in s.points})
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
