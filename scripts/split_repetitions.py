#!/usr/bin/python3
"""Splits a netbench --repeat document (single run or sweep) into two
documents holding alternate repetitions (1st, 3rd, ... and 2nd, 4th, ...),
for an A/A comparison of a tool against itself with `netbench compare`:

  split_repetitions.py sweep.json a.json b.json

The halves keep every key; only each "repeated.repetitions" list is cut
(the aggregates are then those of the whole, which compare does not read).
"""

import copy
import json
import sys


def halves(repeated):
    reps = repeated["repetitions"]
    a, b = copy.deepcopy(repeated), copy.deepcopy(repeated)
    a["repetitions"], b["repetitions"] = reps[0::2], reps[1::2]
    return a, b


def main(argv):
    if len(argv) != 4:
        sys.exit(__doc__)
    doc = json.load(open(argv[1], encoding="utf-8"))
    a, b = copy.deepcopy(doc), copy.deepcopy(doc)
    if "repeated" in doc:
        a["repeated"], b["repeated"] = halves(doc["repeated"])
    elif "runs" in doc:
        for i, entry in enumerate(doc["runs"]):
            if "repeated" in entry:
                a["runs"][i]["repeated"], b["runs"][i]["repeated"] = halves(entry["repeated"])
    else:
        sys.exit(f"{argv[1]}: no repetitions (run netbench with --repeat)")
    for path, half in ((argv[2], a), (argv[3], b)):
        with open(path, "w", encoding="utf-8") as f:
            json.dump(half, f)


if __name__ == "__main__":
    main(sys.argv)
