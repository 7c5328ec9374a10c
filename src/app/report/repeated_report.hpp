#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/report/repeated_run.hpp"
#include "netbench/statistics.hpp"

namespace netbench::app {

/// One aggregate object: n, median, mean, stddev, cv, min, max, median_ci
/// and mean_ci (lower, upper, level, coverage, attained).
[[nodiscard]] nlohmann::json aggregate_json(const stats::Aggregate& a);

/// The "aggregates" object over run objects: one aggregate per metric of
/// metrics() that at least one run measured.
[[nodiscard]] nlohmann::json aggregates_json(const std::vector<nlohmann::json>& runs);

/// The warnings of a repeated run as a whole: a primary figure (receiver
/// msg/s, latency p50) whose CV is above kCvWarning, and `--repeat auto`
/// stopping at its maximum before the interval was narrow enough.
[[nodiscard]] std::vector<std::string> repeated_warnings(const RepeatedRun& r,
                                                         const nlohmann::json& aggregates);

/// The "repeated" object (docs/schema.md, "Repeated runs"): every repetition
/// as a complete run object, the aggregates, the pooled latency, the seed
/// and the interval target.
[[nodiscard]] nlohmann::json repeated_json(const RepeatedRun& r);

/// The document of a repeated single run: "repeated" instead of "run".
[[nodiscard]] nlohmann::json repeated_document(const RepeatedRun& r);

/// The text summary: one line per metric, "3.61 Gbit/s ±2.1% (95% CI,
/// n=5)" with the median, min and max, then the warnings.
void print_repeated_summary(std::FILE* out, const RepeatedRun& r);

}  // namespace netbench::app
