// The flags of a run, as CLI11 options: one place that names every flag, its
// help text and where its value goes (RunArgs); make_spec() (run_args.cpp)
// then turns the values into a TestSpec and checks them.
#include <string>

#include <CLI/CLI.hpp>

#include "app/cli/copy_args.hpp"
#include "app/cli/fanout_args.hpp"
#include "app/cli/run_args.hpp"
#include "netbench/model_info.hpp"

namespace netbench::app {

void add_run_options(CLI::App& app, RunArgs& a, RunOptionStyle style) {
  const bool sweep = style == RunOptionStyle::kSweep;
  // A sweep takes a comma list where a run takes one value.
  const auto each = [sweep](const std::string& one, const std::string& list) {
    return sweep ? list : one;
  };
  // Shown in --help in place of a value: "LIST" for a sweep's comma lists.
  const auto type = [sweep](const char* one) { return std::string(sweep ? "LIST" : one); };
  CLI::Option* proto =
      app.add_option("--proto", a.proto, each("tcp or udp", "comma list of tcp, udp"))
          ->capture_default_str()
          ->type_name(type("TEXT"));
  app.add_flag_callback(
         "-u", [&a] { a.proto = "udp"; }, "UDP (iperf3's -u): the same as --proto udp")
      ->excludes(proto);
  app.add_option("--model", a.model,
                 each("receiver I/O model: " + model_names(),
                      "comma list of receiver I/O models: " + model_names()))
      ->capture_default_str()
      ->type_name(type("TEXT"));
  app.add_option("--mode", a.mode,
                 each("stream (one way), echo (request/response) or connect (a connection "
                      "per request)",
                      "comma list of stream (one way), echo (request/response), connect (a "
                      "connection per request)"))
      ->capture_default_str()
      ->type_name(type("TEXT"));
  if (sweep) {
    app.add_option("--direction", a.direction,
                   "comma list of forward (client sends), reverse (server sends), bidir (both "
                   "at once)")
        ->capture_default_str()
        ->type_name("LIST");
  } else {
    CLI::Option* reverse = app.add_flag_callback(
        "-R,--reverse", [&a] { a.direction = "reverse"; },
        "the server sends, the client receives (iperf3's -R); the client still opens every "
        "connection, and --model is then the client's");
    app.add_flag_callback(
           "--bidir", [&a] { a.direction = "bidir"; },
           "both directions at once, --flows each way on connections of their own, each "
           "reported apart")
        ->excludes(reverse);
  }
  app.add_option("--pattern", a.pattern, "send schedule when rate-limited: constant or poisson")
      ->capture_default_str();
  app.add_option("-P,--flows", a.flows,
                 each("TCP connections or UDP flows", "comma list of flow counts, e.g. 1,16,256"))
      ->capture_default_str()
      ->type_name(type("UINT"));
  app.add_option("-l,--size", a.size,
                 each("message size incl. 40-byte header, e.g. 64, 1400, 128KiB (default: TCP "
                      "stream 128KiB, UDP stream 1400, echo 64)",
                      "comma list of message sizes incl. 40-byte header, e.g. 64,1400 (default: "
                      "TCP stream 128KiB, UDP stream 1400, echo 64)"))
      ->type_name(type("TEXT"));
  app.add_option("--rate", a.rate,
                 each("total offered messages/s over all flows, e.g. 100k (default unlimited)",
                      "comma list of total offered messages/s, e.g. 0,100k (0 = unlimited, the "
                      "default)"))
      ->type_name(type("TEXT"));
  app.add_option("--bitrate", a.bitrate,
                 each("total offered bits/s, e.g. 500M, 10G (instead of --rate)",
                      "comma list of total offered bits/s, e.g. 100M,1G (instead of --rate; each "
                      "becomes a message rate for each --size)"))
      ->type_name(type("TEXT"));
  app.add_option("-b", a.bitrate_per_flow,
                 "bits/s per flow as iperf3's -b, e.g. 100M: the total offered is that times "
                 "--flows (--bitrate is the total)")
      ->type_name("RATE");
  app.add_option_function<std::string>(
         "-t,--duration",
         [&a](const std::string& v) {
           a.duration = v;
           a.duration_given = true;
         },
         each("measured period, e.g. 5s, 500ms (default 5s)",
              "measured period of each run (default 5s)"))
      ->type_name("TEXT");
  app.add_option_function<std::uint64_t>(
         "-k,--count",
         [&a](std::uint64_t v) {
           a.count = v;
           a.count_given = true;
         },
         "send this many measured messages in total instead of --duration")
      ->type_name("UINT");
  app.add_option("-O,--warmup", a.warmup, "warm-up period kept out of the statistics")
      ->capture_default_str();
  app.add_option("--interval", a.interval, "reporting interval")->capture_default_str();
  if (sweep) {
    app.add_option("--outstanding", a.outstanding_list,
                   "comma list of requests in flight per flow (echo) or transactions in flight "
                   "per flow (connect, closed loop), e.g. 1,8,64; stream points run once")
        ->type_name("LIST");
  } else {
    app.add_option("--outstanding", a.outstanding,
                   "echo: requests in flight per flow; connect: transactions in flight per flow "
                   "(closed loop)")
        ->capture_default_str();
  }
  app.add_option("--close", a.close,
                 "connect mode, TCP: how the client ends each connection: fin (close(), the "
                 "client holds TIME_WAIT; the default) or rst (SO_LINGER 0: a reset, no "
                 "TIME_WAIT)")
      ->type_name("fin|rst");
  app.add_option("--threads", a.threads, "event loops of select/poll/epoll (SO_REUSEPORT)")
      ->capture_default_str();
  app.add_option("--sender-threads", a.sender_threads,
                 "send loops (threads) of the sender, flows dealt round robin; auto = one per "
                 "flow up to the CPUs the sender may use")
      ->capture_default_str();
  app.add_option("-w,--buffer", a.buffer,
                 "socket send and receive buffer of every data socket, e.g. 4MiB (default: "
                 "kernel's; as root beyond net.core.rmem_max)");
  app.add_option("-C,--congestion", a.congestion,
                 "TCP: congestion control of every data socket, both ends (TCP_CONGESTION), "
                 "e.g. cubic, reno, bbr (default: the kernel's); the one in use is reported")
      ->type_name("ALGO");
  app.add_option("-S,--tos", a.tos,
                 "IP TOS byte of every data socket, both ends (IP_TOS, IPV6_TCLASS), 0-255, "
                 "e.g. 0x20 (default: not set)")
      ->type_name("V");
  app.add_option("--dscp", a.dscp, "DSCP of every data socket, 0-63: the same as --tos V<<2")
      ->type_name("V");
  app.add_option("-M,--mss", a.mss,
                 "TCP: maximum segment size of every data socket, both ends (TCP_MAXSEG), set "
                 "before the handshake (default: the kernel's)")
      ->type_name("BYTES");
  app.add_option("--fq-rate", a.fq_rate,
                 "kernel pacing per socket (SO_MAX_PACING_RATE), bits/s, e.g. 1G; TCP paces "
                 "itself, UDP needs the fq qdisc; beside --rate/--bitrate (default: none)")
      ->type_name("RATE");
  app.add_option("--probe", a.probe,
                 "latency under load: one UDP echo flow of RATE requests/s, first alone (idle), "
                 "then beside the test's flows (loaded); its RTT is reported for both, e.g. 10")
      ->type_name("RATE");
  app.add_option("--cport", a.cport,
                 "source port of the sender's flow 0, flow i sending from P + i (firewalls "
                 "that admit known ports; default: ports the kernel picks)")
      ->type_name("P");
  app.add_option("--bind-dev", a.bind_dev,
                 "send (and, paired, receive) only through interface IF (SO_BINDTODEVICE), e.g. "
                 "eth1 on a multi-homed host; a remote server is not told")
      ->type_name("IF");
  app.add_option("--batch", a.batch,
                 "UDP: send up to this many due datagrams per sendmmsg() call (receivers always "
                 "take up to 32 per recvmmsg())")
      ->capture_default_str();
  app.add_flag("--busy-poll", a.busy_poll,
               "spin instead of sleeping: receiver waits with a zero timeout (thread model: "
               "non-blocking reads), sender never sleeps; costs a core per loop");
  app.add_option("--pacing", a.pacing,
                 "paced sender (--rate/--bitrate): sleep (default: sleep to each deadline and "
                 "send what is due, little CPU) or spin (spin the last 60 us: least lateness, "
                 "a core per send loop)");
  app.add_flag("--gso", a.gso,
               "UDP: send up to 64 due datagrams of a flow per sendmsg() with UDP_SEGMENT; the "
               "receiver takes them coalesced with UDP_GRO");
  add_copy_options(app, a);
  add_fanout_options(app, a);
  app.add_option("-A,--cpu", a.cpu,
                 "pin threads: SENDER[,RECEIVER] CPU lists, e.g. 0,1 (sender on CPU 0, receiver "
                 "threads on 1), 0-1 (both sides on 0 and 1), 0+2,1+3; with --connect the "
                 "receiver list applies on the server")
      ->type_name("LIST");
  app.add_flag("-N,--nodelay", a.nodelay,
               "TCP_NODELAY on every TCP data socket (default: on for echo, off for stream)");
  app.add_flag("--no-nodelay", a.no_nodelay,
               "no TCP_NODELAY, even for echo (Nagle and delayed ACKs apply)");
  app.add_option("--coalesce", a.coalesce,
                 "receiver: sleep this long before each wait, e.g. 100us, so that messages are "
                 "read in batches and the sender rarely pays a wake-up (adds up to that much "
                 "delay; 0 = off)")
      ->capture_default_str();
  app.add_option("--stats", a.stats,
                 "per-message statistics: full (sequence tracking, delay/RTT histograms, jitter) "
                 "or counts (messages and bytes only; loss, order and latency not measured)")
      ->capture_default_str();
  app.add_option("--per-flow", a.per_flow,
                 "flows in the JSON: full (every flow), summary (the spread over the flows: "
                 "percentiles, Jain's fairness, the worst flow ids), none, or auto (full up to 64 "
                 "flows, summary above)")
      ->capture_default_str();
  app.add_flag("-4", a.v4, "IPv4 (127.0.0.1)");
  app.add_flag("-6", a.v6, "IPv6 (::1)");
  app.add_option("--bind", a.bind, "receiver address (default loopback)");
  app.add_option("--port", a.port, "receiver port (default: any free port)");
  app.add_option("-p", a.short_port,
                 "iperf3's -p: with --connect the server's port (as HOST:PORT), else --port")
      ->type_name("PORT");
  app.add_flag("-J,--json", a.json,
               each("write the result as JSON (schema netbench/1) to stdout",
                    "write the sweep document (schema netbench/1) to stdout at the end"));
  app.add_option("-o,--output", a.output,
                 each("write the JSON result to this file",
                      "write the sweep document to this file, again after every point"));
  if (style == RunOptionStyle::kSingle) {
    app.add_option("--start-at", a.start_at,
                   "start sending at this wall-clock time, so that the clients of a fleet start "
                   "together: epoch seconds (1764498600.5) or ISO 8601 with a zone "
                   "(2026-11-30T10:30:00Z); setup begins 2 s before; the start skew is recorded")
        ->type_name("TIME");
    app.add_flag("--json-lines", a.json_lines,
                 "one JSON event per line on stdout while running: start, each interval, end");
  }
  app.add_flag("-q,--quiet", a.quiet,
               each("no interval lines or summary", "no progress lines or summary table"));
  app.add_option("-c,--connect", a.connect,
                 each("run as the sender against 'netbench serve' at HOST[:PORT] (default port "
                      "5201)",
                      "run every point as the sender against 'netbench serve' at HOST[:PORT] "
                      "(default port 5201)"));
  // --auth-token (remote runs): kept in its own block.
  app.add_option("--auth-token", a.auth_token,
                 "with --connect: the shared secret of a 'netbench serve --auth-token' (sent in "
                 "clear on the control connection)")
      ->envname("NETBENCH_AUTH_TOKEN");
  app.add_option("--repeat", a.repeat,
                 each("run the test N times (2-1000), or 'auto': 3 to 30 times until the 95% CI "
                      "of the mean receiver msg/s is within --ci-width; report aggregates",
                      "run every point N times, or 'auto' (3 to 30 rounds, further rounds only "
                      "for points whose CI is still too wide); repetitions of all points "
                      "interleaved in a shuffled order (--seed)"))
      ->type_name("N|auto");
  app.add_option("--ci-width", a.ci_width,
                 "--repeat auto: stop once the 95% CI is within this of the mean, e.g. 5% or 0.05")
      ->capture_default_str();
  app.add_option("--seed", a.seed,
                 "seed of the shuffled order of repetitions (default: drawn at random; recorded "
                 "in the document)")
      ->type_name("UINT");
  app.add_option("--cooldown", a.cooldown, "pause between repeated runs, e.g. 500ms")
      ->capture_default_str();
}

}  // namespace netbench::app
