#include "app/cli.hpp"

#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>

#include "netbench/version.hpp"

namespace netbench::app {

int run_cli(int argc, char** argv) noexcept {
  try {
    CLI::App app{"netbench: TCP vs UDP network benchmark"};
    app.set_version_flag("--version", std::string("netbench ") + kVersion);
    CLI11_PARSE(app, argc, argv);
    std::printf("%s\n", app.help().c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "netbench: %s\n", e.what());
    return 1;
  }
}

}  // namespace netbench::app
