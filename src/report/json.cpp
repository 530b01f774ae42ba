#include "report/json.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "report/console.hpp"
#include "report/normalise.hpp"
#include "rules/engine.hpp"

namespace maildog::report {

namespace {

using json = nlohmann::ordered_json;

double milliseconds(std::chrono::microseconds duration) { return static_cast<double>(duration.count()) / 1000.0; }

// "2025-06-03T10:00:00.123Z"
std::string iso8601(std::chrono::system_clock::time_point when) {
  const auto since_epoch = std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch());
  const std::time_t time = std::chrono::system_clock::to_time_t(when);
  std::tm utc{};
  gmtime_r(&time, &utc);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &utc);
  const long long ms = ((since_epoch.count() % 1000) + 1000) % 1000;
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, "%s.%03lldZ", date, ms);
  return buffer;
}

json optional_text(const std::string& text) { return text.empty() ? json(nullptr) : json(text); }

json reply_json(const smtp::Reply& reply) {
  return {{"code", reply.code},
          {"enhanced", reply.enhanced ? json(reply.enhanced->str()) : json(nullptr)},
          {"text", reply.text()}};
}

json optional_reply(const std::optional<smtp::Reply>& reply) { return reply ? reply_json(*reply) : json(nullptr); }

std::string_view direction_name(capture::TranscriptEntry::Direction direction) {
  return name_of(capture::k_direction_names, direction);
}

json transaction_json(const capture::TransactionRecord& transaction) {
  json recipients = json::array();
  for (const auto& recipient : transaction.recipients) {
    recipients.push_back({{"address", recipient.address},
                          {"parameters", recipient.parameters},
                          {"reply", reply_json(recipient.reply)},
                          {"attempt", recipient.attempt}});
  }
  json headers = json::array();
  if (transaction.message) {
    for (const auto& header : rules::parse_headers(transaction.stored_header_section())) {
      headers.push_back({{"name", header.name}, {"value", normalise_header_value(header.name, header.value)}});
    }
  }
  json auth_results = json::object();
  for (const auto& [method, result] : transaction.auth_results) {
    auth_results[method] = result;
  }
  json lint = json::array();
  for (const auto& note : transaction.lint) {
    lint.push_back({{"name", note.name}, {"message", note.message}, {"line", note.line}, {"excerpt", note.excerpt}});
  }
  return {{"mail_from", transaction.mail_from},
          {"mail_parameters", transaction.mail_parameters},
          {"mail_reply", reply_json(transaction.mail_reply)},
          {"recipients", std::move(recipients)},
          {"data_reply", optional_reply(transaction.data_reply)},
          {"final_reply", optional_reply(transaction.final_reply)},
          {"delivered", transaction.delivered},
          {"size", transaction.message ? json(transaction.message->size()) : json(nullptr)},
          {"headers", std::move(headers)},
          {"bare_lf", transaction.bare_lf},
          {"eight_bit", transaction.eight_bit},
          {"auth_results", auth_results},
          {"authentication_results", transaction.authentication_results},
          {"lint", std::move(lint)}};
}

json session_json(const capture::SessionRecord& session) {
  json transcript = json::array();
  for (const auto& entry : session.transcript) {
    transcript.push_back(
        {{"dir", direction_name(entry.direction)}, {"text", entry.text}, {"offset_us", entry.offset.count()}});
  }
  json transactions = json::array();
  for (const auto& transaction : session.transactions) {
    transactions.push_back(transaction_json(transaction));
  }
  json refusals = json::array();
  for (const auto& refusal : session.refusals) {
    refusals.push_back({{"reason", refusal.reason},
                        {"command", refusal.command},
                        {"argument", refusal.argument},
                        {"recipients", refusal.recipients},
                        {"reply", reply_json(refusal.reply)}});
  }
  return {{"id", session.id},
          {"client", session.client_address},
          {"client_port", session.client_port},
          {"helo", session.helo},
          {"esmtp", session.esmtp},
          {"tls", session.tls},
          {"tls_version", session.tls_version},
          {"tls_cipher", session.tls_cipher},
          {"auth_user", session.auth_user ? json(*session.auth_user) : json(nullptr)},
          {"auth_mechanism", session.auth_mechanism},
          {"close_reason", session.close_reason},
          {"started", iso8601(session.started)},
          {"duration_ms", milliseconds(session.duration)},
          {"transcript", std::move(transcript)},
          {"transactions", std::move(transactions)},
          {"refusals", std::move(refusals)}};
}

json app_json(const runner::ProcessResult& app) {
  return {{"outcome", runner::outcome_name(app.outcome)},
          {"exit_code", app.exit_code},
          {"signal", app.signal},
          {"stdout", app.stdout_text},
          {"stderr", app.stderr_text},
          {"stdout_truncated", app.stdout_truncated},
          {"stderr_truncated", app.stderr_truncated},
          {"duration_ms", static_cast<double>(app.duration.count())},
          {"error", optional_text(app.error)}};
}

json failure_json(const runner::Failure& failure, std::size_t scenario_line) {
  return {{"expectation", failure.expectation},
          {"line", failure.line == 0 ? scenario_line : failure.line},
          {"expected", failure.expected},
          {"actual", failure.actual},
          {"context", failure.context}};
}

// An app.then step: its wait_for's window and what did not hold in it, and its command.
json then_step_json(const runner::ThenOutcome& step, std::size_t scenario_line) {
  json unmet = json::array();
  for (const auto& failure : step.unmet) {
    unmet.push_back(failure_json(failure, scenario_line));
  }
  return {{"line", step.line},
          {"within_ms", static_cast<double>(step.within.count())},
          {"unmet", std::move(unmet)},
          {"process", step.process ? app_json(*step.process) : json(nullptr)}};
}

json scenario_json(const runner::ScenarioResult& scenario) {
  json failures = json::array();
  for (const auto& failure : scenario.failures) {
    failures.push_back(failure_json(failure, scenario.line));
  }
  json then_steps = json::array();
  for (const auto& step : scenario.then_steps) {
    then_steps.push_back(then_step_json(step, scenario.line));
  }
  json steps = json::array();
  for (const auto& step : scenario.steps) {
    steps.push_back({{"line", step.line},
                     {"action", step.action},
                     {"reply", optional_reply(step.reply)},
                     {"ok", step.ok},
                     {"problem", optional_text(step.problem)}});
  }
  json sessions = json::array();
  for (const auto& session : scenario.sessions) {
    sessions.push_back(session_json(session));
  }
  return {{"name", scenario.name},
          {"tags", scenario.tags},
          {"file", scenario.file.generic_string()},
          {"line", scenario.line},
          {"status", status_name(scenario.status)},
          {"error", optional_text(scenario.error)},
          {"seed", scenario.seed},
          {"started", iso8601(scenario.started)},
          {"duration_ms", milliseconds(scenario.duration)},
          {"failures", std::move(failures)},
          {"app", scenario.app ? app_json(*scenario.app) : json(nullptr)},
          {"then_steps", std::move(then_steps)},
          {"steps", std::move(steps)},
          {"sessions", std::move(sessions)}};
}

}  // namespace

void write_json(const runner::RunResult& run, std::ostream& out) {
  json scenarios = json::array();
  for (const auto& scenario : run.scenarios) {
    scenarios.push_back(scenario_json(scenario));
  }
  const json report = {{"version", k_json_report_version},
                       {"seed", run.seed},
                       {"started", iso8601(run.started)},
                       {"duration_ms", milliseconds(run.duration)},
                       {"totals", {{"passed", run.passed()}, {"failed", run.failed()}}},
                       {"scenarios", std::move(scenarios)}};
  // Transcripts and app output may hold any bytes: invalid UTF-8 becomes U+FFFD, never an exception.
  out << report.dump(2, ' ', false, json::error_handler_t::replace) << '\n';
}

}  // namespace maildog::report
