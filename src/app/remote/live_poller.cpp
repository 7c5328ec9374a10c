#include "app/remote/live_poller.hpp"

#include <utility>

#include "app/control/messages.hpp"
#include "app/remote/client_checks.hpp"
#include "app/remote/control_calls.hpp"

namespace netbench::app {

void LivePoller::poll() {
  if (!failed_.empty() || stopped_) {
    return;
  }
  std::string err;
  const auto wait_ms = static_cast<int>(reply_deadline(spec_).count());
  if (!ch_.send(encode(Poll{}), wait_ms, err)) {
    failed_ = peer_ + " gone during the test: " + err;
    return;
  }
  ch_.set_max_receive(max_live_message_bytes());
  const auto reply = ch_.receive(wait_ms, err);
  Live live;
  if (!reply) {
    failed_ = "no usable answer from the " + peer_ + " during the test: " + err;
  } else if (has_type(*reply, "stop")) {
    stopped_ = true;
  } else if (has_type(*reply, "error")) {
    failed_ = peer_error(peer_, *reply);
  } else if (!decode(*reply, live, err)) {
    failed_ = peer_ + " sent a bad live message: " + err;
  } else if (err = check_live(spec_, last_, live.totals); !err.empty()) {
    failed_ = peer_ + " sent impossible live figures: " + err;
  } else {
    last_ = live.totals;
    // Each reply holds the samples since the previous poll: add them up
    // until the reporter takes the interval's histogram.
    last_latency_.merge(live.latency);
  }
}

LatencyHistogram LivePoller::take_latency() noexcept { return std::exchange(last_latency_, {}); }

nlohmann::json live_reply(Receiver& rx) {
  Live live;
  live.totals = rx.live();
  live.latency = rx.take_interval_latency();
  return encode(live);
}

}  // namespace netbench::app
