#include "measure/run_warnings.hpp"

#include <algorithm>
#include <array>
#include <cstdio>

namespace netbench {

std::vector<std::string> pacing_warnings(const RunResult& r) {
  std::vector<std::string> out;
  const double target = r.pacing.target_msgs_per_s;
  if (target <= 0 || r.pacing.sends < 2) {
    return out;
  }
  std::array<char, 256> line{};
  const double achieved = r.pacing.achieved_msgs_per_s();
  if (achieved < kAchievedRateFloor * target) {
    std::snprintf(line.data(), line.size(),
                  "achieved %.0f msg/s, %.1f%% of the target %.0f msg/s: the sender could not "
                  "keep up",
                  achieved, 100.0 * achieved / target, target);
    out.emplace_back(line.data());
  }
  const double flows = std::max<double>(r.spec.flows, 1);
  const auto interval =
      std::max(static_cast<std::uint64_t>(1e9 * flows / target), kLatenessFloorNs);
  const std::uint64_t worst = r.pacing.lateness.max();
  if (worst > interval) {
    std::snprintf(
        line.data(), line.size(),
        "the sender fell %.3f ms behind its schedule, more than a flow's send interval (%.3f ms)",
        static_cast<double>(worst) / 1e6, static_cast<double>(interval) / 1e6);
    out.emplace_back(line.data());
  }
  return out;
}

}  // namespace netbench
