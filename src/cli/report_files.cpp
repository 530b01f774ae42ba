#include "cli/report_files.hpp"

#include <fstream>
#include <functional>
#include <iostream>

#include "report/html.hpp"
#include "report/json.hpp"
#include "report/junit.hpp"

namespace maildog::cli {

namespace {

bool write_report(const std::string& path, const char* what, const std::function<void(std::ostream&)>& write) {
  if (path.empty()) {
    return true;
  }
  std::ofstream out(path, std::ios::binary);
  if (out) {
    write(out);
  }
  if (!out) {
    std::cerr << "maildog-ci: cannot write the " << what << " report to " << path << '\n';
    return false;
  }
  return true;
}

}  // namespace

bool write_reports(const runner::RunResult& run, const ReportPaths& paths) {
  bool written = write_report(paths.junit, "JUnit", [&](std::ostream& out) { report::write_junit(run, out); });
  written = write_report(paths.json, "JSON", [&](std::ostream& out) { report::write_json(run, out); }) && written;
  written = write_report(paths.html, "HTML", [&](std::ostream& out) { report::write_html(run, out); }) && written;
  return written;
}

}  // namespace maildog::cli
