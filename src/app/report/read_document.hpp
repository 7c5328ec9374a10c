#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace netbench::app {

/// The JSON document in the file at `path` (any document netbench wrote).
/// Throws std::runtime_error naming `path` when it cannot be read or is not
/// JSON.
[[nodiscard]] nlohmann::json read_document(const std::string& path);

}  // namespace netbench::app
