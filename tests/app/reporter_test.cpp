// The reporter interface (app/report/reporter.hpp): the fan-out keeps its
// order, the JSON reporters write complete documents (an error inside one),
// JSON Lines writes one event per line.
#include "app/report/reporter.hpp"

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "app/report/json_lines_reporter.hpp"
#include "app/report/multi_reporter.hpp"
#include "app/sweep/sweep_document_reporter.hpp"

namespace netbench::app {
namespace {

/// Records which hook ran, tagged with its name.
class Recorder final : public Reporter {
 public:
  Recorder(std::string name, std::vector<std::string>& log) : name_(std::move(name)), log_(log) {}
  void on_context(const ReportContext& /*c*/) override { log_.push_back(name_ + ".context"); }
  void on_start(const TestSpec& /*s*/) override { log_.push_back(name_ + ".start"); }
  void on_interval(const IntervalRecord& /*r*/) override { log_.push_back(name_ + ".interval"); }
  void on_run(const RunResult& /*r*/, const RunPoint& /*p*/) override {
    log_.push_back(name_ + ".run");
  }
  void on_error(const std::string& e, const TestSpec* /*s*/, const RunPoint& /*p*/) override {
    log_.push_back(name_ + ".error " + e);
  }
  void finalize(const std::string& /*e*/) override { log_.push_back(name_ + ".finalize"); }

 private:
  std::string name_;
  std::vector<std::string>& log_;
};

/// Everything written to `f` so far.
std::string contents(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string out;
  for (int c = std::fgetc(f); c != EOF; c = std::fgetc(f)) {
    out += static_cast<char>(c);
  }
  return out;
}

std::string read_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) {
    return {};
  }
  std::string text = contents(f);
  std::fclose(f);
  return text;
}

TEST(ReporterTest, MultiReporterCallsEveryReporterInTheOrderAdded) {
  std::vector<std::string> log;
  MultiReporter multi;
  multi.add(std::make_unique<Recorder>("a", log));
  multi.add(std::make_unique<Recorder>("b", log));
  const TestSpec spec;
  const RunHooks hooks = run_hooks(multi, spec);
  multi.on_context({});
  hooks.on_start();
  hooks.on_interval(IntervalRecord{});
  multi.on_run(RunResult{}, {});
  multi.on_error("boom", nullptr, {});
  multi.finalize("");
  EXPECT_EQ(
      log, (std::vector<std::string>{"a.context", "b.context", "a.start", "b.start", "a.interval",
                                     "b.interval", "a.run", "b.run", "a.error boom", "b.error boom",
                                     "a.finalize", "b.finalize"}));
}

TEST(ReporterTest, JsonLinesWritesStartIntervalsAndEndOnePerLine) {
  std::FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  JsonLinesReporter lines(out);
  RunResult r;
  lines.on_start(r.spec);
  lines.on_interval(IntervalRecord{});
  lines.on_run(r, {});
  const std::string text = contents(out);
  std::fclose(out);
  std::vector<std::string> events;
  for (std::size_t from = 0, nl; (nl = text.find('\n', from)) != std::string::npos; from = nl + 1) {
    events.push_back(nlohmann::json::parse(text.substr(from, nl - from))["event"]);
  }
  EXPECT_EQ(events, (std::vector<std::string>{"start", "interval", "end"}));
}

TEST(ReporterTest, SweepDocumentHoldsTheErrorOfASweepThatNeverStarted) {
  const std::string path = ::testing::TempDir() + "reporter_test_sweep_error.json";
  SweepDocumentReporter doc(false, path);
  doc.on_error("--flows '1,,2' has an empty element", nullptr, {});
  const auto j = nlohmann::json::parse(read_file(path));
  EXPECT_EQ(j["schema"], "netbench/1");
  EXPECT_EQ(j["error"], "--flows '1,,2' has an empty element");
  EXPECT_FALSE(j.contains("sweep"));
  std::remove(path.c_str());
}

TEST(ReporterTest, SweepDocumentCountsPointsAndMarksAnInterruption) {
  const std::string path = ::testing::TempDir() + "reporter_test_sweep.json";
  SweepDocumentReporter doc(false, path);
  doc.on_context({3, nlohmann::json::object()});
  RunResult ok;
  ok.complete = true;
  doc.on_run(ok, {0, 3, "a", PointStatus::kCompleted, std::nullopt});
  const TestSpec spec;
  doc.on_error("refused", &spec, {1, 3, "b", PointStatus::kFailed, std::nullopt});
  doc.finalize("interrupted by SIGINT at point 2 of 3");
  const auto j = nlohmann::json::parse(read_file(path));
  EXPECT_EQ(j["sweep"]["points"], 3);
  EXPECT_EQ(j["sweep"]["completed"], 1);
  EXPECT_EQ(j["sweep"]["failed"], 1);
  EXPECT_EQ(j["sweep"]["interrupted"], true);
  EXPECT_EQ(j["error"], "interrupted by SIGINT at point 2 of 3");
  ASSERT_EQ(j["runs"].size(), 2U);
  EXPECT_EQ(j["runs"][1]["error"], "refused");
  std::remove(path.c_str());
}

}  // namespace
}  // namespace netbench::app
