#pragma once

namespace netbench::app {

/// Parses the command line, runs what it asks and returns the process exit
/// code (see README, "Exit codes"). Never throws.
int run_cli(int argc, char** argv) noexcept;

}  // namespace netbench::app
