#include "report/normalise.hpp"

#include <array>

#include "core/ascii.hpp"
#include "expect/transcript.hpp"

namespace maildog::report {

namespace {

constexpr std::string_view k_line_prefix = "C: ";  // every rendered entry starts with 3 characters
constexpr std::array<std::string_view, 3> k_message_id_headers{"Message-ID", "Resent-Message-ID", "Content-ID"};
constexpr std::string_view k_boundary = "boundary=";

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Each whole-number occurrence of `port` -> "<port>" (not inside a longer number).
std::string replace_port_number(std::string text, std::uint16_t port) {
  if (port == 0) {
    return text;
  }
  const std::string number = std::to_string(port);
  std::size_t pos = 0;
  while ((pos = text.find(number, pos)) != std::string::npos) {
    const std::size_t end = pos + number.size();
    const bool alone = (pos == 0 || !is_digit(text[pos - 1])) && (end == text.size() || !is_digit(text[end]));
    if (alone) {
      text.replace(pos, number.size(), "<port>");
      pos += 6;
    } else {
      pos = end;
    }
  }
  return text;
}

// "process group 11090 killed" (runner/process.cpp after a timeout) -> "process group <pid> killed".
std::string replace_process_group(std::string text) {
  constexpr std::string_view k_process_group = "process group ";
  std::size_t pos = 0;
  while ((pos = text.find(k_process_group, pos)) != std::string::npos) {
    const std::size_t start = pos + k_process_group.size();
    std::size_t end = start;
    while (end < text.size() && is_digit(text[end])) {
      ++end;
    }
    if (end > start) {
      text.replace(start, end - start, "<pid>");
    }
    pos = start;
  }
  return text;
}

// Line by line, so a match never spans two lines of output.
std::string normalise_lines(std::string_view text, std::uint16_t sandbox_port) {
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t eol = text.find('\n', pos);
    const std::size_t end = eol == std::string_view::npos ? text.size() : eol;
    const std::string line = expect::normalise_text(text.substr(pos, end - pos));
    out += replace_process_group(replace_port_number(line, sandbox_port));
    if (eol != std::string_view::npos) {
      out += '\n';
    }
    pos = end + 1;
  }
  return out;
}

void normalise_reply(std::optional<smtp::Reply>& reply, std::uint16_t sandbox_port) {
  if (reply) {
    for (auto& line : reply->lines) {
      line = normalise_lines(line, sandbox_port);
    }
  }
}

void normalise_transcripts(std::vector<capture::SessionRecord>& sessions) {
  const std::vector<std::string> lines = expect::normalised_lines(sessions);
  std::size_t index = 0;
  for (auto& session : sessions) {
    ++index;  // the session header
    for (auto& entry : session.transcript) {
      entry.text = lines[index++].substr(k_line_prefix.size());
    }
    session.client_port = 0;
  }
}

void normalise_scenario(runner::ScenarioResult& scenario) {
  const std::uint16_t port = scenario.sandbox_port;
  normalise_transcripts(scenario.sessions);
  scenario.error = normalise_lines(scenario.error, port);
  for (auto& failure : scenario.failures) {
    failure.actual = normalise_lines(failure.actual, port);
  }
  if (scenario.app) {
    scenario.app->stdout_text = normalise_lines(scenario.app->stdout_text, port);
    scenario.app->stderr_text = normalise_lines(scenario.app->stderr_text, port);
    scenario.app->error = normalise_lines(scenario.app->error, port);
  }
  for (auto& step : scenario.then_steps) {
    for (auto& failure : step.unmet) {
      failure.actual = normalise_lines(failure.actual, port);
    }
    if (step.process) {
      step.process->stdout_text = normalise_lines(step.process->stdout_text, port);
      step.process->stderr_text = normalise_lines(step.process->stderr_text, port);
      step.process->error = normalise_lines(step.process->error, port);
    }
  }
  for (auto& step : scenario.steps) {
    // A CRAM-MD5 step that ends on the challenge: it carries the sandbox's clock (RFC 2195 2).
    if (ascii::lower(step.action).starts_with("auth cram-md5") && step.reply && step.reply->code == 334) {
      step.reply->lines = {"<challenge>"};
    } else {
      normalise_reply(step.reply, port);
    }
    step.action = normalise_lines(step.action, port);
    step.problem = normalise_lines(step.problem, port);
  }
  scenario.sandbox_port = 0;
}

}  // namespace

runner::RunResult normalise_for_reports(runner::RunResult run) {
  for (auto& scenario : run.scenarios) {
    normalise_scenario(scenario);
  }
  return run;
}

std::string normalise_header_value(std::string_view name, std::string_view value) {
  for (std::string_view id_header : k_message_id_headers) {
    if (ascii::iequals(name, id_header)) {
      return "<message-id>";
    }
  }
  std::string text(value);
  const std::string lower = ascii::lower(text);
  const std::size_t boundary = lower.find(k_boundary);
  if (boundary != std::string::npos) {
    const std::size_t start = boundary + k_boundary.size();
    std::size_t end = start;
    if (end < text.size() && text[end] == '"') {
      const std::size_t close = text.find('"', end + 1);
      end = close == std::string::npos ? text.size() : close + 1;
    } else {
      while (end < text.size() && text[end] != ';' && text[end] != ' ') {
        ++end;
      }
    }
    text.replace(start, end - start, "\"<boundary>\"");
  }
  return expect::normalise_text(text);
}

}  // namespace maildog::report
