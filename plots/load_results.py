"""Reads netbench and Google Benchmark JSON documents into flat records.

A netbench document (docs/schema.md) is either a single run ({"run": ...})
or a sweep ({"sweep": ..., "runs": [{"point": i, "run": ...} or
{"point": i, "config": ..., "error": ...}]}). Every run that completed
becomes one record: a plain dict of its configuration and the figures the
charts use, with units in the key names as in the schema. Failed points and
incomplete runs are counted, not returned.

A Google Benchmark document ({"context": ..., "benchmarks": [...]}, from
--benchmark_format=json) of bench/bench_models becomes one record per
benchmark run named BM_<Kind>/<proto>/<model>/<flows>.

Standard library only, so that check_plots.py can use it without matplotlib.
"""

import json

# Configuration fields that may vary between runs besides proto, model,
# flows and size: each becomes part of a chart's title, or splits a chart
# into one figure per value when it varies.
CONFIG_FIELDS = (
    "host",
    "mode",
    "length",
    "rate_msgs_per_s",
    "pattern",
    "threads",
    "outstanding",
    "batch",
    "socket_buffer_bytes",
    "warmup_ns",
    "family",
)


class Inputs:
    """Everything read from the input files."""

    def __init__(self):
        self.runs = []  # netbench run records
        self.bench = []  # Google Benchmark records
        self.hosts = {}  # hostname -> host object (cpus, kernel, machine)
        self.skipped = []  # one line per point (or part of a sweep) that could not be used
        self.fleets = []  # (path, fleet object) of `netbench merge` documents


def load(paths):
    """Reads every file in `paths`; raises ValueError naming a bad file."""
    inputs = Inputs()
    for path in paths:
        try:
            with open(path, encoding="utf-8") as f:
                doc = json.load(f)
        except (OSError, ValueError) as e:
            raise ValueError(f"{path}: cannot read JSON: {e}") from e
        if not isinstance(doc, dict):
            raise ValueError(f"{path}: not a JSON object")
        if "benchmarks" in doc:
            _add_bench(inputs, path, doc)
        elif doc.get("schema") == "netbench/1":
            _add_netbench(inputs, path, doc)
        else:
            raise ValueError(f"{path}: neither a netbench/1 document nor Google Benchmark JSON")
    return inputs


def _add_netbench(inputs, path, doc):
    host = doc.get("host", {})
    hostname = host.get("hostname", "?")
    inputs.hosts.setdefault(hostname, host)
    if "fleet" in doc:
        inputs.fleets.append((path, doc["fleet"]))
        return
    if "runs" in doc:
        entries = doc["runs"]
        _note_unfinished(inputs, path, doc)
    elif "run" in doc:
        entries = [{"point": 0, "run": doc["run"]}]
    elif "repeated" in doc:
        entries = [{"point": 0, "repeated": doc["repeated"]}]
    else:
        inputs.skipped.append(f"skipped {path}: no run ({doc.get('error', 'no error given')})")
        return
    # --repeat: each repetition is a record; charts take the median and its CI.
    expanded = []
    for entry in entries:
        if "repeated" in entry:
            for rep in entry["repeated"].get("repetitions", []):
                expanded.append({"point": entry.get("point", 0), "run": rep})
        else:
            expanded.append(entry)
    for entry in expanded:
        where = f"{path} point {entry.get('point', '?')}"
        run = entry.get("run")
        if run is None:
            inputs.skipped.append(f"skipped {where}: failed: {entry.get('error', '?')}")
        elif not run.get("complete", True):
            inputs.skipped.append(f"skipped {where}: incomplete: {run.get('error', '?')}")
        elif run["config"].get("direction", "forward") != "forward":
            # The charts compare models on forward runs; a reverse run (or a
            # bidir one, two tests at once) would share their points.
            inputs.skipped.append(
                f"skipped {where}: --direction {run['config']['direction']} is not charted")
        else:
            try:
                inputs.runs.append(run_record(run, hostname))
            except (KeyError, TypeError) as e:
                inputs.skipped.append(f"skipped {where}: missing field {e}")


def _note_unfinished(inputs, path, doc):
    """Says so when a sweep document lacks points: interrupted, crashed or still running."""
    sweep = doc.get("sweep", {})
    done = sweep.get("completed", 0) + sweep.get("failed", 0)
    if doc.get("error"):
        inputs.skipped.append(f"{path}: the sweep ended early ({doc['error']})")
    elif done < sweep.get("points", 0):
        inputs.skipped.append(f"{path}: {done} of {sweep['points']} points done (running or crashed)")


def run_record(run, hostname):
    """One completed netbench run as a flat record."""
    c = run["config"]
    rx = run["receiver"]
    # --stats counts: latency and loss are null (not measured).
    latency = run.get("latency") or {}
    lat = latency.get("from_actual_send") or {"count": 0, "p50_ns": None, "p99_ns": None}
    return {
        "host": hostname,
        "proto": c["proto"],
        "model": c["model"],
        "mode": c["mode"],
        "flows": c["flows"],
        "size_bytes": c["size_bytes"],
        "rate_msgs_per_s": c.get("rate_msgs_per_s", 0),
        "length": _run_length(c),
        "pattern": c.get("pattern", "constant"),
        "threads": c.get("threads", 1),
        "outstanding": c.get("outstanding", 1),
        "batch": c.get("batch", 1),
        "socket_buffer_bytes": c.get("socket_buffer_bytes", 0),
        "warmup_ns": c.get("warmup_ns", 0),
        "family": c.get("family", "any"),
        "received_bps": rx["throughput_bps"],
        "received_msgs_per_s": rx["messages_per_s"],
        "loss_ratio": (rx.get("loss") or {}).get("ratio"),
        # null against a plain echo server (not measured)
        "server_cpu_per_msg_ns": (rx.get("cost") or {}).get("cpu_per_message_ns"),
        # Jain's fairness index of per-flow throughput (documents since --per-flow)
        "jain": (run.get("flow_summary") or {}).get("jain_fairness"),
        "latency_kind": latency.get("kind"),
        "latency_count": lat["count"],
        "p50_ns": lat["p50_ns"],
        "p99_ns": lat["p99_ns"],
        # --mode connect: transactions/s and the p99 of connect latency (until
        # established; a UDP socket's connect()), null in other modes
        "transactions_per_s": (run.get("connect") or {}).get("transactions_per_s"),
        "connect_p99_ns": ((run.get("connect") or {}).get("connect_latency") or {}).get("p99_ns"),
        # fan-out (--receivers): each receiver's loss ratio in receiver order,
        # and multicast or broadcast; None without fan-out
        "fanout_loss": [((rx.get("receiver") or {}).get("loss") or {}).get("ratio")
                        for rx in (run.get("fanout") or {}).get("receivers", [])] or None,
        "fanout_method": (c.get("fanout") or {}).get("method"),
    }


def _run_length(config):
    """How long each run was: '250 ms' or '100000 msgs'."""
    if config.get("count_messages"):
        return f"{config['count_messages']} msgs"
    return f"{config.get('duration_ns', 0) / 1e6:g} ms"


def _add_bench(inputs, path, doc):
    ctx = doc.get("context", {})
    hostname = ctx.get("host_name", "?")
    inputs.hosts.setdefault(hostname, {"hostname": hostname, "cpus": ctx.get("num_cpus", "?")})
    for b in doc["benchmarks"]:
        if b.get("run_type", "iteration") != "iteration" or b.get("error_occurred"):
            continue
        rec = bench_record(b.get("run_name", b.get("name", "")), b)
        if rec is None:
            continue
        rec["host"] = hostname
        rec["date"] = ctx.get("date", "")
        rec["load_avg"] = " ".join(f"{x:.2f}" for x in ctx.get("load_avg", [])) or "?"
        inputs.bench.append(rec)


def bench_record(name, b):
    """A BM_<Kind>/<proto>/<model>/<flows>[/...] benchmark as a record, else None."""
    parts = name.split("/")
    if len(parts) < 4 or not parts[0].startswith("BM_") or not parts[3].isdigit():
        return None
    if "msgs_per_s" not in b:
        return None
    return {
        "kind": parts[0][3:],
        "proto": parts[1],
        "model": parts[2],
        "flows": int(parts[3]),
        "label": b.get("label", ""),
        "msgs_per_s": b["msgs_per_s"],
        "server_cpu_ns_per_msg": b.get("server_cpu_ns_per_msg", 0),
    }
