#include "app/report/repeated_report.hpp"

#include <cmath>

#include "app/report/json_report.hpp"
#include "app/report/metrics.hpp"
#include "app/report/text_report.hpp"

namespace netbench::app {
namespace {

using nlohmann::json;

double finite(double v) { return std::isfinite(v) ? v : 0.0; }

json ci_json(const stats::ConfidenceInterval& ci) {
  return {{"lower", finite(ci.lower)},
          {"upper", finite(ci.upper)},
          {"level", ci.level},
          {"coverage", finite(ci.coverage)},
          {"attained", ci.attained}};
}

std::vector<double> values_of(const std::vector<json>& runs, const MetricDef& m) {
  std::vector<double> v;
  for (const json& run : runs) {
    if (const auto x = metric_value(run, m)) {
      v.push_back(*x);
    }
  }
  return v;
}

/// The pooled latency: every complete repetition's histogram merged exactly.
json pooled_latency_json(const RepeatedRun& r) {
  if (r.repetitions.empty() || !r.repetitions.front().spec.full_stats()) {
    return nullptr;
  }
  LatencyHistogram intended = r.repetitions.front().latency;
  LatencyHistogram actual = r.repetitions.front().latency_from_actual;
  for (std::size_t i = 1; i < r.repetitions.size(); ++i) {
    intended.merge(r.repetitions[i].latency);
    actual.merge(r.repetitions[i].latency_from_actual);
  }
  const bool echo = r.repetitions.front().spec.replies();
  json p50 = json::array();
  json p99 = json::array();
  for (const RunResult& rep : r.repetitions) {
    p50.push_back(rep.latency.percentile(50));
    p99.push_back(rep.latency.percentile(99));
  }
  return {{"kind", echo ? "rtt" : "one_way_delay"},
          {"from_intended_send", latency_summary_json(intended)},
          {"from_actual_send", latency_summary_json(actual)},
          {"repetition_p50_ns", p50},
          {"repetition_p99_ns", p99}};
}

}  // namespace

json aggregate_json(const stats::Aggregate& a) {
  return {{"n", a.n},
          {"median", finite(a.median)},
          {"mean", finite(a.mean)},
          {"stddev", finite(a.stddev)},
          {"cv", finite(a.cv)},
          {"min", finite(a.min)},
          {"max", finite(a.max)},
          {"median_ci", ci_json(a.median_ci)},
          {"mean_ci", ci_json(a.mean_ci)}};
}

json aggregates_json(const std::vector<json>& runs) {
  json out = json::object();
  for (const MetricDef& m : metrics()) {
    const std::vector<double> v = values_of(runs, m);
    if (!v.empty()) {
      out[m.name] = aggregate_json(stats::summarize(v));
    }
  }
  return out;
}

std::vector<std::string> repeated_warnings(const RepeatedRun& r, const json& aggregates) {
  std::vector<std::string> out;
  char buf[200];
  for (const char* name : {"receiver_messages_per_s", "latency_p50_ns"}) {
    if (!aggregates.contains(name)) {
      continue;
    }
    const json& a = aggregates[name];
    const double cv = a["cv"].get<double>();
    if (a["n"].get<std::size_t>() >= 2 && cv > kCvWarning) {
      std::snprintf(buf, sizeof buf, "%s varies between repetitions: CV %.1f%% (> %.0f%%) over %zu",
                    name, cv * 100, kCvWarning * 100, a["n"].get<std::size_t>());
      out.emplace_back(buf);
    }
  }
  if (r.policy.until_precise && !r.status.reached) {
    if (r.status.width) {
      std::snprintf(buf, sizeof buf,
                    "--repeat auto: the 95%% CI of the mean stayed at ±%.1f%%, wider than ±%.1f%%, "
                    "after %zu runs",
                    *r.status.width * 100, r.policy.ci_width * 100, r.repetitions.size());
    } else {
      std::snprintf(
          buf, sizeof buf,
          "--repeat auto: no 95%% CI of the mean after %zu runs; width ±%.1f%% not reached",
          r.repetitions.size(), r.policy.ci_width * 100);
    }
    out.emplace_back(buf);
  }
  return out;
}

json repeated_json(const RepeatedRun& r) {
  std::vector<json> runs;
  runs.reserve(r.repetitions.size());
  for (const RunResult& rep : r.repetitions) {
    runs.push_back(run_json(rep));
  }
  json aggregates = aggregates_json(runs);
  std::vector<std::string> warnings = repeated_warnings(r, aggregates);
  json j = {{"repeat", r.policy.until_precise ? json("auto") : json(r.policy.max_runs)},
            {"seed", r.seed},
            {"ci_width_target", r.policy.until_precise ? r.policy.ci_width : 0.0},
            {"ci_width", r.status.width ? json(finite(*r.status.width)) : json(nullptr)},
            {"ci_width_reached", r.status.reached},
            {"primary", metrics().front().name},
            {"sequence", r.sequence},
            {"complete", r.error.empty()},
            {"error", r.error},
            {"repetitions", runs},
            {"aggregates", std::move(aggregates)},
            {"pooled_latency", pooled_latency_json(r)},
            {"warnings", warnings}};
  return j;
}

json repeated_document(const RepeatedRun& r) {
  json doc = document(nullptr, r.error);
  doc["repeated"] = repeated_json(r);
  return doc;
}

void print_repeated_summary(std::FILE* out, const RepeatedRun& r) {
  std::vector<json> runs;
  for (const RunResult& rep : r.repetitions) {
    runs.push_back(run_json(rep));
  }
  const json aggregates = aggregates_json(runs);
  std::fprintf(out, "\nSummary over %zu repetitions (seed %llu%s)\n", r.repetitions.size(),
               static_cast<unsigned long long>(r.seed),
               r.policy.until_precise ? ", --repeat auto" : "");
  std::fprintf(out, "  %-28s %-40s %s\n", "", "mean ±95% CI of the mean", "median [min, max]");
  for (const MetricDef& m : metrics()) {
    if (!aggregates.contains(m.name)) {
      continue;
    }
    const json& a = aggregates[m.name];
    const double mean = a["mean"].get<double>();
    const std::size_t n = a["n"].get<std::size_t>();
    std::string head = format_metric(m, mean);
    char buf[96];
    if (n >= 2 && mean != 0) {
      const double half = (a["mean_ci"]["upper"].get<double>() - mean) / std::fabs(mean);
      std::snprintf(buf, sizeof buf, " ±%.1f%% (95%% CI, n=%zu)", half * 100, n);
    } else {
      std::snprintf(buf, sizeof buf, " (n=%zu)", n);
    }
    head += buf;
    std::fprintf(out, "  %-28s %-40s %s [%s, %s]\n", m.name, head.c_str(),
                 format_metric(m, a["median"].get<double>()).c_str(),
                 format_metric(m, a["min"].get<double>()).c_str(),
                 format_metric(m, a["max"].get<double>()).c_str());
  }
  if (r.policy.until_precise) {
    std::fprintf(out, "  --repeat auto: target ±%.1f%% %s\n", r.policy.ci_width * 100,
                 r.status.reached ? "reached" : "NOT reached");
  }
  for (const std::string& w : repeated_warnings(r, aggregates)) {
    std::fprintf(out, "  warning: %s\n", w.c_str());
  }
}

}  // namespace netbench::app
