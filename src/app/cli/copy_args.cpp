#include "app/cli/copy_args.hpp"

#include <CLI/CLI.hpp>

namespace netbench::app {

void add_copy_options(CLI::App& app, RunArgs& a) {
  app.add_flag("-Z,--zerocopy", a.zerocopy,
               "sender: MSG_ZEROCOPY sends (SO_ZEROCOPY), completions reaped from the error "
               "queue and reported (zero-copy vs copied; loopback always copies)");
  app.add_flag("--skip-rx-copy", a.skip_rx_copy,
               "receiver, stream mode: read each message's header only and discard its payload "
               "with MSG_TRUNC (no copy to user space); not with --model uring");
}

void copy_options_of(const RunArgs& a, TestSpec& s) {
  s.zerocopy = a.zerocopy && !(a.sweep_point && s.mode == Mode::kConnect);
  s.skip_rx_copy = a.skip_rx_copy &&
                   !(a.sweep_point && (s.mode != Mode::kStream || s.model == ModelKind::kUring));
}

}  // namespace netbench::app
