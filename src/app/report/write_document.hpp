#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace netbench::app {

/// Writes `doc` (indented, one trailing newline) to stdout if `to_stdout`,
/// and to `path` unless it is empty — atomically: to `path`.tmp, then
/// renamed over `path`, so a reader never sees half a document. Throws
/// SystemError if the file cannot be written.
void write_document(const nlohmann::json& doc, bool to_stdout, const std::string& path);

}  // namespace netbench::app
