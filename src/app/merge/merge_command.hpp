#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}  // namespace CLI

namespace netbench::app {

/// Raw flags of `netbench merge A.json B.json ... [-o FLEET.json]`.
struct MergeArgs {
  std::vector<std::string> inputs;
  std::string output;  ///< -o: the merged document's file; empty = none
  bool json = false;   ///< the merged document on stdout instead of the text
  bool force = false;  ///< merge differing configurations and incomplete runs
  bool quiet = false;  ///< no text summary
};

/// Adds the `merge` subcommand to `app`, bound to `a`; returns it.
CLI::App* add_merge_command(CLI::App& app, MergeArgs& a);

/// Runs `netbench merge`: kExitOk; throws UsageError (one line, naming the
/// document) for unreadable documents and refused merges.
[[nodiscard]] int run_merge(const MergeArgs& a);

}  // namespace netbench::app
