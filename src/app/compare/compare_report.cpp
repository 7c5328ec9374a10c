#include <cmath>
#include <string>

#include "app/compare/compare.hpp"

namespace netbench::app {
namespace {

using nlohmann::json;

double finite(double v) { return std::isfinite(v) ? v : 0.0; }

std::string pct(double fraction) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.1f%%", fraction * 100);
  return buf;
}

std::string verdict_text(const CompareRow& row) {
  if (!row.testable) {
    return "no test possible (n=" + std::to_string(row.comparison.base.n) + " vs " +
           std::to_string(row.comparison.candidate.n) + ")";
  }
  return std::string(stats::to_string(row.verdict));
}

std::string ci_text(const stats::Change& c) {
  if (c.scale == stats::ChangeScale::kNone || c.ci.coverage == 0) {
    return "-";
  }
  return "[" + pct(c.ci.lower) + ", " + pct(c.ci.upper) + "]" + (c.ci.attained ? "" : "*");
}

}  // namespace

void print_compare_table(std::FILE* out, const CompareReport& r) {
  std::fprintf(out, "base: %s\nnew:  %s\nalpha %.3g, threshold %.3g%%\n\n", r.base_name.c_str(),
               r.new_name.c_str(), r.options.alpha, r.options.threshold * 100);
  std::fprintf(out, "%-36s %-28s %14s %14s %8s %20s %7s  %s\n", "point", "metric", "base median",
               "new median", "change", "95% CI of change", "p", "verdict");
  for (const CompareRow& row : r.rows) {
    const stats::Comparison& c = row.comparison;
    char p[16];
    std::snprintf(p, sizeof p, "%.3f", c.test.p_value);
    std::fprintf(out, "%-36s %-28s %14s %14s %8s %20s %7s  %s\n", row.point.c_str(),
                 row.metric->name, format_metric(*row.metric, c.base.median).c_str(),
                 format_metric(*row.metric, c.candidate.median).c_str(),
                 c.change.scale == stats::ChangeScale::kNone ? "-" : pct(c.change.relative).c_str(),
                 ci_text(c.change).c_str(), p, verdict_text(row).c_str());
  }
  if (!r.geomean.empty()) {
    std::fprintf(out, "\ngeometric mean of new/base medians over matched points:\n");
    for (const GeomeanRow& g : r.geomean) {
      std::fprintf(out, "  %-28s %8s  (%zu points)\n", g.metric->name,
                   g.ratio.used > 0 ? pct(g.ratio.value - 1).c_str() : "-", g.ratio.used);
    }
  }
  for (const std::string& p : r.only_in_base) {
    std::fprintf(out, "unmatched: only in base: %s\n", p.c_str());
  }
  for (const std::string& p : r.only_in_new) {
    std::fprintf(out, "unmatched: only in new: %s\n", p.c_str());
  }
  std::fprintf(out,
               "(* the interval could not reach 95%% with so few repetitions: it spans "
               "every pairwise change)\n");
  for (const std::string& w : r.warnings) {
    std::fprintf(out, "warning: %s\n", w.c_str());
  }
  std::fprintf(out, "%s\n",
               r.worse ? "RESULT: worse (significant change beyond the threshold)"
                       : "RESULT: no significant worsening");
}

json compare_json(const CompareReport& r) {
  json rows = json::array();
  for (const CompareRow& row : r.rows) {
    const stats::Comparison& c = row.comparison;
    rows.push_back(
        {{"point", row.point},
         {"metric", row.metric->name},
         {"direction",
          row.metric->direction == stats::Direction::kHigherIsBetter ? "higher" : "lower"},
         {"base", {{"n", c.base.n}, {"median", finite(c.base.median)}, {"cv", finite(c.base.cv)}}},
         {"new",
          {{"n", c.candidate.n},
           {"median", finite(c.candidate.median)},
           {"cv", finite(c.candidate.cv)}}},
         {"change", finite(c.change.relative)},
         {"change_ci",
          {{"lower", finite(c.change.ci.lower)},
           {"upper", finite(c.change.ci.upper)},
           {"coverage", finite(c.change.ci.coverage)},
           {"attained", c.change.ci.attained}}},
         {"u", finite(c.test.u)},
         {"p_value", finite(c.test.p_value)},
         {"testable", row.testable},
         {"verdict", std::string(stats::to_string(row.verdict))}});
  }
  json geomean = json::array();
  for (const GeomeanRow& g : r.geomean) {
    geomean.push_back({{"metric", g.metric->name},
                       {"ratio", finite(g.ratio.value)},
                       {"points", g.ratio.used},
                       {"skipped", g.ratio.skipped}});
  }
  return {{"schema", "netbench-compare/1"},
          {"base", r.base_name},
          {"new", r.new_name},
          {"alpha", r.options.alpha},
          {"threshold", r.options.threshold},
          {"rows", rows},
          {"geomean", geomean},
          {"unmatched", {{"base", r.only_in_base}, {"new", r.only_in_new}}},
          {"warnings", r.warnings},
          {"worse", r.worse}};
}

}  // namespace netbench::app
