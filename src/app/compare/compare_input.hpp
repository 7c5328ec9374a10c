#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace netbench::app {

/// One point of a document as `netbench compare` sees it: its
/// configuration key and, per metric, the value of every complete
/// repetition (one value for a run without --repeat).
struct PointSamples {
  std::string key;    ///< what must agree to match: proto, model, mode, flows, size, rate, ...
  std::string label;  ///< "udp poll stream flows=16 size=64 rate=-"
  std::size_t repetitions = 0;
  std::map<std::string, std::vector<double>> values;  ///< by MetricDef::name
};

/// The points of one document, in document order.
struct CompareInput {
  std::string name;  ///< file name as given
  std::vector<PointSamples> points;
};

/// Reads a single-run, repeated or sweep document (docs/schema.md) into
/// plain samples; incomplete runs and failed points are left out. Throws
/// std::runtime_error naming `name` when `doc` is none of these.
[[nodiscard]] CompareInput read_compare_input(const nlohmann::json& doc, const std::string& name);

/// Loads `path` and read_compare_input()s it. Throws std::runtime_error
/// when the file cannot be read or is not JSON.
[[nodiscard]] CompareInput load_compare_input(const std::string& path);

}  // namespace netbench::app
