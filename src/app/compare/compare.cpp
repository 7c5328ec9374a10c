#include "app/compare/compare.hpp"

#include <cmath>
#include <map>

namespace netbench::app {

double smallest_p_value(std::size_t n1, std::size_t n2) noexcept {
  if (n1 == 0 || n2 == 0) {
    return 1;
  }
  // C(n1 + n2, n1) in floating point: exact enough for a threshold.
  double c = 1;
  for (std::size_t i = 1; i <= n1; ++i) {
    c = c * static_cast<double>(n2 + i) / static_cast<double>(i);
  }
  return std::min(1.0, 2.0 / c);
}

CompareReport compare_inputs(const CompareInput& base, const CompareInput& candidate,
                             const CompareOptions& options) {
  CompareReport r;
  r.base_name = base.name;
  r.new_name = candidate.name;
  r.options = options;
  std::map<std::string, const PointSamples*> by_key;
  for (const PointSamples& p : candidate.points) {
    by_key.emplace(p.key, &p);
  }
  std::map<std::string, bool> matched;
  std::map<std::string, std::vector<double>> ratios;
  bool few = false;
  for (const PointSamples& b : base.points) {
    const auto it = by_key.find(b.key);
    if (it == by_key.end()) {
      r.only_in_base.push_back(b.label);
      continue;
    }
    matched[b.key] = true;
    const PointSamples& c = *it->second;
    for (const MetricDef& m : metrics()) {
      const auto bv = b.values.find(m.name);
      const auto cv = c.values.find(m.name);
      if (bv == b.values.end() || cv == c.values.end() || bv->second.empty() ||
          cv->second.empty()) {
        continue;
      }
      CompareRow row;
      row.point = b.label;
      row.metric = &m;
      row.comparison = stats::compare(bv->second, cv->second, 0.95);
      row.testable = smallest_p_value(bv->second.size(), cv->second.size()) < options.alpha;
      row.verdict = stats::judge(row.comparison, m.direction, options.alpha, options.threshold);
      r.worse = r.worse || row.verdict == stats::Verdict::kWorse;
      few = few || !row.comparison.enough_repetitions;
      if (row.comparison.base.median > 0 && row.comparison.candidate.median > 0) {
        ratios[m.name].push_back(row.comparison.candidate.median / row.comparison.base.median);
      }
      r.rows.push_back(std::move(row));
    }
  }
  for (const PointSamples& c : candidate.points) {
    if (!matched.contains(c.key)) {
      r.only_in_new.push_back(c.label);
    }
  }
  for (const MetricDef& m : metrics()) {
    const auto it = ratios.find(m.name);
    if (it != ratios.end()) {
      r.geomean.push_back({&m, stats::geometric_mean(it->second)});
    }
  }
  if (few) {
    r.warnings.push_back("fewer than " + std::to_string(stats::kRecommendedRepetitions) +
                         " repetitions on a side: the U test has little power; use --repeat " +
                         std::to_string(stats::kRecommendedRepetitions) + " or more");
  }
  if (r.rows.empty()) {
    r.warnings.emplace_back("no point matched: nothing compared");
  }
  return r;
}

}  // namespace netbench::app
