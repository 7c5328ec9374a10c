#include "netbench/repeat_rule.hpp"

#include "netbench/statistics.hpp"

namespace netbench {

RepeatPolicy fixed_repeat(std::size_t runs) noexcept {
  RepeatPolicy p;
  p.min_runs = runs;
  p.max_runs = runs;
  p.ci_width = 0;
  return p;
}

RepeatPolicy auto_repeat(double ci_width) noexcept {
  RepeatPolicy p;
  p.until_precise = true;
  p.min_runs = 3;
  p.max_runs = 30;
  p.ci_width = ci_width;
  return p;
}

RepeatStatus repeat_status(std::span<const double> values, const RepeatPolicy& policy) {
  RepeatStatus s;
  if (values.size() >= 2) {
    s.width = stats::relative_half_width(stats::mean_ci(values, 0.95));
  }
  s.reached = policy.until_precise && s.width && *s.width <= policy.ci_width;
  if (values.size() < policy.min_runs) {
    s.more = true;
  } else if (values.size() >= policy.max_runs) {
    s.more = false;
  } else {
    s.more = policy.until_precise && !s.reached;
  }
  return s;
}

}  // namespace netbench
