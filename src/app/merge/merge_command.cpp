#include "app/merge/merge_command.hpp"

#include <cstdio>
#include <stdexcept>

#include <CLI/CLI.hpp>

#include "app/cli/exit_codes.hpp"
#include "app/merge/fleet.hpp"
#include "app/merge/fleet_report.hpp"
#include "app/report/read_document.hpp"
#include "app/report/write_document.hpp"

namespace netbench::app {

CLI::App* add_merge_command(CLI::App& app, MergeArgs& a) {
  CLI::App* m = app.add_subcommand(
      "merge",
      "merges the documents of many runs of one test plan (several clients against one server, "
      "or many pairs) into one: counts summed, latency histograms merged exactly, the spread "
      "over the runs and Jain's fairness, every run and host kept");
  m->add_option("DOCUMENTS", a.inputs, "single-run documents (-o of each client), two or more")
      ->required();
  m->add_option("-o,--output", a.output, "write the merged document to this file");
  m->add_flag("--json", a.json, "write the merged document to stdout instead of the summary");
  m->add_flag("--force", a.force,
              "merge runs whose configurations differ, or that are incomplete (recorded in "
              "the document and warned about)");
  m->add_flag("-q,--quiet", a.quiet, "no summary");
  return m;
}

int run_merge(const MergeArgs& a) {
  std::vector<FleetInput> inputs;
  try {
    for (const std::string& path : a.inputs) {
      inputs.push_back({path, read_document(path)});
    }
  } catch (const std::runtime_error& e) {
    throw UsageError(std::string("merge: ") + e.what());
  }
  Fleet fleet;
  try {
    fleet = merge_fleet(inputs, a.force);
  } catch (const MergeError& e) {
    throw UsageError(std::string("merge: ") + e.what());
  }
  const nlohmann::json doc = fleet_document(fleet);
  write_document(doc, a.json, a.output);
  if (!a.json && !a.quiet) {
    print_fleet_summary(stdout, fleet);
  }
  for (const std::string& w : fleet.warnings) {
    if (a.json || a.quiet) {
      std::fprintf(stderr, "netbench merge: warning: %s\n", w.c_str());
    }
  }
  return kExitOk;
}

}  // namespace netbench::app
