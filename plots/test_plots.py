#!/usr/bin/python3
"""Tests of the chart scripts: the statistics, the chart plan, and plot.py's
drawing as check_plots.py checks it. scripts/ci_sweep.sh runs them:

  /usr/bin/python3 -m unittest discover -s plots -p 'test_*.py'

The drawing tests need matplotlib (Debian's python3-matplotlib) and are
skipped without it; the rest is standard library only.
"""

import contextlib
import importlib.util
import io
import itertools
import json
import math
import os
import random
import re
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import charts  # noqa: E402
import check_plots  # noqa: E402
import fleet_chart  # noqa: E402
import load_results  # noqa: E402

HAVE_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None

MODEL_SPEED = {"thread": 1.0, "select": 1.5, "poll": 2.0, "epoll": 3.0}


def run(proto, model, mode, flows, rep, rate=0, spread=0.01):
    """A completed netbench run as the schema has it; faster models have a
    higher throughput, a lower CPU cost and a lower latency."""
    speed = MODEL_SPEED[model] * (1 + spread * rep)
    size = 64 if mode == "echo" else (131072 if proto == "tcp" and not rate else 1400)
    msgs = 10000 * speed * (1 + math.log2(flows))
    return {
        "complete": True,
        "config": {"proto": proto, "model": model, "mode": mode, "flows": flows,
                   "size_bytes": size, "rate_msgs_per_s": rate, "duration_ns": 400_000_000},
        "receiver": {
            "throughput_bps": msgs * size * 8,
            "messages_per_s": msgs,
            "loss": {"ratio": 0.01 * rep / speed} if proto == "udp" else {"ratio": 0.0},
            "cost": {"cpu_per_message_ns": 5000 / speed},
        },
        "latency": {"kind": "rtt" if mode == "echo" else "one_way_delay",
                    "from_actual_send": {"count": 100, "p50_ns": 50_000 / speed,
                                         "p99_ns": 90_000 / speed}},
    }


def sweep(reps, models=("select", "epoll"), flows=(1, 16), rates=(0,), modes=("stream", "echo")):
    """A netbench/1 sweep document over proto x model x flows x mode x rate."""
    entries = []
    for i, (proto, model, mode, f, rate) in enumerate(
            itertools.product(("tcp", "udp"), models, modes, flows, rates)):
        runs = [run(proto, model, mode, f, k, rate) for k in range(reps)]
        if reps == 1:
            entries.append({"point": i, "run": runs[0]})
        else:
            entries.append({"point": i, "repeated": {"repetitions": runs}})
    return {"schema": "netbench/1", "host": {"hostname": "test", "cpus": 2},
            "sweep": {"points": len(entries), "completed": len(entries), "failed": 0},
            "runs": entries}


def plan_of(*docs):
    """charts.plan of documents written to a temporary directory."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for k, doc in enumerate(docs):
            paths.append(os.path.join(tmp, f"doc{k}.json"))
            with open(paths[-1], "w", encoding="utf-8") as f:
                json.dump(doc, f)
        return charts.plan(load_results.load(paths))


class Statistics(unittest.TestCase):
    def test_median_ci(self):
        self.assertEqual(charts.median_ci([5.0]), (5.0, 5.0))
        self.assertEqual(charts.median_ci([3.0, 1.0, 2.0]), (1.0, 3.0))  # min-max below n=6
        # n=10: l=2 covers 1 - 2 (1 + 10)/1024 = 97.9%, l=3 only 89.1%.
        self.assertEqual(charts.median_ci(list(range(1, 11))), (2, 9))

    def test_u_null_counts_against_enumeration(self):
        for m, n in ((1, 1), (2, 3), (3, 3), (4, 2), (5, 4)):
            counts = [0] * (m * n + 1)
            for first in itertools.combinations(range(m + n), m):
                others = [v for v in range(m + n) if v not in first]
                counts[sum(1 for a in first for b in others if a > b)] += 1
            self.assertEqual(charts.u_null_counts(m, n), counts, (m, n))

    def test_exact_p_values(self):
        self.assertAlmostEqual(charts.mann_whitney_p([1, 2, 3], [4, 5, 6]), 0.1)
        self.assertAlmostEqual(charts.mann_whitney_p([5, 6, 7, 8], [1, 2, 3, 4]), 2 / 70)
        self.assertAlmostEqual(charts.u_test_min_p(3, 3), 0.1)
        self.assertAlmostEqual(charts.u_test_min_p(4, 4), 2 / 70)
        self.assertEqual(charts.mann_whitney_p([1, 4], [2, 3]), 1.0)
        self.assertEqual(charts.mann_whitney_p([], [1, 2]), 1.0)

    def test_ties_use_the_normal_approximation(self):
        # Ranks 1, 3, 3, 5.5 for a: U = 12.5 - 10 = 2.5 of 16 pairs; ties of
        # three 2s and two 3s: 24 + 6 = 30. scipy.stats.mannwhitneyu
        # (method="asymptotic", use_continuity=True) gives 0.1366582477.
        a, b = [1, 2, 2, 3], [2, 3, 4, 5]
        u, pairs, n = 2.5, 16, 8
        variance = pairs / 12 * ((n + 1) - 30 / (n * (n - 1)))
        z = (max(u, pairs - u) - pairs / 2 - 0.5) / math.sqrt(variance)
        self.assertAlmostEqual(charts.mann_whitney_p(a, b), math.erfc(z / math.sqrt(2)))
        self.assertAlmostEqual(charts.mann_whitney_p(a, b), 0.1366582477, places=9)
        self.assertEqual(charts.mann_whitney_p([2, 2], [2, 2, 2]), 1.0)

    def test_p_is_symmetric_and_bounded(self):
        rng = random.Random(7)
        for _ in range(50):
            a = [rng.gauss(0, 1) for _ in range(rng.randint(1, 9))]
            b = [rng.gauss(0.5, 1) for _ in range(rng.randint(1, 9))]
            p = charts.mann_whitney_p(a, b)
            self.assertAlmostEqual(p, charts.mann_whitney_p(b, a))
            self.assertTrue(0 < p <= 1)


class Plan(unittest.TestCase):
    def test_repeated_runs_give_every_point_an_error_bar(self):
        figures, _ = plan_of(sweep(reps=4))
        self.assertEqual(check_plots.check_error_bars(figures, require=True), [])
        for fig in figures:
            for panel in fig.panels:
                for s in panel.series:
                    self.assertEqual(s.counts, [4] * len(s.points), (fig.name, s.label))
            if not fig.name.startswith("best_model"):
                self.assertIn("error bars", fig.title)

    def test_single_runs_say_no_ci(self):
        figures, _ = plan_of(sweep(reps=1))
        for fig in figures:
            if fig.name.startswith("best_model"):
                self.assertIn("not tested", fig.title)
            else:
                self.assertIn("no CI", fig.title, fig.name)
            for panel in fig.panels:
                for s in panel.series:
                    self.assertEqual(s.errors, [])
        self.assertEqual(check_plots.check_error_bars(figures, require=False), [])
        self.assertNotEqual(check_plots.check_error_bars(figures, require=True), [])

    def test_rate_chart_has_error_bars_except_on_the_offered_line(self):
        figures, _ = plan_of(sweep(reps=3, models=("epoll",), flows=(1,), rates=(1000, 2000),
                                   modes=("stream",)))
        rate = [f for f in figures if f.name.startswith("loss_goodput_vs_rate")]
        self.assertEqual(len(rate), 1)
        series = [s for p in rate[0].panels for s in p.series]
        self.assertTrue(all(s.errors for s in series if not s.reference))
        self.assertEqual([s.label for s in series if s.reference], ["offered"])

    def test_one_way_delay_and_rtt_are_separate_charts(self):
        names = [f.name for f in plan_of(sweep(reps=1))[0]]
        self.assertIn("latency_vs_flows_stream", names)
        self.assertIn("latency_vs_flows_echo", names)
        self.assertNotIn("latency_vs_flows", names)
        only_echo = [f.name for f in plan_of(sweep(reps=1, modes=("echo",)))[0]]
        self.assertIn("latency_vs_flows_echo", only_echo)
        self.assertNotIn("latency_vs_flows_stream", only_echo)

    def test_connect_chart_puts_transactions_against_flows_times_outstanding(self):
        entries = []
        for model, speed in (("thread", 1.0), ("epoll", 4.0)):
            for flows, outstanding in ((1, 1), (4, 1), (1, 4), (4, 4)):
                reps = []
                for k in range(3):
                    r = run("tcp", "epoll", "echo", flows, k)
                    r["config"].update(model=model, mode="connect", outstanding=outstanding)
                    r["connect"] = {"transactions_per_s": 1000 * speed * flows * outstanding + k,
                                    "connect_latency": {"p99_ns": 100_000 / speed}}
                    reps.append(r)
                entries.append({"point": len(entries), "repeated": {"repetitions": reps}})
        doc = {"schema": "netbench/1", "host": {"hostname": "test", "cpus": 2},
               "sweep": {"points": len(entries), "completed": len(entries), "failed": 0},
               "runs": entries}
        figures, _ = plan_of(doc)
        (fig,) = [f for f in figures if f.name.startswith("connect_vs_concurrency")]
        rate, latency = fig.panels
        # A line per model and outstanding, so 4 flows x 1 and 1 flow x 4 stay apart.
        self.assertEqual([s.label for s in rate.series],
                         ["thread, 1 in flight per flow", "thread, 4 in flight per flow",
                          "epoll, 1 in flight per flow", "epoll, 4 in flight per flow"])
        epoll4 = rate.series[3]
        self.assertEqual([x for x, _ in epoll4.points], [4, 16])
        self.assertEqual([y for _, y in epoll4.points], [16001, 64001])
        self.assertTrue(all(s.errors for s in rate.series))
        self.assertEqual(len([s for s in latency.series if "connect p99" in s.label]), 4)
        self.assertEqual(len([s for s in latency.series if "transaction p99" in s.label]), 4)

    def test_fanout_chart_puts_each_receivers_loss_on_its_own_x(self):
        entries = []
        for k in range(3):
            r = run("udp", "epoll", "stream", 1, k)
            r["config"]["fanout"] = {"method": "multicast", "group": "239.1.2.3", "receivers": 3,
                                     "receiver_devices": []}
            r["fanout"] = {"receivers": [{"receiver": {"loss": {"ratio": v}}}
                                         for v in (0.0, 0.05 + 0.001 * k, 0.0)]}
            entries.append(r)
        doc = {"schema": "netbench/1", "host": {"hostname": "test", "cpus": 2},
               "sweep": {"points": 1, "completed": 1, "failed": 0},
               "runs": [{"point": 0, "repeated": {"repetitions": entries}}]}
        figures, _ = plan_of(doc)
        (fig,) = [f for f in figures if f.name.startswith("fanout_loss")]
        (panel,) = fig.panels
        (series,) = panel.series
        self.assertEqual(series.label, "multicast, epoll")
        self.assertEqual(panel.xscale, "linear")
        self.assertEqual([x for x, _ in series.points], [0, 1, 2])
        self.assertAlmostEqual(series.points[1][1], 5.1)
        self.assertEqual([y for _, y in series.points][::2], [0.0, 0.0])
        self.assertEqual(series.counts, [3, 3, 3])
        self.assertFalse([f for f in plan_of(sweep(1))[0] if f.name.startswith("fanout")])

    def test_udp_throughput_panel_shows_loss_on_a_second_axis(self):
        figures, _ = plan_of(sweep(reps=3))
        (fig,) = [f for f in figures if f.name == "throughput_vs_flows"]
        tcp, udp = fig.panels
        self.assertFalse(any(s.secondary for s in tcp.series))
        loss = [s for s in udp.series if s.secondary]
        self.assertEqual([s.label for s in loss], ["select loss", "epoll loss"])
        self.assertTrue(udp.y2label)
        self.assertTrue(all(s.errors for s in loss))

    def test_best_model_with_repetitions(self):
        figures, _ = plan_of(sweep(reps=5))
        (fig,) = [f for f in figures if f.name.startswith("best_model")]
        speed, cost = (p.table for p in fig.panels)
        self.assertEqual([k[:2] for k in speed.row_keys],
                         [("tcp", "stream"), ("tcp", "echo"), ("udp", "stream"), ("udp", "echo")])
        self.assertEqual(speed.columns, [1, 16])
        for table in (speed, cost):
            self.assertEqual(len(table.cells), 8)
            for v in table.cells.values():
                self.assertEqual((v.best, v.runner_up), ("epoll", "select"))
                self.assertEqual(v.status, "significant")  # 5 vs 5, fully separated
                self.assertAlmostEqual(v.p_value, 2 / math.comb(10, 5))
                self.assertAlmostEqual(v.margin_pct, 100.0, places=6)  # 3.0 vs 1.5: twice
        self.assertEqual(check_plots.check_best_model(
            load_results_of(sweep(reps=5)), figures), [])

    def test_best_model_three_runs_cannot_be_significant(self):
        figures, _ = plan_of(sweep(reps=3))
        (fig,) = [f for f in figures if f.name.startswith("best_model")]
        statuses = {v.status for p in fig.panels for v in p.table.cells.values()}
        self.assertEqual(statuses, {"not significant"})
        self.assertIn("cells of 3 vs 3 runs cannot be significant", fig.title)
        self.assertIn("smallest possible p is 0.1 ", fig.title)

    def test_best_model_single_runs_not_tested(self):
        figures, _ = plan_of(sweep(reps=1))
        (fig,) = [f for f in figures if f.name.startswith("best_model")]
        for v in fig.panels[0].table.cells.values():
            self.assertEqual(v.status, "not tested")
            self.assertIsNone(v.p_value)

    def test_best_model_needs_two_models(self):
        figures, messages = plan_of(sweep(reps=1, models=("epoll",)))
        self.assertFalse([f for f in figures if f.name.startswith("best_model")])
        self.assertIn("best_model: skipped, a single model", messages)

    def test_check_notices_a_missing_best_model_chart(self):
        doc = sweep(reps=1)
        figures = [f for f in plan_of(doc)[0] if not f.name.startswith("best_model")]
        problems = check_plots.check_best_model(load_results_of(doc), figures)
        self.assertTrue(any("no best_model chart" in p for p in problems), problems)

    def test_check_notices_a_wrong_verdict(self):
        doc = sweep(reps=5)
        figures = plan_of(doc)[0]
        (fig,) = [f for f in figures if f.name.startswith("best_model")]
        fig.panels[0].table.cells[(0, 0)].status = "not significant"
        problems = check_plots.check_best_model(load_results_of(doc), figures)
        self.assertEqual(len(problems), 1, problems)


def load_results_of(doc):
    """The run records of one document."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "doc.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(doc, f)
        return load_results.load([path]).runs


class Directions(unittest.TestCase):
    def test_reverse_and_bidir_runs_are_skipped_by_name(self):
        doc = sweep(1, models=("epoll",), flows=(1,), modes=("stream",))
        forward = doc["runs"][0]["run"]
        for direction in ("reverse", "bidir"):
            other = json.loads(json.dumps(forward))
            other["config"]["direction"] = direction
            doc["runs"].append({"point": len(doc["runs"]), "run": other})
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "doc.json")
            with open(path, "w", encoding="utf-8") as f:
                json.dump(doc, f)
            inputs = load_results.load([path])
        self.assertEqual(len(inputs.runs), len(doc["runs"]) - 2)
        self.assertTrue(any("--direction reverse is not charted" in s for s in inputs.skipped))
        self.assertTrue(any("--direction bidir is not charted" in s for s in inputs.skipped))


@unittest.skipUnless(HAVE_MATPLOTLIB, "matplotlib is missing (Debian's python3-matplotlib)")
class DrawAndCheck(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.doc = os.path.join(self.tmp.name, "sweep.json")
        with open(self.doc, "w", encoding="utf-8") as f:
            json.dump(sweep(reps=4), f)
        self.out = os.path.join(self.tmp.name, "plots")

    def quiet(self, main, argv):
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            return main(argv)

    def test_drawn_charts_pass_the_check(self):
        import plot

        self.assertEqual(self.quiet(plot.main, [self.doc, "-o", self.out]), 0)
        names = sorted(os.listdir(self.out))
        self.assertIn("best_model.png", names)
        argv = [self.doc, "-d", self.out, "--require-error-bars", "--require", "best_model",
                "--require", "latency_vs_flows"]
        self.assertEqual(self.quiet(check_plots.main, argv), 0)

    def test_check_fails_when_error_bars_are_not_drawn(self):
        import plot

        self.assertEqual(self.quiet(plot.main, [self.doc, "-o", self.out]), 0)
        svg = os.path.join(self.out, "throughput_vs_flows.svg")
        with open(svg, encoding="utf-8") as f:
            text = f.read()
        with open(svg, "w", encoding="utf-8") as f:
            f.write(re.sub(r'id="ci-p1-s\d+"', 'id="x"', text))
        self.assertEqual(self.quiet(check_plots.main, [self.doc, "-d", self.out]), 1)

    def test_legend_over_a_panel_is_a_problem(self):
        import plot

        pyplot = plot.load_pyplot()
        fig, ax = pyplot.subplots()
        ax.plot([1, 2], [1, 2], label="line")
        ax.legend(loc="center")
        self.assertEqual(len(plot.legend_overlaps(fig, [ax])), 1)
        ax.get_legend().remove()
        fig.legend(loc="upper center", bbox_to_anchor=(0.5, 0.0))
        self.assertEqual(plot.legend_overlaps(fig, [ax]), [])
        pyplot.close(fig)


def fleet_doc(peers):
    """A `netbench merge` fleet object with one run per (hostname, peer)."""
    runs = [{"file": f"/r/{h}-to-{p}.json", "hostname": h, "peer": p,
             "throughput_bps": 1e9 * (i + 1), "messages_per_s": 1000.0,
             "latency_p99_ns": 50_000 * (i + 1), "start_skew_ns": 100, "run": {}}
            for i, (h, p) in enumerate(peers)]
    return {"runs": len(runs), "config": {"proto": "tcp", "mode": "stream", "flows": 1},
            "receiver": {"throughput_bps": sum(r["throughput_bps"] for r in runs)},
            "latency": {"kind": "one_way_delay", "from_intended_send": {"p99_ns": 123_000}},
            "spread": {"jain_fairness": 0.9, "throughput_bps": {"median": 2e9},
                       "latency_p99_ns": {"median": 100_000}},
            "per_run": runs}


class FleetChart(unittest.TestCase):
    def test_pairs_are_named_client_to_server_host(self):
        f = fleet_doc([("h2", "10.0.0.1:5201"), ("h3", "[fd00::1]:5201")])
        self.assertEqual(fleet_chart.labels(f), ["h2 -> 10.0.0.1", "h3 -> fd00::1"])

    def test_two_runs_of_one_pair_are_told_apart_by_file(self):
        f = fleet_doc([("h2", "10.0.0.1:5201"), ("h2", "10.0.0.1:5202")])
        self.assertEqual(fleet_chart.labels(f), ["h2 -> 10.0.0.1 (h2-to-10.0.0.1:5201.json)",
                                                 "h2 -> 10.0.0.1 (h2-to-10.0.0.1:5202.json)"])

    def test_title_gives_the_sum_jain_and_pooled_p99(self):
        line = fleet_chart.summary_line(fleet_doc([("a", "b:1"), ("c", "b:1")]))
        self.assertIn("sum 3 Gbit/s", line)
        self.assertIn("Jain 0.900", line)
        self.assertIn("pooled p99 123 us", line)

    @unittest.skipUnless(HAVE_MATPLOTLIB, "matplotlib is missing (Debian's python3-matplotlib)")
    def test_draws_png_and_svg(self):
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as pyplot

        with tempfile.TemporaryDirectory() as d:
            paths = fleet_chart.draw(pyplot, fleet_doc([("a", "b:1"), ("c", "b:1")]), d)
            self.assertEqual([os.path.basename(p) for p in paths], ["fleet.png", "fleet.svg"])
            self.assertTrue(all(os.path.getsize(p) > 1000 for p in paths))


if __name__ == "__main__":
    unittest.main()
