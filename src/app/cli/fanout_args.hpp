#pragma once

#include "app/cli/run_args.hpp"
#include "netbench/test_spec.hpp"

namespace CLI {
class App;
}  // namespace CLI

namespace netbench::app {

/// Registers --receivers, --multicast, --broadcast and --receiver-dev on
/// `app`, bound to `a`.
void add_fanout_options(CLI::App& app, RunArgs& a);

/// Puts the fan-out flags of `a` into `s`. Throws UsageError naming the
/// flag when --receiver-dev names an interface this host lacks; the rest
/// (what fan-out cannot go with) is validate()'s.
void fanout_options_of(const RunArgs& a, TestSpec& s);

}  // namespace netbench::app
