#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "netbench/results.hpp"

namespace netbench::app {

/// Version tag of every document netbench writes (docs/schema.md).
inline constexpr const char* kSchema = "netbench/1";

/// The "config" object of a spec.
[[nodiscard]] nlohmann::json config_json(const TestSpec& spec);
/// One run object: config, intervals, sender, receiver, latency, totals.
[[nodiscard]] nlohmann::json run_json(const RunResult& r);
/// A whole document: schema, tool, host, and either `run` or `error`.
[[nodiscard]] nlohmann::json document(const nlohmann::json& run, const std::string& error);
/// Base64 of bytes (RFC 4648), for serialized histograms.
[[nodiscard]] std::string base64(const std::vector<std::byte>& bytes);

}  // namespace netbench::app
