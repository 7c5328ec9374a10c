#include "app/cli/cli.hpp"

int main(int argc, char** argv) { return netbench::app::run_cli(argc, argv); }
