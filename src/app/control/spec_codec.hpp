#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "netbench/test_spec.hpp"

namespace netbench::app {

/// The "config" object of a "test" message: how the control protocol carries
/// a spec to `netbench serve`. Kept apart from the report's config object
/// (json_report.hpp, config_json()) so that a change to the report cannot
/// change the protocol; today the two hold the same keys and values.
[[nodiscard]] nlohmann::json spec_to_json(const TestSpec& spec);

/// Reads a test spec from the "config" object spec_to_json() writes. Strict: every field must be
/// present with the right type and in range (then validate() runs too); false with a one-line
/// `error` naming the field otherwise. Never throws.
bool spec_from_json(const nlohmann::json& j, TestSpec& out, std::string& error);

}  // namespace netbench::app
