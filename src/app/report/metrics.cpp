#include "app/report/metrics.hpp"

#include <array>
#include <cstdio>

#include "app/cli/units.hpp"

namespace netbench::app {
namespace {

using stats::Direction;

constexpr std::array<MetricDef, 11> kMetrics = {{
    {"receiver_messages_per_s", "/receiver/messages_per_s", Direction::kHigherIsBetter,
     MetricUnit::kPerSecond},
    {"receiver_throughput_bps", "/receiver/throughput_bps", Direction::kHigherIsBetter,
     MetricUnit::kBitsPerSecond},
    {"sender_messages_per_s", "/sender/messages_per_s", Direction::kHigherIsBetter,
     MetricUnit::kPerSecond},
    {"sender_throughput_bps", "/sender/throughput_bps", Direction::kHigherIsBetter,
     MetricUnit::kBitsPerSecond},
    {"loss_ratio", "/receiver/loss/ratio", Direction::kLowerIsBetter, MetricUnit::kRatio},
    {"latency_p50_ns", "/latency/from_intended_send/p50_ns", Direction::kLowerIsBetter,
     MetricUnit::kNanoseconds},
    {"latency_p99_ns", "/latency/from_intended_send/p99_ns", Direction::kLowerIsBetter,
     MetricUnit::kNanoseconds},
    {"latency_p99_9_ns", "/latency/from_intended_send/p99_9_ns", Direction::kLowerIsBetter,
     MetricUnit::kNanoseconds},
    {"sender_cpu_per_message_ns", "/sender/cost/cpu_per_message_ns", Direction::kLowerIsBetter,
     MetricUnit::kNanoseconds},
    {"receiver_cpu_per_message_ns", "/receiver/cost/cpu_per_message_ns", Direction::kLowerIsBetter,
     MetricUnit::kNanoseconds},
    {"receiver_wakeups", "/receiver/cost/wakeups", Direction::kLowerIsBetter, MetricUnit::kCount},
}};

}  // namespace

std::span<const MetricDef> metrics() noexcept { return kMetrics; }

std::optional<double> metric_value(const nlohmann::json& run, const MetricDef& m) {
  const nlohmann::json::json_pointer ptr(m.pointer);
  if (!run.is_object() || !run.contains(ptr)) {
    return std::nullopt;
  }
  const nlohmann::json& v = run.at(ptr);
  if (!v.is_number()) {
    return std::nullopt;
  }
  return v.get<double>();
}

std::string format_metric(const MetricDef& m, double value) {
  char buf[64];
  switch (m.unit) {
    case MetricUnit::kBitsPerSecond:
      return format_bits_per_second(value / 8);
    case MetricUnit::kPerSecond:
      return format_count(value) + " msg/s";
    case MetricUnit::kRatio:
      std::snprintf(buf, sizeof buf, "%.3g%%", value * 100);
      return buf;
    case MetricUnit::kNanoseconds:
      return format_ns(value);
    case MetricUnit::kCount:
      return format_count(value);
  }
  return {};
}

}  // namespace netbench::app
