#include "app/compare/compare_command.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "app/cli/exit_codes.hpp"
#include "app/compare/compare.hpp"
#include "app/repeat/repeat_args.hpp"

namespace netbench::app {

CLI::App* add_compare_command(CLI::App& app, CompareArgs& a) {
  CLI::App* c = app.add_subcommand(
      "compare",
      "compares two netbench documents (single runs, --repeat runs or sweeps): matches points by "
      "configuration, and per point and metric prints both medians, the change and its 95% CI, "
      "the Mann-Whitney U p-value and a verdict; exit code 6 when a metric got significantly "
      "worse beyond --threshold");
  c->add_option("BASE", a.base, "the baseline document")->required();
  c->add_option("NEW", a.candidate, "the document to judge against it")->required();
  c->add_option("--alpha", a.alpha, "significance level of the U test")->capture_default_str();
  c->add_option("--threshold", a.threshold,
                "smallest change that counts, e.g. 5% (0 = any significant change)")
      ->capture_default_str();
  c->add_flag("--json", a.json, "write the comparison as JSON on stdout");
  c->add_option("--base-filter", a.base_filter,
                "only BASE's points whose config has KEY=VALUE[,KEY=VALUE] (e.g. model=select); "
                "the keys filtered on are not matched, so BASE and NEW may be one sweep");
  c->add_option("--new-filter", a.new_filter, "the same for NEW's points (e.g. model=epoll)");
  return c;
}

int run_compare(const CompareArgs& a) {
  CompareOptions o;
  const auto alpha = parse_fraction(a.alpha);
  if (!alpha || !(*alpha > 0 && *alpha < 1)) {
    throw UsageError("--alpha '" + a.alpha + "' must be above 0 and below 1, e.g. 0.05");
  }
  const auto threshold = parse_fraction(a.threshold);
  if (!threshold || !(*threshold >= 0 && *threshold < 10)) {
    throw UsageError("--threshold '" + a.threshold + "' must be a fraction or percentage, e.g. 5%");
  }
  o.alpha = *alpha;
  o.threshold = *threshold;
  std::string why;
  const auto base_filter = PointFilter::parse(a.base_filter, why);
  if (!base_filter) {
    throw UsageError("--base-filter: " + why);
  }
  const auto new_filter = PointFilter::parse(a.new_filter, why);
  if (!new_filter) {
    throw UsageError("--new-filter: " + why);
  }
  const auto keys_of = [](const PointFilter& f) {
    std::vector<std::string> keys;
    for (const auto& kv : f.equals) {
      keys.push_back(kv.first);
    }
    std::sort(keys.begin(), keys.end());
    return keys;
  };
  if (keys_of(*base_filter) != keys_of(*new_filter)) {
    throw UsageError(
        "--base-filter and --new-filter must name the same keys (e.g. model=select and "
        "model=epoll): a key filtered on one side only leaves no point to match");
  }
  CompareInput base;
  CompareInput candidate;
  try {
    base = load_compare_input(a.base, *base_filter);
    candidate = load_compare_input(a.candidate, *new_filter);
  } catch (const std::runtime_error& e) {
    throw UsageError(std::string("compare: ") + e.what());
  }
  const CompareReport r = compare_inputs(base, candidate, o);
  if (a.json) {
    std::printf("%s\n", compare_json(r).dump(2).c_str());
  } else {
    print_compare_table(stdout, r);
  }
  return r.worse ? kExitWorse : kExitOk;
}

}  // namespace netbench::app
