#!/usr/bin/python3
"""Checks that plot.py drew every chart its inputs call for. CI runs it after plot.py:

  plots/check_plots.py results/sweep_uring.json [more.json ...] -d plots/ \\
      [--require throughput_vs_flows --require loss_goodput_vs_rate ...] [--require-error-bars]

Works out the expected charts from the same inputs (charts.plan, without
drawing) and checks that each <name>.png is a non-empty PNG and each
<name>.svg a non-empty, well-formed SVG. --require NAME also demands that at
least one expected chart is NAME or NAME_<configuration>, so that results
that cannot produce a chart fail the check rather than pass it vacuously.

Always checked as well:
  - error bars: every point of two or more runs has a 95% CI around its
    median, and every series with such points has its error bars drawn in
    the SVG (the id charts.ci_gid gives them); a chart of one run per point
    says "no CI" in its title;
  - best model: when some configuration ran two or more models (over
    several flow counts, if any configuration has several), a best_model
    chart is expected and has a cell, drawn in the SVG, for each load where
    two or more models ran, with a margin >= 0 and a U test verdict
    consistent with the runs (n >= 2 on both sides: a p-value; else "not
    tested").
--require-error-bars: the inputs have repetitions: every point of every
netbench chart must have two or more runs, hence an error bar.

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
    problems += check_error_bars(figures, args.require_error_bars)
    problems += check_best_model(inputs.runs, figures)
    for fig in figures:
        problems += check_png(os.path.join(args.dir, fig.name + ".png"))
        problems += check_svg(os.path.join(args.dir, fig.name + ".svg"), drawn_ids(fig))
    for p in problems:
        print(f"check_plots.py: {p}", file=sys.stderr)
    if not problems:
        count = f"{len(names)} charts ({2 * len(names)} files)"
        bars = sum(len(drawn_ids(f)) for f in figures)
        print(f"check_plots.py: {count} in {args.dir} are present and well-formed; "
              f"{bars} error-bar series and best-model cells drawn")
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
        help="the inputs have repetitions: every point of every netbench chart must have "
        "two or more runs and a 95%% CI error bar",
    )
    return p.parse_args(argv)


def check_error_bars(figures, require):
    """Every point of two or more runs has a (lower, upper) around its
    median; with `require`, every point of a netbench chart has two or more."""
    out = []
    checked = 0
    for fig in figures:
        counts = []
        for panel in fig.panels:
            for s in panel.series if panel is not None else []:
                if s.reference:
                    continue
                where = f"{fig.name}: {s.label}"
                if len(s.counts) != len(s.points):
                    out.append(f"{where}: {len(s.counts)} run counts for {len(s.points)} points")
                    continue
                counts += s.counts
                if require and not fig.name.startswith("bench_models"):
                    checked += 1
                    single = [x for (x, _), n in zip(s.points, s.counts) if n < 2]
                    if single:
                        out.append(f"{where}: one run, no error bar, at {single}")
                if not any(n >= 2 for n in s.counts):
                    continue
                if len(s.errors) != len(s.points):
                    out.append(f"{where}: {len(s.errors)} error bars for {len(s.points)} points")
                    continue
                for (x, y), (lo, hi), n in zip(s.points, s.errors, s.counts):
                    if n >= 2 and not lo <= y <= hi:
                        out.append(f"{where}: at {x}, {y} outside [{lo}, {hi}]")
        if counts and max(counts) < 2 and "no CI" not in fig.title:
            out.append(f"{fig.name}: one run per point, but the title does not say 'no CI'")
    if require and checked == 0:
        out.append("--require-error-bars: no netbench chart series to check")
    return out


def check_best_model(runs, figures):
    """A best_model chart when some configuration ran two or more models,
    with a consistent cell for each load where two or more did."""
    axes = charts.BEST_MODEL_AXES
    facet_fields = [f for f in charts.ALL_FIELDS if f not in axes]
    groups = {}
    for r in runs:
        groups.setdefault(tuple(r[f] for f in facet_fields), []).append(r)
    # As the flows charts: a configuration of one flow count beside others
    # of several is not drawn over flows.
    if any(len({r["flows"] for r in g}) > 1 for g in groups.values()):
        groups = {k: g for k, g in groups.items() if len({r["flows"] for r in g}) > 1}
    contested = set()
    for key, g in groups.items():
        models = {}
        for r in g:
            load = (key, r["proto"], r["mode"], r["size_bytes"], r["flows"])
            models.setdefault(load, set()).add(r["model"])
        contested |= {load for load, m in models.items() if len(m) >= 2}
    tables = [(fig.name, p.table) for fig in figures if fig.name.startswith("best_model")
              for p in fig.panels if p is not None and p.table is not None]
    out = []
    if contested and not tables:
        out.append(f"best_model: {len(contested)} load(s) ran two or more models, "
                   "but no best_model chart is expected")
    for name, t in tables:
        facet = tuple(t.facet[f] for f in facet_fields)
        covered = set()
        for (i, j), v in t.cells.items():
            proto, mode, size = t.row_keys[i]
            where = f"{name}: {t.rows[i].splitlines()[0]}, {t.columns[j]} flows"
            if v.runner_up:
                covered.add((facet, proto, mode, size, t.columns[j]))
                out += check_verdict(where, v)
            elif v.status != "only model":
                out.append(f"{where}: one model, but '{v.status}'")
        missing = {c for c in contested if c[0] == facet} - covered
        for _, proto, mode, size, flows in sorted(missing, key=str):
            out.append(f"{name}: no verdict for {proto} {mode} {size} B at {flows} flows, "
                       "where two or more models ran")
    return out


def check_verdict(where, v):
    """[] if the verdict's margin and test agree with its runs."""
    out = []
    if not v.margin_pct >= 0:
        out.append(f"{where}: margin {v.margin_pct}% < 0: {v.best} is not the best")
    if min(v.best_n, v.runner_n) >= 2:
        if v.p_value is None:
            out.append(f"{where}: {v.best_n} vs {v.runner_n} runs, but no U test")
        elif (v.p_value < charts.ALPHA) != (v.status == "significant"):
            out.append(f"{where}: p={v.p_value:.3g} but '{v.status}'")
    elif v.status != "not tested":
        out.append(f"{where}: a model of one run, but '{v.status}'")
    return out


def drawn_ids(fig):
    """SVG ids plot.py must have drawn: the error bars of every series with a
    point of two or more runs, every best-model cell."""
    ids = set()
    for i, panel in enumerate(fig.panels):
        if panel is None:
            continue
        if panel.table is not None:
            ids |= {charts.cell_gid(i, r, c) for r, c in panel.table.cells}
        for j, s in enumerate(panel.series):
            if not s.reference and any(n >= 2 for n in s.counts):
                ids.add(charts.ci_gid(i, j))
    return ids


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


def check_svg(path, ids=frozenset()):
    """[] if `path` is a well-formed SVG with drawn content and an element of
    each id in `ids`, else one problem."""
    try:
        root = ElementTree.parse(path).getroot()
    except OSError as e:
        return [f"{path}: missing ({e.strerror})"]
    except ElementTree.ParseError as e:
        return [f"{path}: malformed SVG ({e})"]
    if not root.tag.endswith("svg") or len(list(root.iter())) < 10:
        return [f"{path}: empty SVG"]
    missing = set(ids) - {e.get("id") for e in root.iter()}
    if missing:
        return [f"{path}: {len(missing)} of {len(ids)} error-bar or cell groups not drawn "
                f"(e.g. {min(missing)})"]
    return []


if __name__ == "__main__":
    sys.exit(main())
