#include "report/junit.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <map>
#include <vector>

#include "core/time_text.hpp"
#include "expect/transcript.hpp"
#include "report/console.hpp"

namespace maildog::report {

namespace {

constexpr std::string_view k_replacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the well-formed UTF-8 sequence at `pos` and its code point; 0 when ill-formed
// (RFC 3629 4: no overlongs, no surrogates, nothing above U+10FFFF).
std::size_t decode_utf8(std::string_view text, std::size_t pos, char32_t& code_point) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char first = byte(pos);
  std::size_t length = 0;
  char32_t min = 0;
  if (first < 0x80) {
    code_point = first;
    return 1;
  }
  if ((first & 0xE0) == 0xC0) {
    length = 2;
    code_point = first & 0x1F;
    min = 0x80;
  } else if ((first & 0xF0) == 0xE0) {
    length = 3;
    code_point = first & 0x0F;
    min = 0x800;
  } else if ((first & 0xF8) == 0xF0) {
    length = 4;
    code_point = first & 0x07;
    min = 0x10000;
  } else {
    return 0;
  }
  if (text.size() - pos < length) {
    return 0;
  }
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(pos + i) & 0xC0) != 0x80) {
      return 0;
    }
    code_point = (code_point << 6) | (byte(pos + i) & 0x3F);
  }
  if (code_point < min || code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF)) {
    return 0;
  }
  return length;
}

// XML 1.0 2.2 Char, without the C0 controls other than tab, LF and CR.
bool xml_char(char32_t c) {
  return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD) ||
         (c >= 0x10000 && c <= 0x10FFFF);
}

// Seconds with three decimals, as SUREFIRE_TIME wants: "0.012".
std::string seconds(std::chrono::microseconds duration) {
  const long long ms = (duration.count() + 500) / 1000;
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%lld.%03lld", ms / 1000, ms % 1000);
  return buffer;
}

std::string dotted(const std::filesystem::path& file) {
  std::string out = file.generic_string();
  for (char& c : out) {
    if (c == '/') {
      c = '.';
    }
  }
  return out;
}

std::string attr(std::string_view name, std::string_view value) {
  return ' ' + std::string(name) + "=\"" + xml_escape(value, true) + '"';
}

std::string failure_text(const runner::ScenarioResult& scenario) {
  std::string text;
  for (const auto& failure : scenario.failures) {
    text += format_failure(failure, scenario);
  }
  return text;
}

// The first failed expectation in full, then how many more: many CI UIs show only this
// attribute, so it must say what went wrong rather than how often.
std::string failure_message(const runner::ScenarioResult& scenario) {
  if (scenario.failures.empty()) {
    return "scenario failed";
  }
  const auto& first = scenario.failures.front();
  std::string message = first.expectation + ": expected " + first.expected + ", got " + first.actual;
  if (scenario.failures.size() > 1) {
    message += " (and " + std::to_string(scenario.failures.size() - 1) + " more)";
  }
  return message;
}

std::string step_line(const runner::StepOutcome& step) {
  std::string line = "step at line " + std::to_string(step.line) + ": " + step.action;
  line += step.reply ? " -> " + step.reply->summary() : std::string(" -> no reply");
  if (!step.ok) {
    line += " [failed: " + step.problem + "]";
  }
  return line + "\n";
}

// The real transcript (AUTH already masked in the records), client steps, then app stdout.
std::string system_out(const runner::ScenarioResult& scenario) {
  std::string out = expect::join_lines(expect::render_lines(scenario.sessions));
  if (!scenario.steps.empty()) {
    out += "--- client steps ---\n";
    for (const auto& step : scenario.steps) {
      out += step_line(step);
    }
  }
  if (scenario.app && !scenario.app->stdout_text.empty()) {
    out += "--- app stdout ---\n" + scenario.app->stdout_text;
  }
  return out;
}

void write_testcase(const runner::ScenarioResult& scenario, std::ostream& out) {
  const std::string classname = dotted(scenario.file);
  out << "    <testcase" << attr("name", scenario.name) << attr("classname", classname)
      << attr("time", seconds(scenario.duration)) << attr("file", scenario.file.generic_string())
      << attr("line", std::to_string(scenario.line)) << ">\n";
  if (scenario.status == runner::Status::error) {
    const std::string message = scenario.error.empty() ? std::string("the scenario could not run") : scenario.error;
    std::string text = message + "\n" + failure_text(scenario);
    out << "      <error" << attr("message", message) << attr("type", "environment") << ">" << xml_escape(text)
        << "</error>\n";
  } else if (scenario.status == runner::Status::failed) {
    out << "      <failure" << attr("message", failure_message(scenario)) << attr("type", "expectation") << ">"
        << xml_escape(failure_text(scenario)) << "</failure>\n";
  }
  const std::string stdout_text = system_out(scenario);
  if (!stdout_text.empty()) {
    out << "      <system-out>" << xml_escape(stdout_text) << "</system-out>\n";
  }
  if (scenario.app && !scenario.app->stderr_text.empty()) {
    out << "      <system-err>" << xml_escape(scenario.app->stderr_text) << "</system-err>\n";
  }
  out << "    </testcase>\n";
}

}  // namespace

std::string xml_escape(std::string_view text, bool attribute) {
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    char32_t c = 0;
    const std::size_t length = decode_utf8(text, pos, c);
    if (length == 0) {
      out += k_replacement;
      ++pos;
      continue;
    }
    if (!xml_char(c)) {
      pos += length;
      continue;
    }
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += attribute ? "&quot;" : "\"";
        break;
      case '\t':
        out += attribute ? "&#9;" : "\t";
        break;
      case '\n':
        out += attribute ? "&#10;" : "\n";
        break;
      case '\r':
        out += "&#13;";  // a literal CR would be turned into LF by the parser
        break;
      default:
        out.append(text.substr(pos, length));
    }
    pos += length;
  }
  return out;
}

void write_junit(const runner::RunResult& run, std::ostream& out) {
  // Suites by file, in the order files first appear.
  std::vector<std::filesystem::path> files;
  std::map<std::filesystem::path, std::vector<const runner::ScenarioResult*>> by_file;
  for (const auto& scenario : run.scenarios) {
    auto& group = by_file[scenario.file];
    if (group.empty()) {
      files.push_back(scenario.file);
    }
    group.push_back(&scenario);
  }
  std::size_t failures = 0;
  std::size_t errors = 0;
  for (const auto& scenario : run.scenarios) {
    failures += scenario.status == runner::Status::failed ? 1 : 0;
    errors += scenario.status == runner::Status::error ? 1 : 0;
  }
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out << "<testsuites" << attr("name", "maildog-ci") << attr("tests", std::to_string(run.scenarios.size()))
      << attr("failures", std::to_string(failures)) << attr("errors", std::to_string(errors))
      << attr("time", seconds(run.duration)) << ">\n";
  for (std::size_t id = 0; id < files.size(); ++id) {
    const auto& group = by_file[files[id]];
    std::size_t suite_failures = 0;
    std::size_t suite_errors = 0;
    std::chrono::microseconds suite_time{0};
    auto started = group.front()->started;
    for (const auto* scenario : group) {
      suite_failures += scenario->status == runner::Status::failed ? 1 : 0;
      suite_errors += scenario->status == runner::Status::error ? 1 : 0;
      suite_time += scenario->duration;
      started = std::min(started, scenario->started);
    }
    const std::string name = files[id].generic_string();
    out << "  <testsuite" << attr("name", name) << attr("tests", std::to_string(group.size()))
        << attr("failures", std::to_string(suite_failures)) << attr("errors", std::to_string(suite_errors))
        << attr("skipped", "0") << attr("time", seconds(suite_time))
        << attr("timestamp", time_text::utc(started, time_text::Form::iso_seconds)) << attr("hostname", "localhost")
        << attr("id", std::to_string(id)) << attr("package", dotted(files[id])) << ">\n";
    out << "    <properties>\n";
    out << "      <property" << attr("name", "seed") << attr("value", std::to_string(run.seed)) << "/>\n";
    out << "    </properties>\n";
    for (const auto* scenario : group) {
      write_testcase(*scenario, out);
    }
    out << "  </testsuite>\n";
  }
  out << "</testsuites>\n";
}

}  // namespace maildog::report
