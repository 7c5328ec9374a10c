#include "app/cli.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>

#include <CLI/CLI.hpp>

#include "app/exit_codes.hpp"
#include "app/json_report.hpp"
#include "app/remote_client.hpp"
#include "app/serve.hpp"
#include "app/text_report.hpp"
#include "app/units.hpp"
#include "netbench/error.hpp"
#include "netbench/paired_run.hpp"
#include "netbench/plain_echo.hpp"
#include "netbench/plain_echo_server.hpp"
#include "netbench/version.hpp"

namespace netbench::app {
namespace {

constexpr int kDefaultServePort = 5201;

[[noreturn]] void usage_error(const std::string& text) { throw UsageError(text); }

/// Raw command-line values before they are checked and turned into a spec.
struct Args {
  std::string proto = "tcp";
  std::string model = "epoll";
  std::string mode = "stream";
  std::string pattern = "constant";
  std::uint32_t flows = 1;
  std::string size;
  std::string rate;
  std::string bitrate;
  std::string duration = "5s";
  std::uint64_t count = 0;
  std::string warmup = "0s";
  std::string interval = "1s";
  std::uint32_t outstanding = 1;
  std::uint32_t threads = 1;
  std::uint32_t batch = 1;
  bool v4 = false;
  bool v6 = false;
  std::string buffer;
  std::string bind;
  int port = 0;
  bool json = false;
  std::string output;
  bool quiet = false;
  std::string connect;      ///< HOST[:PORT] of a netbench serve; empty = paired run
  bool plain_echo = false;  ///< --connect names a foreign RFC 862 echo server
};

/// Splits "host", "host:port", "[v6]:port" or a bare IPv6 address.
std::pair<std::string, std::uint16_t> split_host_port(const std::string& text,
                                                      std::uint16_t fallback) {
  std::string host = text;
  std::string port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos) {
      usage_error("--connect '" + text + "': missing ']'");
    }
    host = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') {
        usage_error("--connect '" + text + "': expected [ADDRESS]:PORT");
      }
      port = text.substr(close + 2);
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    host = text.substr(0, text.find(':'));
    port = text.substr(text.find(':') + 1);
  }
  if (host.empty()) {
    usage_error("--connect '" + text + "': no host");
  }
  if (port.empty()) {
    return {host, fallback};
  }
  char* end = nullptr;
  const unsigned long p = std::strtoul(port.c_str(), &end, 10);
  if (end == port.c_str() || *end != '\0' || p == 0 || p > 65535) {
    usage_error("--connect '" + text + "': port must be 1-65535");
  }
  return {host, static_cast<std::uint16_t>(p)};
}

template <typename E>
E parse_enum(const std::string& flag, const std::string& text, const char* choices) {
  E out{};
  if (!parse(text, out)) {
    usage_error(flag + " '" + text + "' is not one of " + choices);
  }
  return out;
}

std::uint64_t duration_of(const std::string& flag, const std::string& text, bool allow_zero) {
  const auto ns = parse_duration_ns(text);
  if (!ns || (!allow_zero && *ns == 0)) {
    usage_error(flag + " '" + text + "' is not a " + (allow_zero ? "" : "positive ") +
                "duration; use e.g. 5s, 250ms");
  }
  return *ns;
}

TestSpec make_spec(const Args& a) {
  TestSpec s;
  s.proto = parse_enum<Proto>("--proto", a.proto, "tcp, udp");
  s.model = parse_enum<ModelKind>("--model", a.model, "thread, select, poll, epoll");
  s.mode = parse_enum<Mode>("--mode", a.mode, "stream, echo");
  s.pattern = parse_enum<Pattern>("--pattern", a.pattern, "constant, poisson");
  s.flows = a.flows;
  if (!a.size.empty()) {
    const auto size = parse_size(a.size);
    if (!size || *size == 0 || *size > UINT32_MAX) {
      usage_error("--size '" + a.size + "' is not a message size; use e.g. 64, 1400, 128KiB");
    }
    s.size_bytes = static_cast<std::uint32_t>(*size);
  }
  if (!a.rate.empty() && !a.bitrate.empty()) {
    usage_error("give --rate or --bitrate, not both");
  }
  if (!a.rate.empty()) {
    const auto rate = parse_rate(a.rate);
    if (!rate || *rate <= 0) {
      usage_error("--rate '" + a.rate + "' is not a positive message rate; use e.g. 100k");
    }
    s.rate_msgs_per_s = *rate;
  }
  if (!a.bitrate.empty()) {
    const auto bits = parse_rate(a.bitrate);
    if (!bits || *bits <= 0) {
      usage_error("--bitrate '" + a.bitrate + "' is not a positive bit rate; use e.g. 500M, 10G");
    }
    s.rate_msgs_per_s = *bits / (8.0 * s.message_bytes());
  }
  s.duration_ns = duration_of("--duration", a.duration, false);
  s.count = a.count;
  s.warmup_ns = duration_of("--warmup", a.warmup, true);
  s.interval_ns = duration_of("--interval", a.interval, false);
  s.outstanding = a.outstanding;
  s.threads = a.threads;
  s.batch = a.batch;
  if (a.v4 && a.v6) {
    usage_error("give -4 or -6, not both");
  }
  s.family = a.v4 ? Family::kV4 : a.v6 ? Family::kV6 : Family::kAny;
  if (!a.buffer.empty()) {
    const auto bytes = parse_size(a.buffer);
    if (!bytes || *bytes == 0 || *bytes > (1U << 30)) {
      usage_error("--buffer '" + a.buffer +
                  "' is not a socket buffer size up to 1GiB; use e.g. 4MiB");
    }
    s.socket_buffer_bytes = static_cast<std::uint32_t>(*bytes);
  }
  s.bind_address = a.bind;
  if (a.port < 0 || a.port > 65535) {
    usage_error("--port " + std::to_string(a.port) + " is out of range 0-65535");
  }
  s.port = static_cast<std::uint16_t>(a.port);
  try {
    validate(s);
  } catch (const ConfigError& e) {
    usage_error(e.what());
  }
  return s;
}

/// Turns SIGINT/SIGTERM into a stop request: the signals are blocked in
/// every thread and one watcher thread waits for them.
class SignalStop {
 public:
  explicit SignalStop(std::stop_source& source) {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
    watcher_ = std::jthread([this, &source](std::stop_token st) {
      const timespec tick{0, 100'000'000};
      while (!st.stop_requested()) {
        const int sig = sigtimedwait(&set_, nullptr, &tick);
        if (sig > 0) {
          signal_ = sig;
          source.request_stop();
          return;
        }
      }
    });
  }
  [[nodiscard]] int signal() const noexcept { return signal_; }

 private:
  sigset_t set_{};
  std::atomic<int> signal_{0};
  std::jthread watcher_;
};

void write_json(const Args& a, const nlohmann::json& doc) {
  const std::string text = doc.dump(2) + "\n";
  if (a.json) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
  }
  if (!a.output.empty()) {
    // Write beside the target and rename: a reader never sees half a document.
    const std::string tmp = a.output + ".tmp";
    {
      std::ofstream f(tmp, std::ios::trunc);
      f << text;
      if (!f.flush()) {
        throw SystemError("write", a.output, errno);
      }
    }
    if (std::rename(tmp.c_str(), a.output.c_str()) != 0) {
      throw SystemError("rename", a.output, errno);
    }
  }
}

/// --json and -o/--output as given on a command line that failed to parse.
Args output_flags(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--json") {
      a.json = true;
    } else if ((arg == "-o" || arg == "--output") && i + 1 < argc) {
      a.output = argv[++i];
    } else if (arg.starts_with("--output=")) {
      a.output = arg.substr(9);
    }
  }
  return a;
}

/// `netbench serve --plain-echo`: echo only, until a signal.
int run_plain_echo_server(const ServeOptions& so, std::stop_token stop) {
  PlainEchoServer server(resolve(so.bind, so.port, so.family, true));
  server.start();
  if (!so.quiet) {
    std::fprintf(stderr, "netbench serve: plain echo (TCP and UDP) on %s\n",
                 server.local().to_string().c_str());
  }
  while (!stop.stop_requested()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  server.stop();
  const PlainEchoCounters c = server.counters();
  if (!so.quiet) {
    std::fprintf(stderr, "netbench serve: echoed %llu TCP bytes, %llu datagrams\n",
                 static_cast<unsigned long long>(c.bytes_echoed),
                 static_cast<unsigned long long>(c.datagrams_echoed));
  }
  return kExitOk;
}

int run_test(const Args& a) {
  std::optional<TestSpec> spec;
  try {
    spec = make_spec(a);
  } catch (const UsageError& e) {
    if (a.json || !a.output.empty()) {
      write_json(a, document(nullptr, e.what()));
    }
    throw;
  }
  const bool human = !a.json && !a.quiet;
  std::FILE* text = stdout;
  std::stop_source stop;
  const SignalStop signals(stop);
  RunHooks hooks;
  if (human) {
    hooks.on_start = [&] {
      print_config(text, *spec);
      print_interval_header(text, *spec);
      std::fflush(text);
    };
    hooks.on_interval = [&](const IntervalRecord& r) {
      print_interval(text, *spec, r);
      std::fflush(text);
    };
  }
  RunResult result;
  try {
    if (a.plain_echo) {
      if (a.connect.empty() || spec->mode != Mode::kEcho) {
        throw UsageError(
            "--plain-echo measures a foreign echo server: give --connect HOST:PORT --mode echo");
      }
      const auto [host, port] = split_host_port(a.connect, 7);
      result =
          run_plain_echo(*spec, resolve(host, port, spec->family, false), hooks, stop.get_token());
    } else if (a.connect.empty()) {
      result = run_paired(*spec, hooks, stop.get_token());
    } else {
      const auto [host, port] = split_host_port(a.connect, kDefaultServePort);
      result = run_remote(*spec, host, port, hooks, stop.get_token());
    }
  } catch (const std::exception& e) {
    if (a.json || !a.output.empty()) {
      write_json(a, document(nullptr, e.what()));
    }
    throw;
  }
  if (signals.signal() != 0) {
    result.complete = false;
    result.error =
        std::string("interrupted by ") + (signals.signal() == SIGINT ? "SIGINT" : "SIGTERM");
  }
  if (human) {
    print_summary(text, result);
  }
  write_json(a, document(run_json(result), result.complete ? "" : result.error));
  if (!result.complete) {
    std::fprintf(stderr, "netbench: run incomplete: %s\n", result.error.c_str());
    return signals.signal() != 0 ? kExitInterrupted : kExitIncomplete;
  }
  return kExitOk;
}

}  // namespace

int run_cli(int argc, char** argv) noexcept {
  try {
    CLI::App app{
        "netbench: TCP vs UDP network benchmark. Runs a paired test over loopback: both "
        "engines in one process, the receiver served by the chosen I/O model."};
    app.set_version_flag("--version", std::string("netbench ") + kVersion);
    Args a;
    app.add_option("--proto", a.proto, "tcp or udp")->capture_default_str();
    app.add_option("--model", a.model, "receiver I/O model: thread, select, poll, epoll")
        ->capture_default_str();
    app.add_option("--mode", a.mode, "stream (one way) or echo (request/response)")
        ->capture_default_str();
    app.add_option("--pattern", a.pattern, "send schedule when rate-limited: constant or poisson")
        ->capture_default_str();
    app.add_option("--flows", a.flows, "TCP connections or UDP flows")->capture_default_str();
    app.add_option("--size", a.size,
                   "message size incl. 40-byte header, e.g. 64, 1400, 128KiB (default: TCP stream "
                   "128KiB, UDP stream 1400, echo 64)");
    app.add_option("--rate", a.rate,
                   "total offered messages/s over all flows, e.g. 100k (default unlimited)");
    app.add_option("--bitrate", a.bitrate,
                   "total offered bits/s, e.g. 500M, 10G (instead of --rate)");
    app.add_option("--duration", a.duration, "measured period, e.g. 5s, 500ms")
        ->capture_default_str();
    app.add_option("--count", a.count,
                   "send this many measured messages in total instead of --duration");
    app.add_option("--warmup", a.warmup, "warm-up period kept out of the statistics")
        ->capture_default_str();
    app.add_option("--interval", a.interval, "reporting interval")->capture_default_str();
    app.add_option("--outstanding", a.outstanding,
                   "echo: requests in flight per flow (closed loop)")
        ->capture_default_str();
    app.add_option("--threads", a.threads, "event loops of select/poll/epoll (SO_REUSEPORT)")
        ->capture_default_str();
    app.add_option("--buffer", a.buffer,
                   "socket send and receive buffer of every data socket, e.g. 4MiB (default: "
                   "kernel's; as root beyond net.core.rmem_max)");
    app.add_option("--batch", a.batch,
                   "UDP: send up to this many due datagrams per sendmmsg() call (receivers always "
                   "take up to 32 per recvmmsg())")
        ->capture_default_str();
    app.add_flag("-4", a.v4, "IPv4 (127.0.0.1)");
    app.add_flag("-6", a.v6, "IPv6 (::1)");
    app.add_option("--bind", a.bind, "receiver address (default loopback)");
    app.add_option("--port", a.port, "receiver port (default: any free port)");
    app.add_flag("--json", a.json, "write the result as JSON (schema netbench/1) to stdout");
    app.add_option("-o,--output", a.output, "write the JSON result to this file");
    app.add_flag("-q,--quiet", a.quiet, "no interval lines or summary");
    app.add_flag("--plain-echo", a.plain_echo,
                 "with --connect and --mode echo: measure any RFC 862 echo server (client-side "
                 "figures only; port 7 by default)");
    app.add_option("--connect", a.connect,
                   "run as the sender against 'netbench serve' at HOST[:PORT] (default port 5201)");

    ServeOptions so;
    std::string serve_bind;
    int serve_port = kDefaultServePort;
    std::string idle = "30s";
    std::string max_duration = "600s";
    bool serve_v4 = false;
    bool serve_v6 = false;
    CLI::App* serve = app.add_subcommand(
        "serve",
        "receiver daemon: serves test after test from 'netbench --connect' clients, one at a time");
    serve->add_option("--bind", serve_bind,
                      "address to listen on (default: every address, dual-stack)");
    serve
        ->add_option("--port", serve_port, "control port (TCP); 0 = any free port, logged at start")
        ->capture_default_str();
    serve->add_flag("-4", serve_v4, "IPv4 only");
    serve->add_flag("-6", serve_v6, "IPv6 only");
    serve->add_option("--idle-timeout", idle, "longest wait for a client message")
        ->capture_default_str();
    serve->add_option("--max-flows", so.max_flows, "most flows a test may ask for")
        ->capture_default_str();
    serve
        ->add_option("--max-duration", max_duration,
                     "longest test (warm-up + duration) a client may ask for")
        ->capture_default_str();
    serve->add_option("--max-tests", so.max_tests, "exit after serving this many tests (0 = never)")
        ->capture_default_str();
    serve->add_flag("-q,--quiet", so.quiet, "no log lines");
    bool serve_plain_echo = false;
    serve->add_flag("--plain-echo", serve_plain_echo,
                    "serve only as a plain RFC 862 echo server (TCP and UDP) on --bind/--port, for "
                    "foreign clients; off by default since an open UDP echo can reflect traffic");
    try {
      app.parse(argc, argv);
    } catch (const CLI::Success& e) {
      return app.exit(e);
    } catch (const CLI::ParseError& e) {
      // The parse failed, so a and its --json / -o are not set: look for
      // them by hand, since the document must be written on every path.
      const std::string text = std::string(e.what()) + " (see netbench --help)";
      std::fprintf(stderr, "netbench: %s\n", text.c_str());
      write_json(output_flags(argc, argv), document(nullptr, text));
      return kExitUsage;
    }
    if (serve->parsed()) {
      if (serve_port < 0 || serve_port > 65535) {
        usage_error("serve --port " + std::to_string(serve_port) + " is out of range 0-65535");
      }
      if (serve_v4 && serve_v6) {
        usage_error("give -4 or -6, not both");
      }
      so.bind = serve_bind;
      so.port = static_cast<std::uint16_t>(serve_port);
      so.family = serve_v4 ? Family::kV4 : serve_v6 ? Family::kV6 : Family::kAny;
      const std::uint64_t idle_ns = duration_of("--idle-timeout", idle, false);
      so.idle_timeout_ms =
          static_cast<int>(std::min<std::uint64_t>(idle_ns / 1'000'000, INT32_MAX));
      so.max_duration_ns = duration_of("--max-duration", max_duration, false);
      std::stop_source stop;
      const SignalStop signals(stop);
      if (serve_plain_echo) {
        return run_plain_echo_server(so, stop.get_token());
      }
      return run_serve(so, stop.get_token());
    }
    return run_test(a);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "netbench: %s\n", e.what());
    return kExitUsage;
  } catch (const ConfigError& e) {
    std::fprintf(stderr, "netbench: %s\n", e.what());
    return kExitUsage;
  } catch (const RemoteError& e) {
    std::fprintf(stderr, "netbench: %s\n", e.what());
    return kExitSetup;
  } catch (const SystemError& e) {
    std::fprintf(stderr, "netbench: %s\n", e.what());
    return kExitSetup;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "netbench: internal error: %s\n", e.what());
    return kExitInternal;
  }
}

}  // namespace netbench::app
