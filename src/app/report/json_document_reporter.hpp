#pragma once

#include <string>
#include <utility>

#include "app/report/reporter.hpp"

namespace netbench::app {

/// The JSON document of a single run (`--json`, `-o FILE`; docs/schema.md),
/// written at the end of the run by write_document(): to stdout if
/// `to_stdout`, and atomically to `path` unless it is empty. A run that could
/// not happen still gives a complete document, holding the error.
class JsonDocumentReporter final : public Reporter {
 public:
  JsonDocumentReporter(bool to_stdout, std::string path)
      : to_stdout_(to_stdout), path_(std::move(path)) {}

  void on_run(const RunResult& result, const RunPoint& point) override;
  void on_repeated(const RepeatedRun& run, const RunPoint& point) override;
  void on_error(const std::string& error, const TestSpec* spec, const RunPoint& point) override;

 private:
  bool to_stdout_;
  std::string path_;
};

}  // namespace netbench::app
