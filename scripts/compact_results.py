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


def compact_run(run):
    latency = run.get("latency")
    if not isinstance(latency, dict):
        return 0
    removed = 0
    for key in LATENCY_KEYS:
        obj = latency.get(key)
        if isinstance(obj, dict) and "histogram_base64" in obj:
            del obj["histogram_base64"]
            removed += 1
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
    if "sweep" in doc:
        doc["sweep"]["compacted"] = ("scripts/compact_results.py: histogram_base64 removed from each "
                                     "repetition's latency objects (pooled_latency kept whole)")
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
