#pragma once

#include <cstdio>

#include <nlohmann/json.hpp>

#include "app/merge/fleet.hpp"

namespace netbench::app {

/// The "fleet" object of a merged document (docs/schema.md, "Fleets"):
/// totals, the pooled latency, the spread over the runs, the hosts and
/// peers, and every run object whole.
[[nodiscard]] nlohmann::json fleet_json(const Fleet& f);

/// The merged document: schema, tool, the merging host, and "fleet".
[[nodiscard]] nlohmann::json fleet_document(const Fleet& f);

/// The text summary, laid out as a single run's: the plan, the sums, the
/// pooled latency, the spread over the runs, one line per run and per host.
void print_fleet_summary(std::FILE* out, const Fleet& f);

}  // namespace netbench::app
