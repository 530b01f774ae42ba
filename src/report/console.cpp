#include "report/console.hpp"

#include <chrono>

#include "report/app_output.hpp"

namespace maildog::report {

namespace {

constexpr std::string_view k_green = "\033[32m";
constexpr std::string_view k_red = "\033[31m";
constexpr std::string_view k_bold = "\033[1m";
constexpr std::string_view k_dim = "\033[2m";
constexpr std::string_view k_reset = "\033[0m";

std::string_view label(runner::Status status) {
  switch (status) {
    case runner::Status::passed:
      return "PASS ";
    case runner::Status::failed:
      return "FAIL ";
    case runner::Status::error:
      return "ERROR";
  }
  return "ERROR";
}

std::string_view label_color(runner::Status status) { return status == runner::Status::passed ? k_green : k_red; }

}  // namespace

std::string_view status_name(runner::Status status) { return name_of(k_status_names, status); }

std::string location(const std::filesystem::path& file, std::size_t line) {
  return file.generic_string() + ':' + std::to_string(line);
}

std::string format_failure(const runner::Failure& failure, const runner::ScenarioResult& scenario,
                           std::string_view indent) {
  const std::string pad(indent);
  std::string out = pad + failure.expectation + " at " +
                    location(scenario.file, failure.line == 0 ? scenario.line : failure.line) + "\n";
  out += pad + "  expected: " + failure.expected + "\n";
  out += pad + "  actual:   " + failure.actual + "\n";
  if (!failure.context.empty()) {
    // A then step's command failing carries the end of its output, not transcript lines.
    const bool step_output =
        failure.expectation.starts_with("app.then[") && failure.expectation.find(".wait_for") == std::string::npos;
    out += pad + (step_output ? "  output:\n" : "  transcript:\n");
    for (const auto& line : failure.context) {
      out += pad + "    " + line + "\n";
    }
  }
  return out;
}

ConsoleReporter::ConsoleReporter(std::ostream& out, bool color) : m_out(out), m_color(color) {}

std::string ConsoleReporter::paint(std::string_view text, std::string_view color) const {
  if (!m_color) {
    return std::string(text);
  }
  return std::string(color) + std::string(text) + std::string(k_reset);
}

void ConsoleReporter::scenario_finished(const runner::ScenarioResult& result) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(result.duration).count();
  ++m_done;
  if (m_total > 0) {
    const std::string total = std::to_string(m_total);
    std::string done = std::to_string(m_done);
    done.insert(0, total.size() > done.size() ? total.size() - done.size() : 0, ' ');
    m_out << '[' << done << '/' << total << ']';
  }
  m_out << "  " << paint(label(result.status), label_color(result.status)) << ' ' << result.name << " ("
        << location(result.file, result.line) << ") " << ms << " ms\n";
  m_out.flush();
}

void ConsoleReporter::finish(const runner::RunResult& run) {
  for (const auto& scenario : run.scenarios) {
    if (scenario.status == runner::Status::passed) {
      continue;
    }
    m_out << '\n'
          << paint(std::string(label(scenario.status)) + ' ' + scenario.name, k_bold) << " ("
          << location(scenario.file, scenario.line) << ")\n";
    if (scenario.status == runner::Status::error && !scenario.error.empty()) {
      m_out << "  " << paint("error:", k_red) << ' ' << scenario.error << '\n';
    }
    for (const auto& failure : scenario.failures) {
      std::string text = format_failure(failure, scenario, "  ");
      if (m_color) {
        // Dim the transcript lines so expected/actual stand out.
        const auto marker = text.find("    transcript:\n");
        if (marker != std::string::npos) {
          text.pop_back();
          text = text.substr(0, marker) + std::string(k_dim) + text.substr(marker) + std::string(k_reset) + "\n";
        }
      }
      m_out << text;
    }
    for (const auto& line : app_output_tail(scenario)) {
      m_out << "  " << line << '\n';
    }
  }
  m_out << '\n' << run.passed() << " passed, " << run.failed() << " failed\n";
  m_out.flush();
}

}  // namespace maildog::report
