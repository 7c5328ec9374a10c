#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <utility>
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

/// Which points of a document take part: those whose configuration has
/// every `key=value` given (as the JSON config writes it: "model=select",
/// "flows=16"). The keys filtered on leave the matching key, so that
/// `--base-filter model=select --new-filter model=epoll` compares two models
/// load by load, in one sweep or two.
struct PointFilter {
  std::vector<std::pair<std::string, std::string>> equals;
  /// "key=value[,key=value...]" → a filter; nullopt names nothing wrong
  /// itself: `error` says which part is malformed or names an unknown key.
  static std::optional<PointFilter> parse(const std::string& text, std::string& error);
  /// The filter as given, "model=select" ("" when it keeps everything).
  [[nodiscard]] std::string text() const;
};

/// Reads a single-run, repeated or sweep document (docs/schema.md) into
/// plain samples; incomplete runs, failed points and points `filter` leaves
/// out are left out. Throws std::runtime_error naming `name` when `doc` is
/// none of these.
[[nodiscard]] CompareInput read_compare_input(const nlohmann::json& doc, const std::string& name,
                                              const PointFilter& filter = {});

/// Loads `path` and read_compare_input()s it. Throws std::runtime_error
/// when the file cannot be read or is not JSON.
[[nodiscard]] CompareInput load_compare_input(const std::string& path,
                                              const PointFilter& filter = {});

}  // namespace netbench::app
