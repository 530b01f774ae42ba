#include "report/html.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <set>

#include "core/time_text.hpp"
#include "expect/transcript.hpp"
#include "report/console.hpp"
#include "report/html_assets.hpp"
#include "report/junit.hpp"
#include "report/normalise.hpp"
#include "rules/engine.hpp"

namespace maildog::report {

namespace {

std::string escaped(std::string_view text) { return html_escape(text); }

// " SIZE=98" for ESMTP parameters; nothing when there are none.
std::string with_space(std::string_view parameters) {
  return parameters.empty() ? std::string() : " " + escaped(parameters);
}

std::string_view badge(runner::Status status) {
  switch (status) {
    case runner::Status::passed:
      return "PASS";
    case runner::Status::failed:
      return "FAIL";
    case runner::Status::error:
      return "ERROR";
  }
  return "ERROR";
}

// "12 ms" below a second, "1.03 s" above.
std::string human_duration(std::chrono::microseconds duration) {
  char buffer[32];
  const long long us = duration.count();
  if (us < 1'000'000) {
    std::snprintf(buffer, sizeof buffer, "%lld ms", (us + 500) / 1000);
  } else {
    std::snprintf(buffer, sizeof buffer, "%.2f s", static_cast<double>(us) / 1e6);
  }
  return buffer;
}

// The end of `text`, from a line start when one is near, so the last lines read whole.
std::string_view tail(std::string_view text, std::size_t max, bool& cut) {
  cut = text.size() > max;
  if (!cut) {
    return text;
  }
  std::string_view end = text.substr(text.size() - max);
  const std::size_t newline = end.find('\n');
  return newline != std::string_view::npos && newline + 1 < end.size() ? end.substr(newline + 1) : end;
}

std::string scenario_id(std::size_t index) { return "scenario-" + std::to_string(index + 1); }

std::string line_id(std::size_t scenario, std::size_t line) {
  return scenario_id(scenario) + "-line-" + std::to_string(line + 1);
}

void write_head(const runner::RunResult& run, std::ostream& out) {
  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      << "<meta name=\"generator\" content=\"maildog-ci\">\n"
      << "<title>maildog-ci: " << run.passed() << " passed, " << run.failed() << " failed</title>\n"
      << "<style>\n"
      << html_style() << "</style>\n</head>\n";
}

void write_summary(const runner::RunResult& run, std::ostream& out) {
  std::size_t errors = 0;
  std::set<std::string> tags;
  for (const auto& scenario : run.scenarios) {
    errors += scenario.status == runner::Status::error ? 1 : 0;
    tags.insert(scenario.tags.begin(), scenario.tags.end());
  }
  out << "<header>\n<h1>maildog-ci report</h1>\n<p class=\"summary\" id=\"summary\">"
      << "<span class=\"count passed\">" << run.passed() << " passed</span>"
      << "<span class=\"count failed\">" << run.failed() - errors << " failed</span>";
  if (errors > 0) {
    out << "<span class=\"count error\">" << errors << " could not run</span>";
  }
  out << "<span>" << run.scenarios.size() << " scenarios in " << human_duration(run.duration) << "</span>"
      << "<span>started " << escaped(time_text::utc(run.started, time_text::Form::readable)) << "</span>"
      << "<span>seed " << run.seed << " (rerun with <code>--seed " << run.seed << "</code>)</span></p>\n";
  // Hidden until the script shows it: without JavaScript the controls would do nothing.
  out << "<nav id=\"filters\" hidden>\n<fieldset><legend>Status</legend>";
  for (std::string_view status : {"passed", "failed", "error"}) {
    out << "<label><input type=\"checkbox\" name=\"status\" value=\"" << status << "\" checked> " << status
        << "</label>";
  }
  out << "</fieldset>\n";
  if (!tags.empty()) {
    out << "<fieldset><legend>Tags</legend>";
    for (const auto& tag : tags) {
      out << "<button type=\"button\" data-tag=\"" << escaped(tag) << "\" aria-pressed=\"false\">" << escaped(tag)
          << "</button>";
    }
    out << "</fieldset>\n";
  }
  out << "<button type=\"button\" id=\"expand-all\">Expand all</button>"
      << "<button type=\"button\" id=\"collapse-all\">Collapse all</button>"
      << "<span id=\"shown-count\"></span>\n</nav>\n</header>\n";
}

void write_failures(const runner::ScenarioResult& scenario, std::size_t index, const std::vector<std::string>& lines,
                    std::ostream& out) {
  if (scenario.failures.empty()) {
    return;
  }
  out << "<h3>Failed expectations</h3>\n<ol class=\"failures\">\n";
  for (const auto& failure : scenario.failures) {
    const std::size_t line = failure.line == 0 ? scenario.line : failure.line;
    out << "<li class=\"failure\"><span class=\"expectation\">" << escaped(failure.expectation)
        << "</span> at <span class=\"where\">" << escaped(location(scenario.file, line))
        << "</span>\n<dl class=\"fields\"><dt>expected</dt><dd>" << escaped(failure.expected)
        << "</dd><dt>actual</dt><dd>" << escaped(failure.actual) << "</dd></dl>\n";
    if (!failure.context.empty()) {
      const auto hits = context_line_indexes(lines, failure.context);
      out << "<div class=\"note\">transcript";
      if (!hits.empty() && hits.front() < k_html_transcript_lines_max) {
        out << " (<a href=\"#" << line_id(index, hits.front()) << "\">line " << hits.front() + 1 << "</a>)";
      }
      out << ":</div>\n<pre class=\"context\">";
      for (const auto& context_line : failure.context) {
        out << escaped(context_line) << '\n';
      }
      out << "</pre>\n";
    }
    out << "</li>\n";
  }
  out << "</ol>\n";
}

void write_output(std::string_view name, const std::string& text, bool truncated, std::ostream& out) {
  if (text.empty()) {
    return;
  }
  bool cut = false;
  const std::string_view shown = tail(text, k_html_output_tail_max, cut);
  out << "<div class=\"note\">" << name;
  if (cut || truncated) {
    out << " (last " << shown.size() << " bytes shown)";
  }
  out << ":</div>\n<pre class=\"output\">" << escaped(shown) << "</pre>\n";
}

void write_app(const runner::ProcessResult& app, std::ostream& out) {
  out << "<h3>App</h3>\n<p>" << escaped(app.describe()) << "</p>\n";
  write_output("stdout", app.stdout_text, app.stdout_truncated, out);
  write_output("stderr", app.stderr_text, app.stderr_truncated, out);
}

void write_steps(const std::vector<runner::StepOutcome>& steps, std::ostream& out) {
  if (steps.empty()) {
    return;
  }
  out << "<h3>Client steps</h3>\n<table class=\"steps\"><thead><tr><th>line</th><th>sent</th><th>reply</th>"
      << "<th>result</th></tr></thead><tbody>\n";
  for (const auto& step : steps) {
    out << "<tr" << (step.ok ? "" : " class=\"failed\"") << "><td>" << step.line << "</td><td><code>"
        << escaped(step.action) << "</code></td><td><code>"
        << (step.reply ? escaped(step.reply->summary()) : "no reply") << "</code></td><td>"
        << (step.ok ? "ok" : escaped("failed: " + step.problem)) << "</td></tr>\n";
  }
  out << "</tbody></table>\n";
}

std::string_view line_class(std::string_view line) {
  if (line.starts_with("== ")) {
    return "session";
  }
  if (line.starts_with("C: ")) {
    return "client";
  }
  if (line.starts_with("S: ")) {
    return "server";
  }
  return "event";
}

void write_transcript(const std::vector<std::string>& lines, const std::set<std::size_t>& hits, std::size_t index,
                      std::ostream& out) {
  if (lines.empty()) {
    return;
  }
  out << "<h3>Transcript</h3>\n<pre class=\"transcript\">";
  const std::size_t shown = std::min(lines.size(), k_html_transcript_lines_max);
  for (std::size_t i = 0; i < shown; ++i) {
    const std::string_view line = std::string_view(lines[i]).substr(0, k_html_line_max);
    out << "<span class=\"line " << line_class(line) << (hits.contains(i) ? " hit" : "") << "\" id=\""
        << line_id(index, i) << "\">" << escaped(line) << "</span>";
  }
  out << "</pre>\n";
  if (shown < lines.size()) {
    out << "<p class=\"note\">" << lines.size() - shown
        << " more lines not shown: see the JSON report or --artifacts.</p>\n";
  }
}

void write_sessions(const std::vector<capture::SessionRecord>& sessions, std::ostream& out) {
  if (sessions.empty()) {
    return;
  }
  out << "<h3>Sessions</h3>\n<ul class=\"sessions\">\n";
  for (const auto& session : sessions) {
    out << "<li>session " << session.id << " from " << escaped(session.client_address);
    if (!session.helo.empty()) {
      out << ", " << (session.esmtp ? "EHLO " : "HELO ") << escaped(session.helo);
    }
    if (session.tls) {
      out << ", TLS " << escaped(session.tls_version) << ' ' << escaped(session.tls_cipher);
    }
    if (session.auth_user) {
      out << ", authenticated as " << escaped(*session.auth_user) << " with " << escaped(session.auth_mechanism);
    }
    if (!session.close_reason.empty()) {
      out << ", closed: " << escaped(session.close_reason);
    }
    out << "</li>\n";
  }
  out << "</ul>\n";
}

void write_message(const capture::SessionRecord& session, const capture::TransactionRecord& transaction,
                   std::ostream& out) {
  out << "<div class=\"message\">\n<dl class=\"fields\"><dt>session</dt><dd>" << session.id
      << "</dd><dt>MAIL FROM</dt><dd>&lt;" << escaped(transaction.mail_from) << "&gt;"
      << with_space(transaction.mail_parameters) << " &rarr; " << escaped(transaction.mail_reply.summary()) << "</dd>";
  for (const auto& recipient : transaction.recipients) {
    out << "<dt>RCPT TO</dt><dd>&lt;" << escaped(recipient.address) << "&gt;" << with_space(recipient.parameters)
        << " &rarr; " << escaped(recipient.reply.summary()) << " (attempt " << recipient.attempt << ")</dd>";
  }
  if (transaction.final_reply) {
    out << "<dt>end of data</dt><dd>" << escaped(transaction.final_reply->summary()) << "</dd>";
  } else if (transaction.data_reply) {
    out << "<dt>DATA</dt><dd>" << escaped(transaction.data_reply->summary()) << "</dd>";
  }
  out << "<dt>delivered</dt><dd>" << (transaction.delivered ? "yes" : "no") << "</dd>";
  if (transaction.message) {
    out << "<dt>size</dt><dd>" << transaction.message->size() << " octets" << (transaction.bare_lf ? ", bare LF" : "")
        << (transaction.eight_bit ? ", 8-bit" : "") << "</dd>";
  }
  for (const auto& [method, result] : transaction.auth_results) {
    out << "<dt>" << escaped(method) << "</dt><dd>" << escaped(result) << "</dd>";
  }
  if (!transaction.authentication_results.empty()) {
    out << "<dt>Authentication-Results</dt><dd>" << escaped(transaction.authentication_results) << "</dd>";
  }
  for (const auto& note : transaction.lint) {
    out << "<dt>lint</dt><dd class=\"lint\"><code>" << escaped(note.name) << "</code> " << escaped(note.message);
    if (note.line > 0) {
      out << " (line " << note.line << ")";
    }
    out << "</dd>";
  }
  out << "</dl>\n";
  if (transaction.message) {
    const std::string_view head = std::string_view(*transaction.message).substr(0, k_html_header_block_max);
    out << "<pre class=\"headers\">";
    for (const auto& header : rules::parse_headers(head)) {
      out << escaped(header.name) << ": " << escaped(normalise_header_value(header.name, header.value)) << '\n';
    }
    out << "</pre>\n";
  }
  out << "</div>\n";
}

void write_messages(const std::vector<capture::SessionRecord>& sessions, std::ostream& out) {
  std::size_t total = 0;
  for (const auto& session : sessions) {
    total += session.transactions.size();
  }
  if (total == 0) {
    return;
  }
  out << "<h3>Mail transactions</h3>\n";
  std::size_t shown = 0;
  for (const auto& session : sessions) {
    for (const auto& transaction : session.transactions) {
      if (shown == k_html_messages_max) {
        break;
      }
      write_message(session, transaction, out);
      ++shown;
    }
  }
  if (shown < total) {
    out << "<p class=\"note\">" << total - shown << " more transactions not shown: see the JSON report.</p>\n";
  }
}

void write_scenario(const runner::ScenarioResult& scenario, std::size_t index, std::ostream& out) {
  const std::string_view status = status_name(scenario.status);
  const std::vector<std::string> lines = expect::normalised_lines(scenario.sessions);
  std::set<std::size_t> hits;
  for (const auto& failure : scenario.failures) {
    const auto found = context_line_indexes(lines, failure.context);
    hits.insert(found.begin(), found.end());
  }
  out << "<section class=\"scenario\" id=\"" << scenario_id(index) << "\" data-status=\"" << status << "\">\n"
      << "<details" << (scenario.status == runner::Status::passed ? "" : " open") << ">\n<summary>"
      << "<span class=\"badge " << status << "\">" << badge(scenario.status) << "</span>"
      << "<span class=\"name\">" << escaped(scenario.name) << "</span>"
      << "<span class=\"where\">" << escaped(location(scenario.file, scenario.line)) << "</span>"
      << "<span class=\"duration\">" << human_duration(scenario.duration) << "</span>";
  if (!scenario.tags.empty()) {
    out << "<ul class=\"tags\">";
    for (const auto& tag : scenario.tags) {
      out << "<li>" << escaped(tag) << "</li>";
    }
    out << "</ul>";
  }
  out << "</summary>\n<div class=\"body\">\n<p class=\"note\">seed " << scenario.seed << "</p>\n";
  if (scenario.status == runner::Status::error) {
    out << "<p class=\"error-text\">" << escaped(scenario.error.empty() ? "the scenario could not run" : scenario.error)
        << "</p>\n";
  }
  write_failures(scenario, index, lines, out);
  if (scenario.app) {
    write_app(*scenario.app, out);
  }
  write_steps(scenario.steps, out);
  write_transcript(lines, hits, index, out);
  write_sessions(scenario.sessions, out);
  write_messages(scenario.sessions, out);
  out << "</div>\n</details>\n</section>\n";
}

}  // namespace

std::string html_escape(std::string_view text) {
  // xml_escape settles UTF-8 and control characters; HTML also needs quotes escaped in
  // attributes, and a CR would be read as a line break.
  const std::string xml = xml_escape(text);
  std::string out;
  out.reserve(xml.size());
  for (std::size_t i = 0; i < xml.size(); ++i) {
    const char c = xml[i];
    if (c == '"') {
      out += "&quot;";
    } else if (c == '\'') {
      out += "&#39;";
    } else if (c == '&' && xml.compare(i, 5, "&#13;") == 0) {
      i += 4;
    } else {
      out += c;
    }
  }
  return out;
}

std::vector<std::size_t> context_line_indexes(const std::vector<std::string>& lines,
                                              const std::vector<std::string>& context) {
  if (context.empty() || context.size() > lines.size()) {
    return {};
  }
  const auto found = std::search(lines.begin(), lines.end(), context.begin(), context.end());
  if (found == lines.end()) {
    return {};
  }
  std::vector<std::size_t> indexes(context.size());
  const auto first = static_cast<std::size_t>(found - lines.begin());
  for (std::size_t i = 0; i < indexes.size(); ++i) {
    indexes[i] = first + i;
  }
  return indexes;
}

void write_html(const runner::RunResult& run, std::ostream& out) {
  write_head(run, out);
  out << "<body>\n";
  write_summary(run, out);
  out << "<main>\n";
  for (std::size_t i = 0; i < run.scenarios.size(); ++i) {
    write_scenario(run.scenarios[i], i, out);
  }
  out << "</main>\n<footer class=\"note\"><p>Written by maildog-ci. Transcripts are normalised (ports, "
         "timestamps, queue ids, TLS details) and AUTH payloads and passwords show as ***.</p></footer>\n"
      << "<script>\n"
      << html_script() << "</script>\n</body>\n</html>\n";
}

}  // namespace maildog::report
