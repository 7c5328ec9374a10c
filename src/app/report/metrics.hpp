#pragma once

#include <optional>
#include <span>
#include <string>

#include <nlohmann/json.hpp>

#include "netbench/statistics.hpp"

namespace netbench::app {

/// How a metric's value is shown.
enum class MetricUnit : std::uint8_t { kBitsPerSecond, kPerSecond, kRatio, kNanoseconds, kCount };

/// One figure that repetitions aggregate and `netbench compare` compares:
/// its key in "aggregates", where it sits in a run object, and which way is
/// better. One table for both, so that they agree.
struct MetricDef {
  const char* name;     ///< key in "aggregates" and in compare rows
  const char* pointer;  ///< JSON pointer into a run object
  stats::Direction direction;
  MetricUnit unit;
};

/// Every metric, the primary one (`--repeat auto`'s stopping figure) first.
[[nodiscard]] std::span<const MetricDef> metrics() noexcept;

/// The value of `m` in a run object; nullopt when absent or null (not
/// measured: --stats counts, plain echo).
[[nodiscard]] std::optional<double> metric_value(const nlohmann::json& run, const MetricDef& m);

/// `value` in the metric's unit ("3.61 Gbit/s", "412 k msg/s", "0.12%", "83.0 us").
[[nodiscard]] std::string format_metric(const MetricDef& m, double value);

}  // namespace netbench::app
