#include "report/app_output.hpp"

#include <algorithm>
#include <string_view>

namespace maildog::report {

namespace {

// The lines of `text` without their line ends; a last line without "\n" counts.
std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    lines.push_back(line);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
  }
  return lines;
}

// Cut on a UTF-8 boundary so no character is split.
std::string bounded_line(std::string_view line) {
  if (line.size() <= k_app_output_line_max) {
    return std::string(line);
  }
  std::size_t cut = k_app_output_line_max;
  while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) {
    --cut;
  }
  return std::string(line.substr(0, cut)) + "...";
}

// `stream` names whose output it is: "app stderr", "service web stdout".
void append_tail(const std::string& stream, const std::string& text, bool truncated, std::vector<std::string>& out) {
  const auto lines = lines_of(text);
  if (lines.empty()) {
    out.push_back(stream + ": empty");
    return;
  }
  const std::size_t shown = std::min(lines.size(), k_app_output_tail_lines);
  std::string heading = stream;
  if (shown < lines.size()) {
    heading += ", last " + std::to_string(shown) + " of " + std::to_string(lines.size()) + " lines";
  }
  // The runner keeps only the start of a stream that outgrew its limit: say these are not the last lines.
  heading += truncated ? " (cut at the output limit):" : ":";
  out.push_back(std::move(heading));
  for (std::size_t i = lines.size() - shown; i < lines.size(); ++i) {
    out.push_back("  " + bounded_line(lines[i]));
  }
}

}  // namespace

bool shows_app_output(const runner::ScenarioResult& scenario) {
  if (!scenario.app || scenario.status == runner::Status::passed) {
    return false;
  }
  for (const auto& failure : scenario.failures) {
    if (failure.expectation.starts_with("expect.app")) {
      return true;
    }
  }
  return false;
}

std::vector<std::string> app_output_tail(const runner::ScenarioResult& scenario) {
  std::vector<std::string> out;
  if (shows_app_output(scenario)) {
    append_tail("app stdout", scenario.app->stdout_text, scenario.app->stdout_truncated, out);
    append_tail("app stderr", scenario.app->stderr_text, scenario.app->stderr_truncated, out);
  }
  // A service that exited early or was never ready: its own words say why.
  for (const auto& service : scenario.services) {
    if (service.problem.empty() || service.process.outcome == runner::ProcessResult::Outcome::failed_to_start) {
      continue;
    }
    const std::string name = "service " + service.name;
    append_tail(name + " stdout", service.process.stdout_text, service.process.stdout_truncated, out);
    append_tail(name + " stderr", service.process.stderr_text, service.process.stderr_truncated, out);
  }
  return out;
}

}  // namespace maildog::report
