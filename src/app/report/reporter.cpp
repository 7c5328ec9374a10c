#include "app/report/reporter.hpp"

namespace netbench::app {

RunHooks run_hooks(Reporter& reporter, const TestSpec& spec) {
  RunHooks h;
  h.on_start = [&reporter, &spec] { reporter.on_start(spec); };
  h.on_interval = [&reporter](const IntervalRecord& r) { reporter.on_interval(r); };
  return h;
}

}  // namespace netbench::app
