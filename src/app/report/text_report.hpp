#pragma once

#include <cstdio>
#include <string>

#include "netbench/results.hpp"

namespace netbench::app {

/// The one-line configuration printed above a run. `target`: who takes the
/// traffic when it is not this process ("netbench serve at HOST:PORT"),
/// else empty.
void print_config(std::FILE* out, const TestSpec& spec, const std::string& target = {});
/// Column titles of the interval lines.
void print_interval_header(std::FILE* out, const TestSpec& spec);
/// One interval line: time, throughput, messages/s, reordering, latency.
void print_interval(std::FILE* out, const TestSpec& spec, const IntervalRecord& r);
/// One latency row of the summary: "min … p50 … p99 … max … (n=…)";
/// nothing when `h` is empty.
void print_latency_line(std::FILE* out, const char* name, const LatencyHistogram& h);
/// The summary table: sender and receiver side, loss, latency, costs.
void print_summary(std::FILE* out, const RunResult& r);

}  // namespace netbench::app
