#include "app/cli/fanout_args.hpp"

#include <net/if.h>

#include <sstream>

#include <CLI/CLI.hpp>

#include "app/cli/exit_codes.hpp"

namespace netbench::app {

void add_fanout_options(CLI::App& app, RunArgs& a) {
  app.add_option("--receivers", a.receivers,
                 "fan-out (UDP stream): N receivers get every datagram, each reported apart "
                 "and in aggregate; needs --multicast or --broadcast")
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
