#include "app/sweep/sweep_document_reporter.hpp"

#include "app/report/json_report.hpp"
#include "app/report/write_document.hpp"

namespace netbench::app {

void SweepDocumentReporter::on_context(const ReportContext& context) {
  doc_.emplace(context.matrix, context.runs, context.repeat);
  // A valid document exists from the start: a crash in the first point
  // still leaves one (completed + failed < points says the sweep is unfinished).
  write_document(doc_->as_json(), false, path_);
}

void SweepDocumentReporter::on_run(const RunResult& result, const RunPoint& point) {
  doc_->add_run(point.index, result, point.status);
  write_document(doc_->as_json(), false, path_);
}

void SweepDocumentReporter::on_repeated(const RepeatedRun& run, const RunPoint& point) {
  doc_->add_repeated(point.index, run, point.status);
  write_document(doc_->as_json(), false, path_);
}

void SweepDocumentReporter::on_error(const std::string& error, const TestSpec* spec,
                                     const RunPoint& point) {
  if (!doc_ || spec == nullptr) {
    write_document(document(nullptr, error), to_stdout_, path_);
    return;
  }
  doc_->add_failure(point.index, *spec, error);
  write_document(doc_->as_json(), false, path_);
}

void SweepDocumentReporter::finalize(const std::string& error) {
  if (!doc_) {
    return;
  }
  if (!error.empty()) {
    doc_->set_interrupted(error);
  }
  write_document(doc_->as_json(), to_stdout_, path_);
}

}  // namespace netbench::app
