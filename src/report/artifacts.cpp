#include "report/artifacts.hpp"

#include <cstdio>
#include <fstream>
#include <stdexcept>

#include "expect/transcript.hpp"

namespace maildog::report {

namespace {

// Long enough to tell scenarios apart, short enough for any file system.
constexpr std::size_t k_name_max = 60;

void write_file(const std::filesystem::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out) {
    throw std::runtime_error("cannot write " + path.string());
  }
}

}  // namespace

std::string artifact_name(std::size_t index, const std::string& scenario_name) {
  char prefix[16];
  std::snprintf(prefix, sizeof prefix, "%03zu-", index + 1);
  std::string name = prefix;
  bool dash = false;
  for (char c : scenario_name) {
    bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
      keep = true;
    }
    if (keep) {
      name += c;
      dash = false;
    } else if (!dash && name.size() > 4) {
      name += '-';
      dash = true;
    }
    if (name.size() >= k_name_max) {
      break;
    }
  }
  while (name.back() == '-') {
    name.pop_back();
  }
  return name;
}

void write_artifacts(const runner::RunResult& run, const std::filesystem::path& dir) {
  for (std::size_t i = 0; i < run.scenarios.size(); ++i) {
    const auto& scenario = run.scenarios[i];
    const auto folder = dir / artifact_name(i, scenario.name);
    std::error_code ec;
    std::filesystem::create_directories(folder, ec);
    if (ec) {
      throw std::runtime_error("cannot create " + folder.string() + ": " + ec.message());
    }
    write_file(folder / "transcript.txt", expect::join_lines(expect::render_lines(scenario.sessions)));
    // Service names are [a-z][a-z0-9_-]*: safe as file names.
    for (const auto& service : scenario.services) {
      write_file(folder / ("service-" + service.name + ".stdout.txt"), service.process.stdout_text);
      write_file(folder / ("service-" + service.name + ".stderr.txt"), service.process.stderr_text);
    }
    for (const auto& session : scenario.sessions) {
      std::size_t n = 0;
      for (const auto& transaction : session.transactions) {
        if (transaction.message) {
          ++n;
          // The stored copy carries the sandbox's Authentication-Results; the bytes as received
          // are kept beside it whenever the two differ.
          const std::string stem = "message-" + std::to_string(session.id) + "-" + std::to_string(n);
          write_file(folder / (stem + ".eml"), transaction.stored_copy());
          if (!transaction.authentication_results.empty()) {
            write_file(folder / (stem + ".received.eml"), *transaction.message);
          }
        }
      }
    }
  }
}

}  // namespace maildog::report
