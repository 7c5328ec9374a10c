#!/usr/bin/python3
"""Makes committed sweep documents small enough for results/ (under 10 MB in
all) without changing a figure the charts, `netbench compare` or a reader of
the tables use.

  scripts/compact_results.py results/sweep.json [more.json ...]

In place, for every repetition of every point (`runs[].repeated.repetitions[]`)
and every single run (`runs[].run`):

- drops `histogram_base64` (the serialized full histogram) from each latency
  object; count, min, mean, max and every percentile stay. The point's
  `repeated.pooled_latency` keeps its histograms, so the pooled percentiles
  of all repetitions stay exact and mergeable;
- writes the JSON without indentation.

A compacted document says so: `sweep.compacted` names this script and what
it removed. Such a document is not a complete netbench/1 document any more
(`histogram_base64` is required there): regenerate the sweep for that.
"""

import json
import os
import sys

LATENCY_KEYS = ("from_intended_send", "from_actual_send", "delay_variation")


def drop_histogram(obj):
    if isinstance(obj, dict) and "histogram_base64" in obj:
        del obj["histogram_base64"]
        return 1
    return 0


def compact_run(run):
    removed = 0
    latency = run.get("latency")
    if isinstance(latency, dict):
        for key in LATENCY_KEYS:
            removed += drop_histogram(latency.get(key))
    pacing = (run.get("sender") or {}).get("pacing")
    if isinstance(pacing, dict):
        removed += drop_histogram(pacing.get("lateness"))
    summary = run.get("flow_summary")
    if isinstance(summary, dict):  # without a summary the flows are all there is
        for side in ("sender", "receiver"):
            if isinstance((run.get(side) or {}).get("flows"), list):
                run[side]["flows"] = []
        summary["listed"] = False
    return removed


def compact(path):
    with open(path) as f:
        doc = json.load(f)
    before = os.path.getsize(path)
    removed = 0
    for entry in doc.get("runs", []):
        if isinstance(entry.get("run"), dict):
            removed += compact_run(entry["run"])
        for rep in (entry.get("repeated") or {}).get("repetitions", []):
            removed += compact_run(rep)
        pooled = (entry.get("repeated") or {}).get("pooled_latency") or {}
        actual, intended = pooled.get("from_actual_send"), pooled.get("from_intended_send")
        if (isinstance(actual, dict) and isinstance(intended, dict) and
                actual.get("histogram_base64") is not None and
                intended.get("histogram_base64") == actual["histogram_base64"]):
            removed += drop_histogram(intended)
    if "sweep" in doc:
        doc["sweep"]["compacted"] = ("scripts/compact_results.py: histogram_base64 removed from each "
                                     "repetition's latency objects and pacing lateness, and from "
                                     "pooled_latency.from_intended_send where it equalled "
                                     "from_actual_send's; per-flow arrays emptied where flow_summary "
                                     "holds their spread")
    with open(path, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print(f"{path}: {before / 1e6:.1f} MB -> {os.path.getsize(path) / 1e6:.1f} MB "
          f"({removed} histograms removed)")


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    for path in sys.argv[1:]:
        compact(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
