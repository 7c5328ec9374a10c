#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "netbench/results.hpp"

namespace netbench::app {

/// Version tag of every document netbench writes (docs/schema.md).
inline constexpr const char* kSchema = "netbench/1";

/// The "config" object of a spec.
[[nodiscard]] nlohmann::json config_json(const TestSpec& spec);
/// One interval object (also a `--json-lines` event's body).
[[nodiscard]] nlohmann::json interval_json(const IntervalRecord& r);
/// One run object: config, intervals, sender, receiver, latency, totals.
[[nodiscard]] nlohmann::json run_json(const RunResult& r);
/// A whole document: schema, tool, host, and either `run` or `error`.
[[nodiscard]] nlohmann::json document(const nlohmann::json& run, const std::string& error);
/// Base64 of bytes (RFC 4648), for serialized histograms.
[[nodiscard]] std::string base64(const std::vector<std::byte>& bytes);
/// Bytes of canonical base64 (RFC 4648 §4, what base64() writes): nullopt
/// unless the length is a multiple of 4, every character is in the alphabet,
/// `=` appears only as the last one or two, and the bits padding leaves over
/// are zero (§3.5), so each byte string has exactly one accepted text.
[[nodiscard]] std::optional<std::vector<std::byte>> unbase64(std::string_view text);

}  // namespace netbench::app
