#pragma once

#include <cstdio>

#include "netbench/results.hpp"

namespace netbench::app {

/// The one-line configuration printed above a run.
void print_config(std::FILE* out, const TestSpec& spec);
/// Column titles of the interval lines.
void print_interval_header(std::FILE* out, const TestSpec& spec);
/// One interval line: time, throughput, messages/s, reordering, latency.
void print_interval(std::FILE* out, const TestSpec& spec, const IntervalRecord& r);
/// The summary table: sender and receiver side, loss, latency, costs.
void print_summary(std::FILE* out, const RunResult& r);

}  // namespace netbench::app
