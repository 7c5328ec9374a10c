#pragma once

#include <optional>
#include <string>
#include <utility>

#include "app/report/reporter.hpp"
#include "app/sweep/sweep_report.hpp"

namespace netbench::app {

/// The JSON document of a sweep (`--json`, `-o FILE`; docs/schema.md, "Sweep
/// documents"): written to `path` (unless empty) at the start and again
/// after every point, so that a valid document exists whatever happens next,
/// and at the end (finalize) to stdout too if `to_stdout`. An error before
/// the context (bad lists) gives a plain document holding the error.
class SweepDocumentReporter final : public Reporter {
 public:
  SweepDocumentReporter(bool to_stdout, std::string path)
      : to_stdout_(to_stdout), path_(std::move(path)) {}

  void on_context(const ReportContext& context) override;
  void on_run(const RunResult& result, const RunPoint& point) override;
  void on_repeated(const RepeatedRun& run, const RunPoint& point) override;
  void on_error(const std::string& error, const TestSpec* spec, const RunPoint& point) override;
  void finalize(const std::string& error) override;

 private:
  bool to_stdout_;
  std::string path_;
  std::optional<SweepDocument> doc_;  ///< from on_context on
};

}  // namespace netbench::app
