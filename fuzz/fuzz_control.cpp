// libFuzzer target: the control protocol as `netbench serve` and the client
// read it. The input is taken three ways:
//  1. as the body of one control message: JSON-parsed without exceptions,
//     then its "config" through spec_from_json and its "receiver" through
//     receiver_part_from_json, as the server and the client do;
//  2. as a raw byte stream on a control connection: ControlChannel::receive
//     frames it (length prefix, bound, JSON) until it ends;
//  3. as the same byte stream fed to ControlFrameReader (how `netbench serve`
//     reads a hello and a test) in chunks whose sizes come from the input:
//     it must frame exactly the messages ControlChannel does, fail where
//     it fails, and never ask for a byte past the current message;
//  4. as a LatencyHistogram serialization.
// Every control message decoder (messages.hpp) sees each message too.
// Whatever decodes must encode back to something that decodes again.
#include <sys/socket.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/control/base64.hpp"
#include "app/control/control_channel.hpp"
#include "app/control/control_frame_reader.hpp"
#include "app/control/messages.hpp"
#include "app/control/result_codec.hpp"
#include "app/control/spec_codec.hpp"
#include "netbench/fd.hpp"
#include "netbench/latency_histogram.hpp"
#include "netbench/results.hpp"
#include "netbench/test_spec.hpp"

namespace {

using netbench::app::receiver_part_from_json;
using netbench::app::receiver_part_to_json;
using netbench::app::spec_from_json;

/// A message that decodes as M encodes back to one that decodes again; a
/// refusal always says why.
template <typename M>
void round_trip(const nlohmann::json& j) {
  M m;
  std::string error;
  if (netbench::app::decode(j, m, error)) {
    M again;
    if (!netbench::app::decode(netbench::app::encode(m), again, error)) {
      std::abort();
    }
  } else if (error.empty()) {
    std::abort();
  }
}

/// What the server and the client do with one received message.
void handle_message(nlohmann::json& j) {
  if (!j.is_object()) {
    return;
  }
  round_trip<netbench::app::Hello>(j);
  round_trip<netbench::app::Test>(j);
  round_trip<netbench::app::Ready>(j);
  round_trip<netbench::app::Registered>(j);
  round_trip<netbench::app::Poll>(j);
  round_trip<netbench::app::Live>(j);
  round_trip<netbench::app::Done>(j);
  round_trip<netbench::app::Result>(j);
  round_trip<netbench::app::Error>(j);
  // The server reads fields with operator[] on a mutable object, as here.
  (void)(j["type"] == "test");
  (void)j.contains("version");
  std::string error;
  if (j.contains("config")) {
    netbench::TestSpec spec;
    if (spec_from_json(j["config"], spec, error)) {
      // A spec that was accepted writes out as a config that is accepted.
      netbench::TestSpec again;
      if (!spec_from_json(netbench::app::spec_to_json(spec), again, error)) {
        std::abort();
      }
    }
  }
  if (j.contains("receiver")) {
    netbench::RunResult r;
    if (receiver_part_from_json(j["receiver"], r, error)) {
      netbench::RunResult again;
      if (!receiver_part_from_json(receiver_part_to_json(r), again, error)) {
        std::abort();
      }
    } else if (error.empty()) {
      std::abort();  // a refusal always says why
    }
  }
  if (j.contains("latency") && j["latency"].is_string()) {
    // The live poll reply: a base64 histogram.
    if (const auto bytes = netbench::app::unbase64(j["latency"].get<std::string>())) {
      (void)netbench::LatencyHistogram::deserialize(*bytes);
    }
  }
}

/// Frames `in` with ControlFrameReader, `chunk`-sized feeds at a time (1..
/// 64 bytes, varying), as the server's accept loop does; returns the
/// messages it framed, and whether it ended in a failure.
std::vector<nlohmann::json> reader_messages(std::span<const std::byte> in, bool& failed) {
  netbench::app::ControlFrameReader reader(netbench::app::kMaxControlBytes);
  std::vector<nlohmann::json> out;
  std::size_t off = 0;
  std::size_t step = 0;
  failed = false;
  while (off < in.size() && out.size() < 64) {
    const std::size_t want = reader.wanted();
    if (want == 0) {
      std::abort();  // a partial reader always wants more
    }
    const std::size_t chunk =
        std::min({want, in.size() - off,
                  std::size_t{1} + (std::to_integer<std::size_t>(in[step % in.size()]) % 64)});
    ++step;
    if (reader.feed(in.subspan(off, chunk)) != chunk) {
      std::abort();  // at most wanted() bytes are offered, so all are used
    }
    off += chunk;
    using State = netbench::app::ControlFrameReader::State;
    if (reader.state() == State::kFailed) {
      failed = true;
      return out;
    }
    if (reader.state() == State::kComplete) {
      auto msg = reader.take();
      if (!msg) {
        if (reader.error().empty() || reader.state() != State::kFailed) {
          std::abort();
        }
        failed = true;
        return out;
      }
      out.push_back(std::move(*msg));
    }
  }
  return out;
}

/// Frames `in` as a control connection would carry it.
void frame_stream(std::span<const std::byte> in) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0) {
    return;
  }
  netbench::Fd writer(sv[1]);
  netbench::app::ControlChannel ch{netbench::Fd(sv[0])};
  std::size_t off = 0;
  while (off < in.size()) {
    const ssize_t n = ::send(writer.get(), in.data() + off, in.size() - off, MSG_NOSIGNAL);
    if (n <= 0) {
      break;  // socket buffer full: fuzz only what fits
    }
    off += static_cast<std::size_t>(n);
  }
  writer.reset();  // EOF after the input
  std::string error;
  bool reader_failed = false;
  const std::vector<nlohmann::json> framed = reader_messages(in.first(off), reader_failed);
  std::size_t received = 0;
  for (int i = 0; i < 64; ++i) {
    auto msg = ch.receive(50, error);
    if (!msg) {
      if (error.empty()) {
        std::abort();
      }
      break;
    }
    // Both framings agree message for message.
    if (received >= framed.size() || framed[received] != *msg) {
      std::abort();
    }
    ++received;
    if (!msg->is_object() || !msg->contains("type") || !(*msg)["type"].is_string()) {
      std::abort();  // receive promises an object with a string "type"
    }
    handle_message(*msg);
  }
  if (received < 64 && received != framed.size()) {
    std::abort();  // the reader framed a message the channel did not
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_discarded()) {
    handle_message(j);
  }

  frame_stream(bytes);

  if (const auto h = netbench::LatencyHistogram::deserialize(bytes)) {
    const auto again = netbench::LatencyHistogram::deserialize(h->serialize());
    if (!again || !(*again == *h)) {
      std::abort();
    }
  }
  return 0;
}
