// libFuzzer target: the sender's part of a result as the client of a remote
// --reverse run reads it (sender_codec.hpp). The input is JSON-parsed
// without exceptions, then read
//  1. whole through sender_part_from_json into a result that already holds
//     a sender and a receiver part: a refusal must say why and leave the
//     result exactly as it was; what decodes must encode to a document that
//     decodes again to the very same document (the form is exact);
//  2. whole, and each element of its "intervals", through
//     interval_from_json, with the same promises.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "app/control/result_codec.hpp"
#include "app/control/sender_codec.hpp"
#include "netbench/results.hpp"

namespace {

using nlohmann::json;

/// A result with something in each part, so that "unchanged" means something.
netbench::RunResult filled() {
  netbench::RunResult r;
  r.message_bytes = 64;
  r.sender_flows.resize(2);
  r.sender_flows[1].flow_id = 1;
  r.send_loops.push_back({-1, 2, 10, {}});
  r.intervals.push_back({0, 5, 1, 64, 1, 64, 0, 0, 1, 7, 9, false});
  r.warnings.emplace_back("kept");
  r.latency.record(1'000);
  r.receiver_flows.resize(3);
  r.delay_variation.record(17);
  return r;
}

void sender_part(const json& j) {
  static const netbench::RunResult kFilled = filled();
  static const json kSenderBefore = netbench::app::sender_part_to_json(kFilled);
  static const json kReceiverBefore = netbench::app::receiver_part_to_json(kFilled);
  netbench::RunResult r = kFilled;
  std::string error;
  if (!netbench::app::sender_part_from_json(j, r, error)) {
    if (error.empty() || netbench::app::sender_part_to_json(r) != kSenderBefore ||
        netbench::app::receiver_part_to_json(r) != kReceiverBefore) {
      std::abort();  // a refusal says why and changes nothing
    }
    return;
  }
  if (!error.empty() || r.receiver_flows.size() != 3 ||
      !(r.delay_variation == kFilled.delay_variation)) {
    std::abort();  // success clears the error and leaves the receiver part
  }
  const json once = netbench::app::sender_part_to_json(r);
  netbench::RunResult again;
  if (!netbench::app::sender_part_from_json(json::parse(once.dump()), again, error) ||
      netbench::app::sender_part_to_json(again) != once) {
    std::abort();
  }
}

void interval(const json& j) {
  const netbench::IntervalRecord before{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, true};
  netbench::IntervalRecord r = before;
  std::string error;
  if (!netbench::app::interval_from_json(j, r, error)) {
    if (error.empty() ||
        netbench::app::interval_to_json(r) != netbench::app::interval_to_json(before)) {
      std::abort();
    }
    return;
  }
  if (r.end_ns < r.start_ns) {
    std::abort();
  }
  const json once = netbench::app::interval_to_json(r);
  netbench::IntervalRecord again;
  if (!netbench::app::interval_from_json(once, again, error) ||
      netbench::app::interval_to_json(again) != once) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) {
    return 0;
  }
  sender_part(j);
  interval(j);
  if (j.is_object()) {
    if (const auto it = j.find("intervals"); it != j.end() && it->is_array()) {
      for (const json& i : *it) {
        interval(i);
      }
    }
  }
  return 0;
}
