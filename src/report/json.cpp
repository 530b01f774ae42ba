#include "report/json.hpp"

#include <chrono>
#include <nlohmann/json.hpp>

#include "capture/record_codec.hpp"
#include "core/time_text.hpp"
#include "report/console.hpp"
#include "report/normalise.hpp"
#include "rules/engine.hpp"

namespace maildog::report {

namespace {

using json = nlohmann::ordered_json;

json optional_text(const std::string& text) { return text.empty() ? json(nullptr) : json(text); }

std::string iso8601(std::chrono::system_clock::time_point when) {
  return time_text::utc(when, time_text::Form::iso_millis);
}

// The report's shape over the capture record codec (capture/record_codec.hpp): a reply's lines
// as one text, `client` and `dir` for the codec's `client_address` and `direction`, a session's
// start as ISO 8601 and its duration in milliseconds, a transaction's headers after its size and
// no smuggling_line. Every other field is the codec's, in the codec's order.
json report_reply(const json& reply) { return capture::reshape(reply, {capture::lines_as_text()}); }

json optional_reply(const std::optional<smtp::Reply>& reply) {
  return reply ? report_reply(capture::reply_to_json(*reply)) : json(nullptr);
}

capture::FieldChange report_reply_field(std::string_view field) {
  return {field, [field = std::string(field)](json& out, const json& value, const json&) {
            out[field] = value.is_null() ? value : report_reply(value);
          }};
}

json with_report_reply(const json& record) { return capture::reshape(record, {report_reply_field("reply")}); }

// The headers of the stored copy, their values normalised (normalise.hpp) as reports show them.
json headers_json(const capture::TransactionRecord& transaction) {
  json headers = json::array();
  if (transaction.message) {
    for (const auto& header : rules::parse_headers(transaction.stored_header_section())) {
      headers.push_back({{"name", header.name}, {"value", normalise_header_value(header.name, header.value)}});
    }
  }
  return headers;
}

json transaction_json(const capture::TransactionRecord& transaction) {
  return capture::reshape(capture::transaction_to_json(transaction),
                          {report_reply_field("mail_reply"),
                           capture::each("recipients", with_report_reply),
                           report_reply_field("data_reply"),
                           report_reply_field("final_reply"),
                           {"size",
                            [&transaction](json& out, const json& value, const json&) {
                              out["size"] = value;
                              out["headers"] = headers_json(transaction);
                            }},
                           capture::dropped("smuggling_line")});
}

json session_json(const capture::SessionRecord& session) {
  return capture::reshape(
      capture::session_to_json(session, capture::WithTransactions::yes),
      {capture::renamed("client_address", "client"),
       capture::micros_as_iso_time("started_us", "started"),
       capture::micros_as_millis("duration_us", "duration_ms"),
       capture::each("transcript",
                     [](const json& entry) { return capture::reshape(entry, {capture::renamed("direction", "dir")}); }),
       // Each transaction with its headers, which the stored copy of its message gives.
       {"transactions",
        [&session](json& out, const json&, const json&) {
          out["transactions"] = capture::array_of(session.transactions, transaction_json);
        }},
       capture::each("refusals", with_report_reply)});
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
          {"duration_ms", time_text::as_milliseconds(scenario.duration)},
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
                       {"duration_ms", time_text::as_milliseconds(run.duration)},
                       {"totals", {{"passed", run.passed()}, {"failed", run.failed()}}},
                       {"scenarios", std::move(scenarios)}};
  // Transcripts and app output may hold any bytes: invalid UTF-8 becomes U+FFFD, never an exception.
  out << report.dump(2, ' ', false, json::error_handler_t::replace) << '\n';
}

}  // namespace maildog::report
