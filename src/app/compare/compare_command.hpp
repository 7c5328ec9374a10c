#pragma once

#include <string>

namespace CLI {
class App;
}  // namespace CLI

namespace netbench::app {

/// Raw flags of `netbench compare BASE.json NEW.json`.
struct CompareArgs {
  std::string base;
  std::string candidate;
  std::string alpha = "0.05";
  std::string threshold = "5%";
  bool json = false;
  std::string base_filter;  ///< --base-filter KEY=VALUE[,...]
  std::string new_filter;   ///< --new-filter KEY=VALUE[,...]
};

/// Adds the `compare` subcommand to `app`, bound to `a`; returns it.
CLI::App* add_compare_command(CLI::App& app, CompareArgs& a);

/// Runs `netbench compare`: kExitOk, kExitWorse when a metric got
/// significantly worse beyond the threshold; throws UsageError for bad
/// flags or unreadable documents.
[[nodiscard]] int run_compare(const CompareArgs& a);

}  // namespace netbench::app
