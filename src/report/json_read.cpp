#include "report/json_read.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "core/json_depth.hpp"
#include "report/console.hpp"
#include "report/json.hpp"
#include "report/json_schema.hpp"

namespace maildog::report {

namespace {

using json = nlohmann::json;

// Enough schema errors to see the pattern without flooding the terminal.
constexpr std::size_t k_schema_errors_shown = 5;

// A value the schema allows but the model cannot hold (e.g. a 13th month); caught below.
struct BadValue : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string schema_errors(const json& document) {
  return json_schema_errors(json::parse(report_schema()), document, k_schema_errors_shown);
}

std::chrono::microseconds microseconds_of(const json& milliseconds) {
  return std::chrono::microseconds(std::llround(milliseconds.get<double>() * 1000.0));
}

// "2025-06-03T10:00:00.123Z", the only form the writer produces and the schema allows.
std::chrono::system_clock::time_point timestamp_of(const json& value) {
  const std::string text = value.get<std::string>();
  int year = 0;
  unsigned month = 0;
  unsigned day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  int millisecond = 0;
  const int fields = std::sscanf(text.c_str(), "%4d-%2u-%2uT%2d:%2d:%2d.%3dZ", &year, &month, &day, &hour, &minute,
                                 &second, &millisecond);
  const std::chrono::year_month_day date{std::chrono::year{year}, std::chrono::month{month}, std::chrono::day{day}};
  if (fields != 7 || !date.ok() || hour > 23 || minute > 59 || second > 59) {
    throw BadValue("not a timestamp: " + text);
  }
  return std::chrono::sys_days(date) + std::chrono::hours(hour) + std::chrono::minutes(minute) +
         std::chrono::seconds(second) + std::chrono::milliseconds(millisecond);
}

std::string text_or_empty(const json& value) { return value.is_null() ? std::string() : value.get<std::string>(); }

smtp::Reply reply_of(const json& value) {
  smtp::Reply reply;
  reply.code = value.at("code").get<int>();
  if (!value.at("enhanced").is_null()) {
    reply.enhanced = smtp::EnhancedCode::parse(value.at("enhanced").get<std::string>());
    if (!reply.enhanced) {
      throw BadValue("not an enhanced status code: " + value.at("enhanced").get<std::string>());
    }
  }
  // The writer joined the lines with "\n"; a parsed reply always has at least one line.
  const std::string text = value.at("text").get<std::string>();
  std::size_t start = 0;
  for (;;) {
    const auto end = text.find('\n', start);
    reply.lines.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) {
      break;
    }
    start = end + 1;
  }
  return reply;
}

std::optional<smtp::Reply> optional_reply_of(const json& value) {
  return value.is_null() ? std::nullopt : std::optional<smtp::Reply>(reply_of(value));
}

template <typename Enum, std::size_t N>
Enum enum_of(const json& value, const Enum (&choices)[N], std::string_view (*name)(Enum)) {
  const std::string text = value.get<std::string>();
  for (const Enum choice : choices) {
    if (name(choice) == text) {
      return choice;
    }
  }
  throw BadValue("unknown value: " + text);
}

std::string_view direction_name(capture::TranscriptEntry::Direction direction) {
  return name_of(capture::k_direction_names, direction);
}

constexpr capture::TranscriptEntry::Direction k_directions[] = {capture::TranscriptEntry::Direction::client,
                                                                 capture::TranscriptEntry::Direction::server,
                                                                 capture::TranscriptEntry::Direction::event};
constexpr runner::Status k_statuses[] = {runner::Status::passed, runner::Status::failed, runner::Status::error};
constexpr runner::ProcessResult::Outcome k_outcomes[] = {
    runner::ProcessResult::Outcome::exited, runner::ProcessResult::Outcome::signaled,
    runner::ProcessResult::Outcome::timed_out, runner::ProcessResult::Outcome::failed_to_start};

// See the header: the recorded headers, a blank line, then filler up to the recorded size. The
// writer lists the headers of the stored copy, which starts with the Authentication-Results
// made from `authentication_results`: that one is left out, or it would come back twice.
std::shared_ptr<const std::string> stand_in_message(const json& headers, const json& size,
                                                    bool has_authentication_results) {
  if (size.is_null()) {
    return nullptr;
  }
  std::string message;
  for (std::size_t i = 0; i < headers.size(); ++i) {
    const std::string name = headers[i].at("name").get<std::string>();
    if (i == 0 && has_authentication_results && name == "Authentication-Results") {
      continue;
    }
    message += name + ":" + headers[i].at("value").get<std::string>() + "\n";
  }
  message += "\n";
  const auto wanted = size.get<std::size_t>();
  if (message.size() < wanted) {
    message.append(wanted - message.size(), '.');
  }
  return std::make_shared<const std::string>(std::move(message));
}

capture::TransactionRecord transaction_of(const json& value) {
  capture::TransactionRecord transaction;
  transaction.mail_from = value.at("mail_from").get<std::string>();
  transaction.mail_parameters = value.at("mail_parameters").get<std::string>();
  transaction.mail_reply = reply_of(value.at("mail_reply"));
  for (const auto& recipient : value.at("recipients")) {
    capture::RecipientRecord record;
    record.address = recipient.at("address").get<std::string>();
    record.parameters = recipient.at("parameters").get<std::string>();
    record.reply = reply_of(recipient.at("reply"));
    record.attempt = recipient.at("attempt").get<unsigned>();
    transaction.recipients.push_back(std::move(record));
  }
  transaction.data_reply = optional_reply_of(value.at("data_reply"));
  transaction.final_reply = optional_reply_of(value.at("final_reply"));
  transaction.delivered = value.at("delivered").get<bool>();
  transaction.bare_lf = value.at("bare_lf").get<bool>();
  transaction.eight_bit = value.at("eight_bit").get<bool>();
  transaction.auth_results = value.at("auth_results").get<std::map<std::string, std::string>>();
  transaction.authentication_results = value.at("authentication_results").get<std::string>();
  for (const auto& note : value.at("lint")) {
    transaction.lint.push_back({note.at("name").get<std::string>(), note.at("message").get<std::string>(),
                                note.at("line").get<std::size_t>(), note.at("excerpt").get<std::string>()});
  }
  transaction.message = stand_in_message(value.at("headers"), value.at("size"),
                                         !transaction.authentication_results.empty());
  return transaction;
}

capture::SessionRecord session_of(const json& value) {
  capture::SessionRecord session;
  session.id = value.at("id").get<std::uint64_t>();
  session.client_address = value.at("client").get<std::string>();
  session.client_port = value.at("client_port").get<std::uint16_t>();
  session.helo = value.at("helo").get<std::string>();
  session.esmtp = value.at("esmtp").get<bool>();
  session.tls = value.at("tls").get<bool>();
  session.tls_version = value.at("tls_version").get<std::string>();
  session.tls_cipher = value.at("tls_cipher").get<std::string>();
  if (!value.at("auth_user").is_null()) {
    session.auth_user = value.at("auth_user").get<std::string>();
  }
  session.auth_mechanism = value.at("auth_mechanism").get<std::string>();
  session.close_reason = value.at("close_reason").get<std::string>();
  session.started = timestamp_of(value.at("started"));
  session.duration = microseconds_of(value.at("duration_ms"));
  for (const auto& entry : value.at("transcript")) {
    capture::TranscriptEntry record;
    record.direction = enum_of(entry.at("dir"), k_directions, direction_name);
    record.text = entry.at("text").get<std::string>();
    record.offset = std::chrono::microseconds(entry.at("offset_us").get<std::int64_t>());
    session.transcript.push_back(std::move(record));
  }
  for (const auto& transaction : value.at("transactions")) {
    session.transactions.push_back(transaction_of(transaction));
  }
  for (const auto& refusal : value.at("refusals")) {
    capture::RefusalRecord record;
    record.reason = refusal.at("reason").get<std::string>();
    record.command = refusal.at("command").get<std::string>();
    record.argument = refusal.at("argument").get<std::string>();
    record.recipients = refusal.at("recipients").get<std::vector<std::string>>();
    record.reply = reply_of(refusal.at("reply"));
    session.refusals.push_back(std::move(record));
  }
  return session;
}

runner::Failure failure_of(const json& failure) {
  runner::Failure record;
  record.expectation = failure.at("expectation").get<std::string>();
  record.line = failure.at("line").get<std::size_t>();
  record.expected = failure.at("expected").get<std::string>();
  record.actual = failure.at("actual").get<std::string>();
  record.context = failure.at("context").get<std::vector<std::string>>();
  return record;
}

runner::ProcessResult app_of(const json& value) {
  runner::ProcessResult app;
  app.outcome = enum_of(value.at("outcome"), k_outcomes, runner::outcome_name);
  app.exit_code = value.at("exit_code").get<int>();
  app.signal = value.at("signal").get<int>();
  app.stdout_text = value.at("stdout").get<std::string>();
  app.stderr_text = value.at("stderr").get<std::string>();
  app.stdout_truncated = value.at("stdout_truncated").get<bool>();
  app.stderr_truncated = value.at("stderr_truncated").get<bool>();
  app.duration = std::chrono::milliseconds(std::llround(value.at("duration_ms").get<double>()));
  app.error = text_or_empty(value.at("error"));
  return app;
}

runner::ScenarioResult scenario_of(const json& value) {
  runner::ScenarioResult scenario;
  scenario.name = value.at("name").get<std::string>();
  scenario.tags = value.at("tags").get<std::vector<std::string>>();
  scenario.file = value.at("file").get<std::string>();
  scenario.line = value.at("line").get<std::size_t>();
  scenario.status = enum_of(value.at("status"), k_statuses, status_name);
  scenario.error = text_or_empty(value.at("error"));
  scenario.seed = value.at("seed").get<std::uint64_t>();
  scenario.started = timestamp_of(value.at("started"));
  scenario.duration = microseconds_of(value.at("duration_ms"));
  for (const auto& failure : value.at("failures")) {
    scenario.failures.push_back(failure_of(failure));
  }
  if (!value.at("app").is_null()) {
    scenario.app = app_of(value.at("app"));
  }
  // Reports written before app.then existed have no then_steps.
  for (const auto& step : value.value("then_steps", json::array())) {
    runner::ThenOutcome record;
    record.line = step.at("line").get<std::size_t>();
    record.within = std::chrono::milliseconds(std::llround(step.at("within_ms").get<double>()));
    for (const auto& failure : step.at("unmet")) {
      record.unmet.push_back(failure_of(failure));
    }
    if (!step.at("process").is_null()) {
      record.process = app_of(step.at("process"));
    }
    scenario.then_steps.push_back(std::move(record));
  }
  for (const auto& step : value.at("steps")) {
    runner::StepOutcome record;
    record.line = step.at("line").get<std::size_t>();
    record.action = step.at("action").get<std::string>();
    record.reply = optional_reply_of(step.at("reply"));
    record.ok = step.at("ok").get<bool>();
    record.problem = text_or_empty(step.at("problem"));
    scenario.steps.push_back(std::move(record));
  }
  for (const auto& session : value.at("sessions")) {
    scenario.sessions.push_back(session_of(session));
  }
  return scenario;
}

}  // namespace

ReadReport read_json_report(std::string_view text) {
  if (json_depth::deeper_than(text, json_depth::k_max)) {
    return {std::nullopt, "not a maildog-ci JSON report: it nests deeper than " +
                              std::to_string(json_depth::k_max) + " levels"};
  }
  const json document = json::parse(text, nullptr, false);
  if (document.is_discarded()) {
    return {std::nullopt, "not JSON"};
  }
  if (auto errors = schema_errors(document); !errors.empty()) {
    return {std::nullopt, "not a maildog-ci JSON report (schemas/report.schema.json): " + errors};
  }
  runner::RunResult run;
  try {
    run.seed = document.at("seed").get<std::uint64_t>();
    run.started = timestamp_of(document.at("started"));
    run.duration = microseconds_of(document.at("duration_ms"));
    for (const auto& scenario : document.at("scenarios")) {
      run.scenarios.push_back(scenario_of(scenario));
    }
  } catch (const BadValue& error) {
    return {std::nullopt, error.what()};
  } catch (const json::exception& error) {
    return {std::nullopt, error.what()};
  }
  const auto& totals = document.at("totals");
  if (totals.at("passed").get<std::size_t>() != run.passed() || totals.at("failed").get<std::size_t>() != run.failed()) {
    return {std::nullopt, "its totals (" + totals.at("passed").dump() + " passed, " + totals.at("failed").dump() +
                              " failed) do not match its scenarios (" + std::to_string(run.passed()) + " passed, " +
                              std::to_string(run.failed()) + " failed)"};
  }
  return {std::move(run), {}};
}

}  // namespace maildog::report
