#include "app/cli/cli.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>

#include <CLI/CLI.hpp>

#include "app/cli/exit_codes.hpp"
#include "app/cli/parse_errors.hpp"
#include "app/cli/run_args.hpp"
#include "app/cli/signal_stop.hpp"
#include "app/cli/units.hpp"
#include "app/compare/compare_command.hpp"
#include "app/merge/merge_command.hpp"
#include "app/remote/remote_client.hpp"
#include "app/remote/remote_fanout.hpp"
#include "app/repeat/repeat_runner.hpp"
#include "app/report/json_document_reporter.hpp"
#include "app/report/json_lines_reporter.hpp"
#include "app/report/multi_reporter.hpp"
#include "app/report/progress_reporter.hpp"
#include "app/report/text_reporter.hpp"
#include "app/serve/serve.hpp"
#include "app/serve/serve_admission.hpp"
#include "app/sweep/sweep.hpp"
#include "app/sweep/sweep_document_reporter.hpp"
#include "app/sweep/sweep_progress_reporter.hpp"
#include "app/sweep/sweep_table_reporter.hpp"
#include "netbench/error.hpp"
#include "netbench/paired_run.hpp"
#include "netbench/plain_echo.hpp"
#include "netbench/plain_echo_server.hpp"
#include "netbench/probe_run.hpp"
#include "netbench/version.hpp"
#include "run/start_at.hpp"

namespace netbench::app {
namespace {

/// --json and -o/--output as given on a command line that failed to parse.
RunArgs output_flags(int argc, char** argv) {
  RunArgs a;
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

/// The (sub)command a command line names: the subcommand whose name is one
/// of its words, else the main command.
const CLI::App& parsed_command(const CLI::App& app, int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    for (const CLI::App* sub : app.get_subcommands({})) {
      if (sub->get_name() == argv[i]) {
        return *sub;
      }
    }
  }
  return app;
}

/// Every flag of `app`, with the type name of its value.
std::vector<FlagInfo> flags_of(const CLI::App& app) {
  std::vector<FlagInfo> out;
  for (const CLI::Option* o : app.get_options({})) {
    for (const std::string& s : o->get_snames()) {
      out.push_back({"-" + s, o->get_type_name()});
    }
    for (const std::string& l : o->get_lnames()) {
      out.push_back({"--" + l, o->get_type_name()});
    }
  }
  return out;
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

/// The reporters the flags of a single run ask for. Progress comes first so
/// that its line is erased before the others print their end.
MultiReporter single_run_reporters(const RunArgs& a) {
  const bool human = !a.json && !a.json_lines && !a.quiet;
  // Live progress on a terminal's stderr when stdout is not showing the
  // interval lines (JSON on stdout, or stdout redirected).
  const bool show_progress = !a.quiet && (!human || ::isatty(::fileno(stdout)) == 0);
  MultiReporter r;
  if (show_progress) {
    r.add(std::make_unique<ProgressReporter>(stderr));
  }
  if (human) {
    std::string target;
    if (!a.connect.empty()) {
      target = (a.plain_echo ? "plain echo server at " : "netbench serve at ") + a.connect;
    }
    r.add(std::make_unique<TextReporter>(stdout, std::move(target)));
  }
  if (a.json || !a.output.empty()) {
    r.add(std::make_unique<JsonDocumentReporter>(a.json, a.output));
  }
  if (a.json_lines) {
    r.add(std::make_unique<JsonLinesReporter>(stdout));
  }
  return r;
}

/// The reporters the flags of a sweep ask for: the document, a progress line
/// per point on stderr, the table at the end.
MultiReporter sweep_reporters(const RunArgs& a) {
  MultiReporter r;
  if (a.json || !a.output.empty()) {
    r.add(std::make_unique<SweepDocumentReporter>(a.json, a.output));
  }
  if (!a.quiet) {
    r.add(std::make_unique<SweepProgressReporter>(stderr));
  }
  if (!a.json && !a.quiet) {
    r.add(std::make_unique<SweepTableReporter>(stdout));
  }
  return r;
}

int run_test(const RunArgs& a) {
  MultiReporter reporter = single_run_reporters(a);
  std::optional<TestSpec> spec;
  std::optional<RepeatOptions> repeat;
  try {
    spec = make_spec(a);
    repeat = repeat_options(a);
  } catch (const UsageError& e) {
    try {
      reporter.on_error(e.what(), nullptr, {});
    } catch (const SystemError&) {
      // -o itself is what is wrong: the usage error is the one line to show.
    }
    throw;
  }
  if (a.json && a.json_lines) {
    throw UsageError("give --json or --json-lines, not both");
  }
  if (repeat && spec->start_at_unix_ns != 0) {
    throw UsageError(
        "--start-at starts a single run at a given time; it does not combine with --repeat (run "
        "the fleet again with a new --start-at instead)");
  }
  std::stop_source stop;
  const SignalStop signals(stop);
  if (a.plain_echo && spec->direction != Direction::kForward) {
    throw UsageError(
        "--plain-echo measures a foreign echo server that only answers: drop --reverse and "
        "--bidir");
  }
  if (a.plain_echo && spec->probe_rate_msgs_per_s > 0) {
    throw UsageError("--probe needs a netbench receiver for its echo flow: drop --plain-echo");
  }
  const TestRunner run = [&a](const TestSpec& s, const RunHooks& hooks, std::stop_token token) {
    if (a.plain_echo) {
      if (a.connect.empty() || s.mode != Mode::kEcho) {
        throw UsageError(
            "--plain-echo measures a foreign echo server: give --connect HOST:PORT --mode echo");
      }
      const auto [host, port] = connect_target(a, 7);
      return run_plain_echo(s, resolve(host, port, s.family, false), hooks, token);
    }
    if (a.connect.empty()) {
      return run_paired(s, hooks, token);
    }
    if (s.fanout()) {
      return run_remote_fanout(s, connect_targets(a, kDefaultServePort), hooks, token,
                               a.auth_token);
    }
    const auto [host, port] = connect_target(a, kDefaultServePort);
    return run_remote(s, host, port, hooks, token, a.auth_token);
  };
  const RunOnce once = [&a, &run, &spec](const RunHooks& hooks, std::stop_token token) {
    if (spec->start_at_unix_ns != 0) {
      // Set up shortly before the time, not at once: a server's idle
      // timeout would end a test whose sender waits for minutes.
      if (!a.quiet) {
        std::fprintf(stderr, "netbench: starting at %s (--start-at)\n",
                     format_wall_time(spec->start_at_unix_ns).c_str());
      }
      const std::uint64_t lead = run::kStartSetupLeadNs;
      static_cast<void>(run::wait_until_wall(
          spec->start_at_unix_ns > lead ? spec->start_at_unix_ns - lead : 0, token));
    }
    return run_with_probe(*spec, run, hooks, token);
  };
  if (repeat) {
    return run_repeated(
        *spec, *repeat, once, reporter, stop, [&signals] { return signals.signal(); }, a.quiet);
  }
  reporter.on_context({});
  RunResult result;
  try {
    const HostLoadProbe probe;
    result = once(run_hooks(reporter, *spec), stop.get_token());
    probe.finish(result);
  } catch (const std::exception& e) {
    reporter.on_error(e.what(), &*spec, {0, 1, "", PointStatus::kFailed, std::nullopt});
    throw;
  }
  print_warnings(result, a.quiet);
  PointStatus status = PointStatus::kCompleted;
  if (signals.signal() != 0) {
    result.complete = false;
    result.error =
        std::string("interrupted by ") + (signals.signal() == SIGINT ? "SIGINT" : "SIGTERM");
    status = PointStatus::kInterrupted;
  } else if (!result.complete) {
    status = PointStatus::kIncomplete;
  }
  reporter.on_run(result, {0, 1, "", status, std::nullopt});
  reporter.finalize("");
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
    RunArgs a;
    add_run_options(app, a, RunOptionStyle::kSingle);
    app.add_flag("--plain-echo", a.plain_echo,
                 "with --connect and --mode echo: measure any RFC 862 echo server (client-side "
                 "figures only; port 7 by default)");

    ServeOptions so;
    std::string serve_bind;
    int serve_port = kDefaultServePort;
    std::string idle = "30s";
    std::string max_duration = "600s";
    std::string handshake = "5s";
    std::string max_rate;
    std::string max_bitrate;
    std::string max_buffer;
    bool serve_v4 = false;
    bool serve_v6 = false;
    CLI::App* serve = app.add_subcommand(
        "serve",
        "receiver daemon: serves test after test from 'netbench --connect' clients, one at a "
        "time (or --max-concurrent); other clients are handshaken meanwhile and told busy");
    serve->add_option("-B,--bind", serve_bind,
                      "address to listen on (default: every address, dual-stack)");
    serve
        ->add_option("-p,--port", serve_port,
                     "control port (TCP); 0 = any free port, logged at start")
        ->capture_default_str();
    serve->add_flag("-4", serve_v4, "IPv4 only");
    serve->add_flag("-6", serve_v6, "IPv6 only");
    serve->add_option("--idle-timeout", idle, "longest wait for a client message")
        ->capture_default_str();
    serve
        ->add_option("--handshake-timeout", handshake,
                     "longest time from connect until a client's hello and test have arrived")
        ->capture_default_str();
    serve
        ->add_option("--max-clients", so.max_clients,
                     "most control connections open at once; when full, a newcomer evicts the "
                     "oldest unfinished handshake, or is refused")
        ->capture_default_str()
        ->check(CLI::Range(1U, 1U << 20));
    serve
        ->add_option("--max-concurrent", so.max_concurrent,
                     "tests that may run at once (each with its own data sockets and thread; "
                     "they share the CPUs, so each one's figures include the others' load); a "
                     "test beyond them is told busy")
        ->capture_default_str()
        ->check(CLI::Range(1U, 64U));
    serve->add_option("--max-flows", so.max_flows, "most flows a test may ask for")
        ->capture_default_str();
    serve->add_option("--max-rate", max_rate,
                      "most messages/s a test may offer in total (k/M/G suffixes); with a "
                      "limit, tests without --rate/--bitrate are refused (default: no limit)");
    serve->add_option("--max-bitrate", max_bitrate,
                      "most bits/s a test may offer in total (rate x size x 8; e.g. 1G); with a "
                      "limit, tests without --rate/--bitrate are refused (default: no limit)");
    serve
        ->add_option("--max-duration", max_duration,
                     "longest test (warm-up + duration) a client may ask for")
        ->capture_default_str();
    serve
        ->add_option("--max-tests", so.max_tests,
                     "exit after this many tests ran to their result (0 = never)")
        ->capture_default_str();
    serve->add_flag_callback(
        "-1", [&so] { so.max_tests = 1; },
        "serve one test, then exit (iperf3's -1; the same as --max-tests 1)");
    serve->add_flag("-q,--quiet", so.quiet, "no log lines");
    serve
        ->add_option("--json-log", so.json_log,
                     "append one JSON line per test to FILE: the client's address, the outcome, "
                     "the config and the server's side of the results")
        ->type_name("FILE");
    std::string time_limit;
    serve
        ->add_option("--time-limit", time_limit,
                     "stop serving after this long, e.g. 1h (a test still running ends "
                     "incomplete; default: never)")
        ->type_name("T");
    serve->add_option("--max-buffer", max_buffer,
                      "largest socket buffer a test may ask for (--buffer; k/M/G or KiB/MiB "
                      "suffixes); a bigger one is refused (default: the system's "
                      "min(net.core.rmem_max, wmem_max)); never forced beyond the system limits");
    CLI::Option* auth =
        serve
            ->add_option("--auth-token", so.auth_token,
                         "shared secret every client must send (--auth-token on the client); "
                         "compared in constant time, sent in clear: not a substitute for a trusted "
                         "network")
            ->envname("NETBENCH_AUTH_TOKEN");
    bool serve_plain_echo = false;
    serve->add_flag("--plain-echo", serve_plain_echo,
                    "serve only as a plain RFC 862 echo server (TCP and UDP) on --bind/--port, for "
                    "foreign clients; off by default since an open UDP echo can reflect traffic");
    RunArgs sweep_args;
    CLI::App* sweep = app.add_subcommand(
        "sweep",
        "runs every combination of the comma lists (proto, model, mode, flows, size, rate or "
        "bitrate) one after another, each as a single run would; one JSON document holds them "
        "all");
    add_run_options(*sweep, sweep_args, RunOptionStyle::kSweep);
    CompareArgs compare_args;
    CLI::App* compare = add_compare_command(app, compare_args);
    MergeArgs merge_args;
    CLI::App* merge = add_merge_command(app, merge_args);
    try {
      app.parse(argc, argv);
    } catch (const CLI::Success& e) {
      return app.exit(e);
    } catch (const CLI::ParseError& e) {
      // The parse failed, so a and its --json / -o are not set: look for
      // them by hand, since the document must be written on every path.
      const std::string text =
          explain_parse_error(e.what(), std::vector<std::string>(argv + 1, argv + argc),
                              flags_of(parsed_command(app, argc, argv))) +
          " (see netbench --help)";
      std::fprintf(stderr, "netbench: %s\n", text.c_str());
      const RunArgs given = output_flags(argc, argv);
      JsonDocumentReporter(given.json, given.output).on_error(text, nullptr, {});
      return kExitUsage;
    }
    if (serve->parsed()) {
      if (serve_port < 0 || serve_port > 65535) {
        throw UsageError("serve --port " + std::to_string(serve_port) + " is out of range 0-65535");
      }
      if (serve_v4 && serve_v6) {
        throw UsageError("give -4 or -6, not both");
      }
      so.bind = serve_bind;
      so.port = static_cast<std::uint16_t>(serve_port);
      so.family = serve_v4 ? Family::kV4 : serve_v6 ? Family::kV6 : Family::kAny;
      const std::uint64_t idle_ns = duration_of("--idle-timeout", idle, false);
      so.idle_timeout_ms =
          static_cast<int>(std::min<std::uint64_t>(idle_ns / 1'000'000, INT32_MAX));
      so.max_duration_ns = duration_of("--max-duration", max_duration, false);
      if (!time_limit.empty()) {
        so.time_limit_ns = duration_of("serve --time-limit", time_limit, false);
      }
      const std::uint64_t handshake_ns = duration_of("--handshake-timeout", handshake, false);
      so.handshake_timeout_ms =
          static_cast<int>(std::clamp<std::uint64_t>(handshake_ns / 1'000'000, 1, INT32_MAX));
      const auto limit_of = [](const char* flag, const std::string& text) {
        if (text.empty()) {
          return 0.0;
        }
        const auto v = parse_rate(text);
        if (!v || *v <= 0) {
          throw UsageError(std::string("serve ") + flag + " '" + text +
                           "' is not a positive rate; use e.g. 100k, 1G");
        }
        return *v;
      };
      so.max_rate_msgs_per_s = limit_of("--max-rate", max_rate);
      so.max_bitrate_bps = limit_of("--max-bitrate", max_bitrate);
      if (!max_buffer.empty()) {
        const auto bytes = parse_size(max_buffer);
        if (!bytes || *bytes == 0 || *bytes > UINT32_MAX) {
          throw UsageError("serve --max-buffer '" + max_buffer +
                           "' is not a size of 1 byte to 4GiB; use e.g. 4M, 256KiB");
        }
        so.max_buffer_bytes = *bytes;
      }
      if (const std::string bad = check_auth_token_setting(
              auth->count() > 0 || std::getenv("NETBENCH_AUTH_TOKEN") != nullptr, so.auth_token);
          !bad.empty()) {
        throw UsageError("serve: " + bad);
      }
      std::stop_source stop;
      const SignalStop signals(stop);
      if (serve_plain_echo) {
        return run_plain_echo_server(so, stop.get_token());
      }
      return run_serve(so, stop.get_token());
    }
    if (compare->parsed()) {
      return run_compare(compare_args);
    }
    if (merge->parsed()) {
      return run_merge(merge_args);
    }
    if (sweep->parsed()) {
      MultiReporter reporter = sweep_reporters(sweep_args);
      return run_sweep(sweep_args, reporter);
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
