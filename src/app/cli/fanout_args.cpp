#include "app/cli/fanout_args.hpp"

#include <net/if.h>

#include <algorithm>
#include <sstream>
#include <string>

#include <CLI/CLI.hpp>

#include "app/cli/exit_codes.hpp"

namespace netbench::app {
namespace {

/// `--connect A,B,C`: each server is one receiver of the fan-out.
void remote_fanout_of(const RunArgs& a, TestSpec& s) {
  if (a.connect.empty()) {
    return;
  }
  const auto servers =
      static_cast<std::uint32_t>(1 + std::count(a.connect.begin(), a.connect.end(), ','));
  const std::string listed = std::to_string(servers) + " servers";
  if (servers > 1 && !s.fanout()) {
    throw UsageError("--connect lists " + listed +
                     ": a list is a remote fan-out, add --multicast GROUP or --broadcast (or "
                     "give one server)");
  }
  if (!s.fanout()) {
    return;
  }
  if (a.receivers_given && a.receivers != servers) {
    throw UsageError("--receivers " + std::to_string(a.receivers) + " but --connect lists " +
                     (servers == 1 ? std::string("1 server") : listed) +
                     ": with --connect each server is one receiver; drop --receivers");
  }
  if (!a.receiver_dev.empty()) {
    throw UsageError(
        "--receiver-dev places the receivers of this process; each netbench serve of --connect "
        "joins on the interface this host reaches it by: drop --receiver-dev");
  }
  s.receivers = servers;
}

}  // namespace

void add_fanout_options(CLI::App& app, RunArgs& a) {
  app.add_option_function<std::uint32_t>(
         "--receivers",
         [&a](std::uint32_t n) {
           a.receivers = n;
           a.receivers_given = true;
         },
         "fan-out (UDP stream): N receivers get every datagram, each reported apart and in "
         "aggregate; needs --multicast or --broadcast (with --connect A,B,C: one per server)")
      ->type_name("N");
  app.add_option("--multicast", a.multicast,
                 "fan-out: send every flow to this IPv4 multicast group, e.g. 239.1.2.3; the "
                 "receivers join it on the interface of --bind (default 127.0.0.1)")
      ->type_name("GROUP");
  app.add_flag("--broadcast", a.broadcast,
               "fan-out: send every flow to the broadcast address of the subnet of --bind "
               "(127.255.255.255 on loopback); the receivers listen there");
  app.add_option("--receiver-dev", a.receiver_dev,
                 "fan-out: receiver i listens on (SO_BINDTODEVICE) and joins on the i-th "
                 "interface of this comma list, one per receiver (default: --bind-dev, or the "
                 "interface of --bind)")
      ->type_name("IF,IF,...");
}

void fanout_options_of(const RunArgs& a, TestSpec& s) {
  s.receivers = a.receivers;
  s.multicast_group = a.multicast;
  s.broadcast = a.broadcast;
  s.receiver_devices.clear();
  remote_fanout_of(a, s);
  if (a.receiver_dev.empty()) {
    return;
  }
  std::istringstream in(a.receiver_dev);
  std::string dev;
  while (std::getline(in, dev, ',')) {
    if (dev.empty() || dev.size() >= kMaxInterfaceNameBytes || ::if_nametoindex(dev.c_str()) == 0) {
      throw UsageError("--receiver-dev '" + dev +
                       "' is not an interface of this host; 'ip link' lists them (e.g. lo, eth0)");
    }
    s.receiver_devices.push_back(dev);
  }
}

}  // namespace netbench::app
