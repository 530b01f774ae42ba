#include "report/github.hpp"

#include <algorithm>
#include <chrono>

#include "report/app_output.hpp"
#include "report/console.hpp"

namespace maildog::report {

namespace {

std::string escape(std::string_view text, bool property) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '%':
        out += "%25";
        break;
      case '\r':
        out += "%0D";
        break;
      case '\n':
        out += "%0A";
        break;
      case ':':
        out += property ? "%3A" : ":";
        break;
      case ',':
        out += property ? "%2C" : ",";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// At most `max` bytes, cut before a UTF-8 continuation byte so no character is split.
std::string bounded(std::string text, std::size_t max) {
  if (text.size() <= max) {
    return text;
  }
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) {
    --cut;
  }
  text.resize(cut);
  return text + "\n[...]";
}

std::size_t annotation_line(const runner::ScenarioResult& scenario) {
  for (const auto& failure : scenario.failures) {
    if (failure.line != 0) {
      return failure.line;
    }
  }
  return scenario.line;
}

std::string annotation_message(const runner::ScenarioResult& scenario) {
  std::string message;
  if (scenario.status == runner::Status::error) {
    message += "error: " + (scenario.error.empty() ? std::string("the scenario could not run") : scenario.error);
  }
  for (const auto& failure : scenario.failures) {
    if (!message.empty()) {
      message += "\n";
    }
    message += failure.expectation + " at line " + std::to_string(failure.line == 0 ? scenario.line : failure.line) +
               "\n  expected: " + failure.expected + "\n  actual:   " + failure.actual;
  }
  return bounded(message.empty() ? std::string("scenario failed") : message, k_annotation_message_max);
}

// Text in a Markdown paragraph or table cell: one line, every character that could start
// markup, an HTML tag, an entity, an emoji shortcode or a cell boundary backslash-escaped.
std::string inline_text(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '\n' || c == '\r') {
      out += ' ';
      continue;
    }
    if (std::string_view("\\`*_[]<>|~&:!#").find(c) != std::string_view::npos) {
      out += '\\';
    }
    out += c;
  }
  return out;
}

std::size_t longest_backtick_run(std::string_view text) {
  std::size_t longest = 0;
  std::size_t run = 0;
  for (const char c : text) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return longest;
}

// A code span that survives backticks in the text and, in a table, a '|' (GFM splits cells
// on it even inside code).
std::string code_span(std::string_view text) {
  std::string body;
  for (const char c : text) {
    if (c == '\n' || c == '\r') {
      body += ' ';
    } else if (c == '|') {
      body += "\\|";
    } else {
      body += c;
    }
  }
  const std::string fence(longest_backtick_run(body) + 1, '`');
  const bool pad = !body.empty() && (body.front() == '`' || body.back() == '`');
  return fence + (pad ? " " : "") + body + (pad ? " " : "") + fence;
}

// Lines in a fenced block, with a fence longer than any backtick run inside.
std::string fenced(const std::vector<std::string>& lines) {
  std::size_t longest = 0;
  for (const auto& line : lines) {
    longest = std::max(longest, longest_backtick_run(line));
  }
  const std::string fence(std::max<std::size_t>(3, longest + 1), '`');
  std::string out = fence + "text\n";
  for (const auto& line : lines) {
    std::string one = line;
    std::replace(one.begin(), one.end(), '\r', ' ');
    std::replace(one.begin(), one.end(), '\n', ' ');
    out += one + "\n";
  }
  return out + fence + "\n";
}

std::string_view status_cell(runner::Status status) {
  switch (status) {
    case runner::Status::passed:
      return "\xE2\x9C\x85 passed";  // U+2705
    case runner::Status::failed:
      return "\xE2\x9D\x8C failed";  // U+274C
    case runner::Status::error:
      return "\xE2\x9A\xA0\xEF\xB8\x8F error";  // U+26A0 U+FE0F
  }
  return "error";
}

std::string where(const runner::ScenarioResult& scenario, std::size_t line, const GithubContext& context) {
  return github_path(scenario.file, context) + ":" + std::to_string(line == 0 ? scenario.line : line);
}

void write_details(const runner::ScenarioResult& scenario, const GithubContext& context, std::ostream& out) {
  out << "\n#### " << status_cell(scenario.status) << ": " << inline_text(scenario.name) << " ("
      << code_span(where(scenario, 0, context)) << ")\n";
  if (scenario.status == runner::Status::error) {
    out << '\n'
        << fenced({"error: " + (scenario.error.empty() ? std::string("the scenario could not run") : scenario.error)});
  }
  for (const auto& failure : scenario.failures) {
    std::vector<std::string> lines{"expected: " + failure.expected, "actual:   " + failure.actual};
    const std::size_t shown = std::min(failure.context.size(), k_summary_context_lines);
    if (shown > 0) {
      lines.push_back("transcript:");
    }
    for (std::size_t i = 0; i < shown; ++i) {
      lines.push_back("  " + failure.context[i]);
    }
    if (shown < failure.context.size()) {
      lines.push_back("  ... " + std::to_string(failure.context.size() - shown) + " more lines in the reports");
    }
    out << "\n**" << inline_text(failure.expectation) << "** at " << code_span(where(scenario, failure.line, context))
        << "\n\n"
        << fenced(lines);
  }
  if (const auto tail = app_output_tail(scenario); !tail.empty()) {
    out << "\n**app output**\n\n" << fenced(tail);
  }
}

}  // namespace

std::string escape_command_data(std::string_view text) { return escape(text, false); }

std::string escape_command_property(std::string_view text) { return escape(text, true); }

std::string github_path(const std::filesystem::path& file, const GithubContext& context) {
  if (!context.workspace.empty()) {
    const auto absolute = (file.is_absolute() ? file : context.cwd / file).lexically_normal();
    const auto relative = absolute.lexically_relative(context.workspace.lexically_normal());
    if (!relative.empty() && *relative.begin() != "..") {
      return relative.generic_string();
    }
  }
  return file.generic_string();
}

void write_github_annotations(const runner::RunResult& run, const GithubContext& context, std::ostream& out) {
  for (const auto& scenario : run.scenarios) {
    if (scenario.status == runner::Status::passed) {
      continue;
    }
    out << "::error file=" << escape_command_property(github_path(scenario.file, context));
    if (const std::size_t line = annotation_line(scenario); line != 0) {
      out << ",line=" << line;
    }
    out << ",title=" << escape_command_property(scenario.name)
        << "::" << escape_command_data(annotation_message(scenario)) << '\n';
  }
  out.flush();
}

void write_github_summary(const runner::RunResult& run, const GithubContext& context, std::ostream& out) {
  out << "### maildog-ci" << (context.shard.empty() ? std::string() : " shard " + context.shard) << ": ";
  if (run.scenarios.empty()) {
    out << "no scenario to run here\n\n";
    return;
  }
  out << run.passed() << " passed, " << run.failed() << " failed\n\n";
  out << "| status | scenario | file:line | duration |\n| --- | --- | --- | ---: |\n";
  const bool every_row = run.scenarios.size() <= k_summary_rows_max;
  std::size_t rows = 0;
  for (const auto& scenario : run.scenarios) {
    if ((!every_row && scenario.status == runner::Status::passed) || rows == k_summary_rows_max) {
      continue;
    }
    ++rows;
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(scenario.duration).count();
    out << "| " << status_cell(scenario.status) << " | " << inline_text(scenario.name) << " | "
        << code_span(where(scenario, 0, context)) << " | " << ms << " ms |\n";
  }
  if (rows < run.scenarios.size()) {
    out << "\n_" << run.scenarios.size() - rows
        << " more scenarios are not listed here (passed ones left out first); the JUnit and JSON reports have them all._\n";
  }
  std::size_t detailed = 0;
  for (const auto& scenario : run.scenarios) {
    if (scenario.status == runner::Status::passed) {
      continue;
    }
    if (detailed++ == k_summary_details_max) {
      out << "\n_" << run.failed() - k_summary_details_max
          << " more failed scenarios are not shown here; the JUnit and JSON reports have them all._\n";
      break;
    }
    write_details(scenario, context, out);
  }
  out << '\n';
}

}  // namespace maildog::report
