#include "app/report/fanout_json.hpp"

#include "app/report/json_report.hpp"
#include "netbench/summary.hpp"

namespace netbench::app {

using nlohmann::json;

json fanout_config_json(const TestSpec& spec) {
  if (!spec.fanout()) {
    return nullptr;
  }
  return {{"method", spec.broadcast ? "broadcast" : "multicast"},
          {"group", spec.broadcast ? json(nullptr) : json(spec.multicast_group)},
          {"receivers", spec.receivers},
          {"receiver_devices", spec.receiver_devices}};
}

json fanout_json(const RunResult& r) {
  if (r.fanout.empty()) {
    return nullptr;
  }
  const bool listed = r.spec.per_flow_output() == PerFlowOutput::kFull;
  json receivers = json::array();
  for (std::size_t k = 0; k < r.fanout.size(); ++k) {
    const FanoutReceiver& rx = r.fanout[k];
    const RunResult view = fanout_receiver_view(r, k);
    receivers.push_back({{"index", rx.index},
                         {"device", rx.device.empty() ? json(nullptr) : json(rx.device)},
                         {"host", rx.host.empty() ? json(nullptr) : json(rx.host)},
                         {"error", rx.error},
                         {"receiver", receiver_json(view, summarize(view), listed)},
                         {"one_way_delay", latency_summary_json(rx.latency)},
                         {"delay_variation", latency_summary_json(rx.delay_variation)}});
  }
  return {{"receivers", receivers}};
}

}  // namespace netbench::app
