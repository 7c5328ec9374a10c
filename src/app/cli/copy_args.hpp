#pragma once

#include "app/cli/run_args.hpp"
#include "netbench/test_spec.hpp"

namespace CLI {
class App;
}  // namespace CLI

namespace netbench::app {

/// Registers --zerocopy and --skip-rx-copy on `app`, bound to `a`.
void add_copy_options(CLI::App& app, RunArgs& a);

/// Puts --zerocopy and --skip-rx-copy of `a` into `s` (after its proto,
/// model and mode are set). A sweep point drops them where they cannot
/// apply (--skip-rx-copy on echo points or the uring model, --zerocopy on
/// connect points), as it drops --batch for TCP; a single run leaves the
/// refusal to validate(), which names the flag.
void copy_options_of(const RunArgs& a, TestSpec& s);

}  // namespace netbench::app
