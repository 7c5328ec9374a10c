#!/usr/bin/python3
"""Checks that plot.py drew every chart its inputs call for. CI runs it after plot.py:

  plots/check_plots.py results/sweep.json [more.json ...] -d plots/ \\
      [--require throughput_vs_flows --require loss_goodput_vs_rate ...]

Works out the expected charts from the same inputs (charts.plan, without
drawing) and checks that each <name>.png is a non-empty PNG and each
<name>.svg a non-empty, well-formed SVG. --require NAME also demands that at
least one expected chart is NAME or NAME_<configuration>, so that results
that cannot produce a chart fail the check rather than pass it vacuously.

Exit status 0 when all is well, 1 with one line per problem, 2 on bad
arguments or unreadable input. Standard library only.
"""

import argparse
import os
import sys
import xml.etree.ElementTree as ElementTree

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import charts  # noqa: E402
import load_results  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def main(argv=None):
    args = parse_args(argv)
    try:
        inputs = load_results.load(args.inputs)
    except ValueError as e:
        print(f"check_plots.py: {e}", file=sys.stderr)
        return 2
    figures = charts.plan(inputs)[0]
    names = [fig.name for fig in figures]
    problems = [] if names else ["no chart expected: the inputs hold no run that can be plotted"]
    for required in args.require:
        if not any(n == required or n.startswith(required + "_") for n in names):
            problems.append(f"{required}: required, but the inputs call for no such chart")
    if args.require_error_bars:
        problems += check_error_bars(figures)
    for name in names:
        problems += check_png(os.path.join(args.dir, name + ".png"))
        problems += check_svg(os.path.join(args.dir, name + ".svg"))
    for p in problems:
        print(f"check_plots.py: {p}", file=sys.stderr)
    if not problems:
        count = f"{len(names)} charts ({2 * len(names)} files)"
        print(f"check_plots.py: {count} in {args.dir} are present and well-formed")
    return 1 if problems else 0


def parse_args(argv):
    p = argparse.ArgumentParser(description="Check that plot.py wrote every expected chart.")
    p.add_argument("inputs", nargs="+", help="the JSON documents plot.py was given")
    p.add_argument("-d", "--dir", default="plots", help="where plot.py wrote (default: plots)")
    p.add_argument(
        "--require",
        action="append",
        default=[],
        metavar="NAME",
        help="a chart that must be expected (repeatable)",
    )
    p.add_argument(
        "--require-error-bars",
        action="store_true",
        help="the inputs have repetitions: every flows chart series must carry 95%% CI error bars",
    )
    return p.parse_args(argv)


def check_error_bars(figures):
    """Every series of a *_vs_flows chart has one (lower, upper) per point,
    around its median."""
    out = []
    checked = 0
    for fig in figures:
        if "_vs_flows" not in fig.name:
            continue
        for panel in fig.panels:
            for s in panel.series if panel is not None else []:
                checked += 1
                if len(s.errors) != len(s.points):
                    out.append(f"{fig.name}: {s.label}: {len(s.errors)} error bars for "
                               f"{len(s.points)} points")
                    continue
                for (x, y), (lo, hi) in zip(s.points, s.errors):
                    if not lo <= y <= hi:
                        out.append(f"{fig.name}: {s.label}: at {x}, {y} outside [{lo}, {hi}]")
    if checked == 0:
        out.append("--require-error-bars: no flows chart series to check")
    return out


def check_png(path):
    """[] if `path` is a non-empty PNG, else one problem."""
    try:
        with open(path, "rb") as f:
            head = f.read(len(PNG_MAGIC))
            size = os.fstat(f.fileno()).st_size
    except OSError as e:
        return [f"{path}: missing ({e.strerror})"]
    if head != PNG_MAGIC or size < 1024:
        return [f"{path}: not a PNG chart ({size} bytes)"]
    return []


def check_svg(path):
    """[] if `path` is a well-formed SVG with drawn content, else one problem."""
    try:
        root = ElementTree.parse(path).getroot()
    except OSError as e:
        return [f"{path}: missing ({e.strerror})"]
    except ElementTree.ParseError as e:
        return [f"{path}: malformed SVG ({e})"]
    if not root.tag.endswith("svg") or len(list(root.iter())) < 10:
        return [f"{path}: empty SVG"]
    return []


if __name__ == "__main__":
    sys.exit(main())
