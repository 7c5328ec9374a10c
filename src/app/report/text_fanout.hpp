#pragma once

#include <cstdio>

#include "netbench/results.hpp"

namespace netbench::app {

/// Fan-out: one row per receiver under the summary (received, lost, order,
/// one-way delay, the highest flow jitter); nothing without fan-out.
void print_fanout(std::FILE* out, const RunResult& r);

}  // namespace netbench::app
