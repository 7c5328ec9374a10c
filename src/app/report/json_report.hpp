#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "netbench/results.hpp"
#include "netbench/summary.hpp"

namespace netbench::app {

/// Version tag of every document netbench writes (docs/schema.md).
inline constexpr const char* kSchema = "netbench/1";

/// The "config" object of a spec, as the report shows it. Not the control
/// protocol's encoding (that is spec_to_json() in app/control/spec_codec.hpp).
[[nodiscard]] nlohmann::json config_json(const TestSpec& spec);
/// One interval object (also a `--json-lines` event's body).
[[nodiscard]] nlohmann::json interval_json(const IntervalRecord& r);
/// One latency object: count, min, mean, percentiles, max, saturated and
/// the histogram (base64), as in a run's "latency" section.
[[nodiscard]] nlohmann::json latency_summary_json(const LatencyHistogram& h);
/// A run's "receiver" object, from `r`'s receiver part and its totals `t`
/// (flows listed when `listed`); also each fan-out receiver's.
[[nodiscard]] nlohmann::json receiver_json(const RunResult& r, const RunTotals& t, bool listed);
/// One run object: config, intervals, sender, receiver, latency, totals.
[[nodiscard]] nlohmann::json run_json(const RunResult& r);
/// A whole document: schema, tool, host, and either `run` or `error`.
[[nodiscard]] nlohmann::json document(const nlohmann::json& run, const std::string& error);
/// The document of one run: its run object, and its error unless complete.
[[nodiscard]] nlohmann::json run_document(const RunResult& r);
}  // namespace netbench::app
