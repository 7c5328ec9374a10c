#!/usr/bin/python3
"""Runs the netbench binary in several configurations with --json and checks
that every document it writes is valid against docs/netbench.schema.json.

Run with Debian's /usr/bin/python3 and its python3-jsonschema (scripts/setup.sh
installs it). CTest runs it as json_schema.netbench_output_validates:

  validate_json.py --netbench build/dev/netbench --schema docs/netbench.schema.json

Exit status 0 when every document is valid, 1 with one message per problem.
"""

import argparse
import copy
import json
import subprocess
import sys

try:
    import jsonschema
except ImportError:
    sys.exit(
        "validate_json.py: the jsonschema module is missing; install Debian's "
        "python3-jsonschema (scripts/setup.sh) and run with /usr/bin/python3"
    )

# (name, arguments, whether netbench must succeed). Small counts keep each
# run well under a second on loopback.
RUNS = [
    ("tcp stream", ["--proto", "tcp", "--mode", "stream", "--count", "200"], True),
    ("udp stream", ["--proto", "udp", "--mode", "stream", "--count", "200"], True),
    ("tcp echo", ["--proto", "tcp", "--mode", "echo", "--count", "200"], True),
    ("udp echo", ["--proto", "udp", "--mode", "echo", "--count", "200"], True),
    (
        "tcp stream, 3 flows, select",
        ["--proto", "tcp", "--flows", "3", "--model", "select", "--size", "1KiB", "--count", "300"],
        True,
    ),
    (
        "udp stream, rate-limited, warm-up",
        ["--proto", "udp", "--rate", "20k", "--warmup", "50ms", "--interval", "10ms",
         "--count", "1000"],
        True,
    ),
    (
        "udp echo, open loop, poisson, warm-up",
        ["--proto", "udp", "--mode", "echo", "--rate", "10k", "--pattern", "poisson",
         "--warmup", "20ms", "--count", "300", "--flows", "2"],
        True,
    ),
    ("bad protocol", ["--proto", "sctp"], False),
]

TIMEOUT_S = 30


def reject_constant(name):
    """json.loads would otherwise accept NaN and Infinity, which JSON has not."""
    raise ValueError(f"non-JSON number {name}")


def problems_of(validator, doc):
    """One line per schema violation: where in the document, and what."""
    out = []
    for e in sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path)):
        where = "/" + "/".join(str(p) for p in e.absolute_path)
        out.append(f"at {where}: {e.message}")
    return out


def run_one(netbench, validator, name, args, must_succeed):
    cmd = [netbench, *args, "--json"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return None, [f"timed out after {TIMEOUT_S} s: {' '.join(cmd)}"]
    errors = []
    if must_succeed and proc.returncode != 0:
        errors.append(f"exit status {proc.returncode}, expected 0; stderr: {proc.stderr.strip()}")
    if not must_succeed and proc.returncode == 0:
        errors.append("exit status 0, expected a failure")
    try:
        doc = json.loads(proc.stdout, parse_constant=reject_constant)
    except ValueError as e:
        errors.append(f"stdout is not one JSON document ({e}): {proc.stdout[:200]!r}")
        return None, errors
    errors += problems_of(validator, doc)
    if must_succeed and "run" not in doc:
        errors.append("no 'run' in the document of a run that succeeded")
    if not must_succeed and "error" not in doc:
        errors.append("no 'error' in the document of a run that failed")
    return doc, errors


def negative_controls(validator, doc):
    """The schema must catch real mistakes, not accept everything."""
    broken = []
    d = copy.deepcopy(doc)
    d["run"]["sender"]["surprise"] = 1
    broken.append(("unknown key in run.sender", d))
    d = copy.deepcopy(doc)
    del d["run"]["receiver"]["loss"]
    broken.append(("missing run.receiver.loss", d))
    d = copy.deepcopy(doc)
    d["run"]["measured_ns"] = -1
    broken.append(("negative run.measured_ns", d))
    d = copy.deepcopy(doc)
    d["run"]["latency"]["from_actual_send"]["p99_ns"] = "12"
    broken.append(("string for a latency", d))
    d = copy.deepcopy(doc)
    d["run"]["latency"]["from_intended_send"]["histogram_base64"] += "*"
    broken.append(("histogram not base64", d))
    d = copy.deepcopy(doc)
    del d["run"]
    broken.append(("neither run nor error", d))
    d = copy.deepcopy(doc)
    del d["run"]["latency"]["delay_variation"]
    broken.append(("stream without delay_variation", d))
    return [f"schema accepts a broken document: {what}" for what, d in broken if validator.is_valid(d)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--netbench", required=True, help="path of the netbench binary")
    parser.add_argument("--schema", required=True, help="path of netbench.schema.json")
    a = parser.parse_args()

    with open(a.schema, encoding="utf-8") as f:
        schema = json.load(f)
    try:
        jsonschema.Draft7Validator.check_schema(schema)
    except jsonschema.exceptions.SchemaError as e:
        sys.exit(f"validate_json.py: {a.schema} is not a valid draft-07 schema: {e.message}")
    validator = jsonschema.Draft7Validator(schema)

    failures = 0
    stream_doc = None
    for name, args, must_succeed in RUNS:
        doc, errors = run_one(a.netbench, validator, name, args, must_succeed)
        shown = " ".join(args)
        if errors:
            failures += 1
            print(f"FAIL {name}: netbench {shown} --json", file=sys.stderr)
            for e in errors:
                print(f"  {e}", file=sys.stderr)
        else:
            print(f"ok   {name}: netbench {shown} --json")
        if doc is not None and not errors and name == "udp stream":
            stream_doc = doc

    if stream_doc is not None:
        for e in negative_controls(validator, stream_doc):
            failures += 1
            print(f"FAIL {e}", file=sys.stderr)

    if failures:
        print(f"{failures} problem(s): netbench's JSON does not match {a.schema}", file=sys.stderr)
        return 1
    print(f"all {len(RUNS)} documents match {a.schema}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
