#pragma once

#include <nlohmann/json.hpp>

#include "netbench/results.hpp"

namespace netbench::app {

/// The config's "fanout": {method, group, receivers, receiver_devices}, or
/// null for a run without fan-out.
[[nodiscard]] nlohmann::json fanout_config_json(const TestSpec& spec);

/// The run's "fanout": {"receivers": [...]}, one object per receiver (its
/// index, device, error, "receiver" object as the run's, one-way delay and
/// delay variation), or null without fan-out.
[[nodiscard]] nlohmann::json fanout_json(const RunResult& r);

}  // namespace netbench::app
