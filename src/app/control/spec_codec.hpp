#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "netbench/test_spec.hpp"

namespace netbench::app {

/// Reads a test spec from the "config" object json_report's config_json()
/// writes. Strict: every field must be present with the right type and in
/// range (then validate() runs too); false with a one-line `error` naming the
/// field otherwise. Never throws.
bool spec_from_json(const nlohmann::json& j, TestSpec& out, std::string& error);

}  // namespace netbench::app
