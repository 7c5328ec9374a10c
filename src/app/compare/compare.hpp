#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/compare/compare_input.hpp"
#include "app/report/metrics.hpp"
#include "netbench/statistics.hpp"

namespace netbench::app {

/// --alpha and --threshold.
struct CompareOptions {
  double alpha = 0.05;
  double threshold = 0.05;  ///< fraction: 0.05 = 5%
};

/// One point × metric row.
struct CompareRow {
  std::string point;  ///< PointSamples::label
  const MetricDef* metric = nullptr;
  stats::Comparison comparison;
  stats::Verdict verdict = stats::Verdict::kNotSignificant;
  /// The U test can reach p < alpha at these sample sizes (n = 1 against
  /// 1 never can, nor 3 against 3 at alpha 0.05).
  bool testable = false;
};

/// The geometric mean over points of new median / base median, per metric.
struct GeomeanRow {
  const MetricDef* metric = nullptr;
  stats::GeometricMean ratio;
};

/// Everything `netbench compare` found; plain data for the reporters.
struct CompareReport {
  std::string base_name;
  std::string new_name;
  CompareOptions options;
  std::vector<CompareRow> rows;
  std::vector<GeomeanRow> geomean;
  std::vector<std::string> only_in_base;  ///< labels of points without a match
  std::vector<std::string> only_in_new;
  std::vector<std::string> warnings;
  bool worse = false;  ///< some row's verdict is kWorse
};

/// Smallest two-sided p-value the exact U test can give with n1 and n2
/// values and no ties: 2 / C(n1 + n2, n1), at most 1.
[[nodiscard]] double smallest_p_value(std::size_t n1, std::size_t n2) noexcept;

/// Matches the points of `base` and `candidate` by configuration and
/// compares every metric both measured. Pure.
[[nodiscard]] CompareReport compare_inputs(const CompareInput& base, const CompareInput& candidate,
                                           const CompareOptions& options);

/// The table (text), with the geomean rows, unmatched points and warnings.
void print_compare_table(std::FILE* out, const CompareReport& r);

/// The `--json` document: {"schema": "netbench-compare/1", ...}.
[[nodiscard]] nlohmann::json compare_json(const CompareReport& r);

}  // namespace netbench::app
