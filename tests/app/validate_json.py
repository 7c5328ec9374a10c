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
import os
import signal
import subprocess
import sys
import tempfile
import time

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
    ("tcp connect thread", ["--proto", "tcp", "--mode", "connect", "--model", "thread",
                            "--count", "100", "--outstanding", "2"], True),
    ("tcp connect rst open", ["--proto", "tcp", "--mode", "connect", "--close", "rst",
                              "--rate", "2k", "--count", "100"], True),
    ("udp connect", ["--proto", "udp", "--mode", "connect", "--model", "poll", "--count", "100"],
     True),
    ("tcp connect counts", ["--proto", "tcp", "--mode", "connect", "--stats", "counts",
                            "--count", "100"], True),
    ("tcp connect uring, --probe", ["--proto", "tcp", "--mode", "connect", "--model", "uring",
                                    "--rate", "2k", "--duration", "1s", "--probe", "20"], True),
    ("udp multicast fan-out, 3 receivers",
     ["--proto", "udp", "--receivers", "3", "--multicast", "239.77.0.2", "--flows", "2",
      "--count", "400"], True),
    ("udp broadcast fan-out, 2 receivers, poll",
     ["--proto", "udp", "--receivers", "2", "--broadcast", "--model", "poll", "--count", "200"],
     True),
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
    (
        "udp stream, --stats counts (loss and delay null), pinned",
        ["--proto", "udp", "--stats", "counts", "--cpu", "0", "--count", "300"],
        True,
    ),
    (
        "tcp echo, --stats counts (latency null), no TCP_NODELAY",
        ["--proto", "tcp", "--mode", "echo", "--stats", "counts", "--no-nodelay", "--count", "200"],
        True,
    ),
    (
        "udp stream, --repeat 3 (a repeated document)",
        ["--proto", "udp", "--count", "200", "--repeat", "3", "--seed", "1"],
        True,
    ),
    (
        "tcp echo, --repeat auto, --stats counts (no pooled latency)",
        ["--proto", "tcp", "--mode", "echo", "--count", "100", "--repeat", "auto",
         "--ci-width", "50%", "--stats", "counts"],
        True,
    ),
    (
        "udp stream, 100 flows (auto: a flow summary, no flow listed)",
        ["--proto", "udp", "--flows", "100", "--count", "1000"],
        True,
    ),
    (
        "udp stream, 100 flows, --per-flow full",
        ["--proto", "udp", "--flows", "100", "--count", "1000", "--per-flow", "full"],
        True,
    ),
    (
        "tcp echo, 3 flows, --per-flow none",
        ["--proto", "tcp", "--mode", "echo", "--flows", "3", "--count", "300", "--per-flow", "none"],
        True,
    ),
    (
        "udp echo, 2 flows, --per-flow summary, --stats counts",
        ["--proto", "udp", "--mode", "echo", "--flows", "2", "--count", "200", "--per-flow",
         "summary", "--stats", "counts"],
        True,
    ),
    (
        "tcp socket knobs",
        ["--duration", "200ms", "--congestion", "reno", "--dscp", "8", "--mss", "1000",
         "--fq-rate", "10G"],
        True,
    ),
    ("udp --tos", ["--proto", "udp", "--count", "200", "--rate", "20k", "--tos", "0x20"],
     True),
    ("--probe, --cport, --bind-dev",
     ["--duration", "1s", "--probe", "20", "--cport", "62999", "--bind-dev", "lo"], True),
    ("--zerocopy, --skip-rx-copy",
     ["--count", "300", "--size", "64KiB", "--zerocopy", "--skip-rx-copy"], True),
    ("udp --zerocopy --gso", ["--proto", "udp", "--count", "300", "--rate", "20k", "--gso",
                              "--zerocopy"], True),
    ("tcp --reverse", ["-R", "--count", "300", "--flows", "2"], True),
    ("udp echo --bidir", ["--bidir", "--proto", "udp", "--mode", "echo", "--count", "200",
                          "--rate", "20k"], True),
    ("bad --congestion", ["--congestion", "no_such_cc"], False),
    ("bad --repeat", ["--repeat", "0"], False),
    ("bad protocol", ["--proto", "sctp"], False),
    ("unavailable CPU", ["--cpu", "1023"], False),
]

# Sweeps: (name, arguments after `netbench sweep`, expected exit status).
SWEEPS = [
    (
        "sweep tcp,udp x poll,epoll x 1,2 flows",
        ["--proto", "tcp,udp", "--model", "poll,epoll", "--flows", "1,2", "--count", "200",
         "--rate", "20k", "--buffer", "4MiB"],
        0,
    ),
    (
        "sweep stream,echo x 2 sizes x 2 bitrates",
        ["--proto", "udp", "--mode", "stream,echo", "--size", "64,512", "--bitrate", "0,20M",
         "--count", "100"],
        0,
    ),
    (
        "sweep with a failing point (select beyond FD_SETSIZE)",
        ["--proto", "tcp", "--model", "select", "--flows", "2,2000", "--count", "2000"],
        4,
    ),
    (
        "sweep --repeat 2, interleaved",
        ["--proto", "tcp,udp", "--model", "poll,epoll", "--count", "100", "--repeat", "2",
         "--seed", "3"],
        0,
    ),
    (
        "sweep --direction forward,reverse,bidir",
        ["--proto", "udp", "--direction", "forward,reverse,bidir", "--count", "100", "--rate",
         "20k"],
        0,
    ),
    ("sweep with a bad list", ["--proto", "tcp,sctp"], 2),
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


def run_objects(doc):
    """Every run object of a document: single, repeated, or a sweep's."""
    def of(holder):
        if "run" in holder:
            yield holder["run"]
        if "repeated" in holder:
            yield from holder["repeated"]["repetitions"]

    yield from of(doc)
    for entry in doc.get("runs", []):
        yield from of(entry)


def per_flow_consistency(doc):
    """What the schema leaves optional (older documents lack them) is always
    written now: config.per_flow and flow_summary, listing what it says."""
    out = []
    for run in run_objects(doc):
        config, fs = run["config"], run.get("flow_summary", "absent")
        if "per_flow" not in config or fs == "absent":
            out.append("a run without config.per_flow or flow_summary")
            continue
        per_flow = config["per_flow"]
        if per_flow == "auto":
            per_flow = "full" if config["flows"] <= 64 else "summary"
        if (fs is None) != (per_flow == "none"):
            out.append(f"flow_summary {'null' if fs is None else 'present'} under {per_flow}")
            continue
        if fs is None:
            continue
        if fs["listed"] != (per_flow == "full"):
            out.append(f"flow_summary.listed {fs['listed']} under --per-flow {per_flow}")
        if fs["listed"] and run["complete"] and len(run["sender"]["flows"]) != config["flows"]:
            out.append(f"listed, but {len(run['sender']['flows'])} of {config['flows']} flows")
        if run["complete"] and fs["flows"] != config["flows"]:
            out.append(f"flow_summary.flows {fs['flows']}, config.flows {config['flows']}")
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
    errors += problems_of(validator, doc) + per_flow_consistency(doc)
    if must_succeed and "run" not in doc and "repeated" not in doc:
        errors.append("no 'run' (or 'repeated') in the document of a run that succeeded")
    if not must_succeed and "error" not in doc:
        errors.append("no 'error' in the document of a run that failed")
    return doc, errors


def sweep_consistency(doc):
    """What the schema cannot say: counts agree with the entries."""
    if "sweep" not in doc:
        return []
    out = []
    sweep, runs = doc["sweep"], doc["runs"]
    points = [e["point"] for e in runs]
    if points != sorted(set(points)) or any(p >= sweep["points"] for p in points):
        out.append(f"runs[].point not increasing and below sweep.points: {points}")
    def complete(e):
        if "run" in e:
            return e["run"]["complete"]
        return "repeated" in e and e["repeated"]["complete"]

    completed = sum(1 for e in runs if complete(e))
    if completed != sweep["completed"]:
        out.append(f"sweep.completed {sweep['completed']} but {completed} complete runs")
    # The point running at SIGINT keeps its partial run: neither completed nor failed.
    stopped = sum(1 for e in runs if e.get("error", "").startswith("interrupted by "))
    failed = sum(1 for e in runs if "config" in e or not complete(e)) - stopped
    if failed != sweep["failed"]:
        out.append(f"sweep.failed {sweep['failed']} but {failed} failed entries")
    if stopped > (1 if sweep["interrupted"] else 0):
        out.append(f"{stopped} points stopped by a signal")
    if sweep["interrupted"] != ("error" in doc):
        out.append("a sweep has a top-level error exactly when it was interrupted")
    return out


def run_sweep(netbench, validator, name, args, want_status):
    cmd = [netbench, "sweep", *args, "-q", "--json"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return None, [f"timed out after {TIMEOUT_S} s: {' '.join(cmd)}"]
    errors = []
    if proc.returncode != want_status:
        errors.append(
            f"exit status {proc.returncode}, expected {want_status}; stderr: {proc.stderr.strip()}"
        )
    try:
        doc = json.loads(proc.stdout, parse_constant=reject_constant)
    except ValueError as e:
        errors.append(f"stdout is not one JSON document ({e}): {proc.stdout[:200]!r}")
        return None, errors
    errors += problems_of(validator, doc)
    if want_status == 2:
        if "error" not in doc or "sweep" in doc:
            errors.append("a sweep with bad flags must give an error document")
    else:
        errors += sweep_consistency(doc) + per_flow_consistency(doc)
        sweep = doc.get("sweep", {})
        if sweep.get("completed", 0) + sweep.get("failed", 0) != sweep.get("points", -1):
            errors.append(f"a sweep that ran to the end must account for every point: {sweep}")
    return doc, errors


def interrupted_sweep(netbench, validator, path):
    """SIGINT mid-sweep: the file left behind is valid and says so."""
    cmd = [netbench, "sweep", "--proto", "tcp", "--model", "poll,epoll", "--flows", "1,2",
           "--duration", "1s", "-q", "-o", path]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        return None, [f"did not end within {TIMEOUT_S} s of SIGINT: {' '.join(cmd)}"]
    errors = []
    if proc.returncode != 5:
        errors.append(f"exit status {proc.returncode}, expected 5; stderr: {err.strip()}")
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f, parse_constant=reject_constant)
    except (OSError, ValueError) as e:
        return None, errors + [f"no valid document in {path}: {e}"]
    errors += problems_of(validator, doc) + sweep_consistency(doc)
    if not doc["sweep"]["interrupted"] or doc["sweep"]["completed"] >= doc["sweep"]["points"]:
        errors.append(f"expected an interrupted, unfinished sweep: {doc['sweep']}")
    return doc, errors


def sweep_negative_controls(validator, doc):
    """The sweep part of the schema must catch real mistakes too."""
    broken = []
    d = copy.deepcopy(doc)
    d["run"] = d["runs"][0]["run"]
    broken.append(("a sweep with a top-level run", d))
    d = copy.deepcopy(doc)
    del d["sweep"]["matrix"]
    broken.append(("sweep without matrix", d))
    d = copy.deepcopy(doc)
    del d["runs"][0]["point"]
    broken.append(("sweep entry without point", d))
    d = copy.deepcopy(doc)
    d["runs"][0]["config"] = d["runs"][0]["run"]["config"]
    broken.append(("sweep entry with both run and config", d))
    d = copy.deepcopy(doc)
    d["runs"][0] = {"point": 0, "config": d["runs"][0]["run"]["config"]}
    broken.append(("failed sweep entry without error", d))
    d = copy.deepcopy(doc)
    d["sweep"]["matrix"]["bitrate_bps"] = [1e6]
    broken.append(("sweep matrix with both rates and bitrates", d))
    d = copy.deepcopy(doc)
    d["sweep"]["matrix"]["model"] = ["kqueue"]
    broken.append(("sweep matrix with an unknown model", d))
    return [f"schema accepts a broken document: {what}" for what, d in broken if validator.is_valid(d)]


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
    d = copy.deepcopy(doc)
    d["run"]["flow_summary"]["listed"] = False
    broken.append(("flows listed although flow_summary.listed is false", d))
    d = copy.deepcopy(doc)
    d["run"]["flow_summary"] = None
    broken.append(("flows listed under --per-flow none", d))
    d = copy.deepcopy(doc)
    del d["run"]["flow_summary"]["jain_fairness"]
    broken.append(("flow_summary without jain_fairness", d))
    d = copy.deepcopy(doc)
    d["run"]["flow_summary"]["throughput_bps"]["p5"] = -1
    broken.append(("negative per-flow throughput", d))
    d = copy.deepcopy(doc)
    d["run"]["flow_summary"]["slowest_flows"] = list(range(6))
    broken.append(("six slowest flows", d))
    d = copy.deepcopy(doc)
    d["run"]["config"]["per_flow"] = "some"
    broken.append(("unknown config.per_flow", d))
    return [f"schema accepts a broken document: {what}" for what, d in broken if validator.is_valid(d)]


def report(name, shown, errors):
    if errors:
        print(f"FAIL {name}: {shown}", file=sys.stderr)
        for e in errors:
            print(f"  {e}", file=sys.stderr)
    else:
        print(f"ok   {name}: {shown}")


def repeated_negative_controls(validator, doc):
    """The repeated part of the schema must catch real mistakes too."""
    broken = []
    d = copy.deepcopy(doc)
    d["run"] = d["repeated"]["repetitions"][0]
    broken.append(("a repeated document with a top-level run", d))
    d = copy.deepcopy(doc)
    del d["repeated"]["aggregates"]["receiver_messages_per_s"]["median_ci"]
    broken.append(("aggregate without median_ci", d))
    d = copy.deepcopy(doc)
    d["repeated"]["repetitions"] = []
    broken.append(("repeated without repetitions", d))
    d = copy.deepcopy(doc)
    del d["repeated"]["repetitions"][0]["warnings"]
    broken.append(("repetition without warnings", d))
    d = copy.deepcopy(doc)
    d["repeated"]["repeat"] = 1
    broken.append(("repeat 1", d))
    return [f"schema accepted: {what}" for what, bad in broken if validator.is_valid(bad)]


def fleet_check(netbench, validator, tmp):
    """Three runs (with one common --start-at) merged by `netbench merge`:
    the fleet document must match the schema, and the schema must refuse
    broken fleets. Returns the errors."""
    import time

    start = f"{time.time() + 0.5:.3f}"
    paths = []
    for i in range(3):
        path = os.path.join(tmp, f"fleet{i}.json")
        cmd = [netbench, "--proto", "udp", "--count", "200", "--start-at", start,
               "-q", "-o", path]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S)
        if proc.returncode != 0:
            return [f"{' '.join(cmd)}: exit {proc.returncode}: {proc.stderr.strip()}"]
        paths.append(path)
    proc = subprocess.run([netbench, "merge", *paths, "--json"], capture_output=True, text=True,
                          timeout=TIMEOUT_S)
    if proc.returncode != 0:
        return [f"netbench merge: exit {proc.returncode}: {proc.stderr.strip()}"]
    doc = json.loads(proc.stdout, parse_constant=reject_constant)
    errors = problems_of(validator, doc)
    for path in paths:
        with open(path, encoding="utf-8") as f:
            run = json.load(f)
        errors += problems_of(validator, run)
        if run["run"]["start"] is None or run["run"]["start"]["requested_unix_ns"] == 0:
            errors.append(f"{path}: no run.start although --start-at was given")
    if not errors and doc["fleet"]["sender"]["messages"] != 600:
        errors.append(f"merged sender.messages {doc['fleet']['sender']['messages']}, not 600")
    broken = []
    d = copy.deepcopy(doc)
    d["run"] = d["fleet"]["per_run"][0]["run"]
    broken.append(("a fleet document with a top-level run", d))
    d = copy.deepcopy(doc)
    d["fleet"]["per_run"] = d["fleet"]["per_run"][:1]
    broken.append(("a fleet of one run", d))
    d = copy.deepcopy(doc)
    d["fleet"]["receiver"]["lost"] = -1
    broken.append(("negative fleet.receiver.lost", d))
    d = copy.deepcopy(doc)
    del d["fleet"]["spread"]["jain_fairness"]
    broken.append(("fleet.spread without jain_fairness", d))
    errors += [f"schema accepts a broken document: {what}" for what, d in broken
               if validator.is_valid(d)]
    return errors


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
        if doc is not None and not errors and name.startswith("udp stream, --repeat 3"):
            for e in repeated_negative_controls(validator, doc):
                failures += 1
                print(f"FAIL {e}", file=sys.stderr)

    if stream_doc is not None:
        for e in negative_controls(validator, stream_doc):
            failures += 1
            print(f"FAIL {e}", file=sys.stderr)

    sweep_doc = None
    for name, args, want_status in SWEEPS:
        doc, errors = run_sweep(a.netbench, validator, name, args, want_status)
        report(name, "netbench sweep " + " ".join(args) + " -q --json", errors)
        failures += bool(errors)
        if doc is not None and not errors and want_status == 0 and sweep_doc is None:
            sweep_doc = doc
    with tempfile.TemporaryDirectory() as tmp:
        doc, errors = interrupted_sweep(a.netbench, validator, os.path.join(tmp, "sweep.json"))
        report("sweep interrupted by SIGINT", "netbench sweep ... -o FILE, then SIGINT", errors)
        failures += bool(errors)
    if sweep_doc is not None:
        for e in sweep_negative_controls(validator, sweep_doc):
            failures += 1
            print(f"FAIL {e}", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        errors = fleet_check(a.netbench, validator, tmp)
        report("fleet", "3 runs with --start-at, then netbench merge --json", errors)
        failures += bool(errors)

    if failures:
        print(f"{failures} problem(s): netbench's JSON does not match {a.schema}", file=sys.stderr)
        return 1
    print(f"all {len(RUNS) + len(SWEEPS) + 2} documents match {a.schema}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
