#include "cli/report_files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iostream>
#include <optional>
#include <sstream>

#include "report/html.hpp"
#include "report/json.hpp"
#include "report/junit.hpp"

namespace maildog::cli {

namespace {

namespace fs = std::filesystem;

std::string errno_text(int error) { return error == 0 ? std::string("unknown error") : std::strerror(error); }

// The nearest existing part of `folder` that is not a folder (the usual reason a folder cannot
// be created), or nothing.
std::optional<fs::path> file_in_the_way(fs::path folder) {
  std::error_code ec;
  for (; !folder.empty(); folder = folder.parent_path()) {
    const auto status = fs::status(folder, ec);
    if (fs::exists(status)) {
      return fs::is_directory(status) ? std::nullopt : std::optional<fs::path>(folder);
    }
    if (folder == folder.parent_path()) {
      break;
    }
  }
  return std::nullopt;
}

// Creates `folder` and its parents; the reason when it cannot be.
std::optional<std::string> create_folder(const fs::path& folder) {
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (!ec) {
    return std::nullopt;
  }
  std::string problem = "cannot create the folder " + folder.string() + ": " + ec.message();
  if (auto file = file_in_the_way(folder)) {
    problem += " (" + file->string() + " is a file)";
  }
  return problem;
}

// Creates the folder a file goes into; the reason when it cannot be.
std::optional<std::string> create_parent(const fs::path& file) {
  const fs::path parent = file.parent_path();
  return parent.empty() ? std::nullopt : create_folder(parent);
}

// Opens `file` for writing without truncating it, as the report will be: a stale report stays
// as it was until the run ends, and a probe file that did not exist is removed again.
std::optional<std::string> probe_writable(const fs::path& file) {
  std::error_code ec;
  if (fs::is_directory(file, ec)) {
    return "it is a folder";
  }
  const bool existed = fs::exists(fs::symlink_status(file, ec));
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) {
    return errno_text(errno);
  }
  ::close(fd);
  if (!existed) {
    fs::remove(file, ec);
  }
  return std::nullopt;
}

// The whole file at once through POSIX calls, so a failure carries its errno.
std::optional<std::string> write_whole_file(const fs::path& file, const std::string& content) {
  if (auto problem = create_parent(file)) {
    return problem;
  }
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) {
    return errno_text(errno);
  }
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      const int error = n < 0 ? errno : EIO;
      ::close(fd);
      return errno_text(error);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0) {
    return errno_text(errno);
  }
  return std::nullopt;
}

bool write_report(const std::string& path, const char* what, const std::function<void(std::ostream&)>& write) {
  if (path.empty()) {
    return true;
  }
  std::ostringstream report;
  write(report);
  if (auto problem = write_whole_file(path, report.str())) {
    std::cerr << "maildog-ci: cannot write the " << what << " report to " << path << ": " << *problem << '\n';
    return false;
  }
  return true;
}

}  // namespace

std::vector<std::string> prepare_output_paths(const ReportPaths& paths, const std::string& artifacts) {
  std::vector<std::string> problems;
  const std::pair<const char*, const std::string*> files[] = {
      {"JUnit", &paths.junit}, {"JSON", &paths.json}, {"HTML", &paths.html}};
  for (const auto& [what, path] : files) {
    if (path->empty()) {
      continue;
    }
    auto problem = create_parent(*path);
    if (!problem) {
      problem = probe_writable(*path);
    }
    if (problem) {
      problems.push_back("the " + std::string(what) + " report to " + *path + ": " + *problem);
    }
  }
  if (!artifacts.empty()) {
    if (auto problem = create_folder(artifacts)) {
      problems.push_back("the artifacts to " + artifacts + ": " + *problem);
    }
  }
  return problems;
}

bool outputs_ready(const ReportPaths& paths, const std::string& artifacts) {
  const auto problems = prepare_output_paths(paths, artifacts);
  for (const auto& problem : problems) {
    std::cerr << "maildog-ci: cannot write " << problem << '\n';
  }
  return problems.empty();
}

bool write_reports(const runner::RunResult& run, const ReportPaths& paths) {
  bool written = write_report(paths.junit, "JUnit", [&](std::ostream& out) { report::write_junit(run, out); });
  written = write_report(paths.json, "JSON", [&](std::ostream& out) { report::write_json(run, out); }) && written;
  written = write_report(paths.html, "HTML", [&](std::ostream& out) { report::write_html(run, out); }) && written;
  return written;
}

}  // namespace maildog::cli
