#include "report/json_read.hpp"

#include <chrono>
#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "capture/record_codec.hpp"
#include "core/json_depth.hpp"
#include "core/time_text.hpp"
#include "report/console.hpp"
#include "report/json.hpp"
#include "report/json_schema.hpp"

namespace maildog::report {

namespace {

using json = nlohmann::ordered_json;
using capture::RecordJson;

// Enough schema errors to see the pattern without flooding the terminal.
constexpr std::size_t k_schema_errors_shown = 5;

// A value the schema allows but the model cannot hold (e.g. a 13th month); caught below.
struct BadValue : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string schema_errors(const json& document) {
  return json_schema_errors(nlohmann::json::parse(report_schema()), nlohmann::json(document), k_schema_errors_shown);
}

std::chrono::microseconds microseconds_of(const json& milliseconds) {
  return std::chrono::microseconds(std::llround(milliseconds.get<double>() * 1000.0));
}

// "2025-06-03T10:00:00.123Z", the only form the writer produces and the schema allows.
std::chrono::system_clock::time_point timestamp_of(const json& value) {
  const std::string text = value.get<std::string>();
  const auto when = time_text::parse_iso_millis(text);
  if (!when) {
    throw BadValue("not a timestamp: " + text);
  }
  return *when;
}

std::string text_or_empty(const json& value) { return value.is_null() ? std::string() : value.get<std::string>(); }

// The report's shapes back into the capture record codec's (see report/json.cpp): a reply's
// text split into its lines again (the writer joined them with "\n"; a reply has at least one).
RecordJson codec_reply(const RecordJson& reply) {
  return capture::reshape(reply,
                          {{"text", [](RecordJson& out, const RecordJson& value, const RecordJson&) {
                              const std::string text = value.get<std::string>();
                              std::vector<std::string> lines;
                              std::size_t start = 0;
                              for (;;) {
                                const auto end = text.find('\n', start);
                                lines.push_back(text.substr(start, end == std::string::npos ? end : end - start));
                                if (end == std::string::npos) {
                                  break;
                                }
                                start = end + 1;
                              }
                              out["lines"] = lines;
                            }}});
}

capture::FieldChange codec_reply_field(std::string_view field) {
  return {field, [field = std::string(field)](RecordJson& out, const RecordJson& value, const RecordJson&) {
            out[field] = value.is_null() ? value : codec_reply(value);
          }};
}

RecordJson with_codec_reply(const RecordJson& record) { return capture::reshape(record, {codec_reply_field("reply")}); }

std::optional<smtp::Reply> optional_reply_of(const RecordJson& value) {
  return value.is_null() ? std::nullopt : std::optional<smtp::Reply>(capture::reply_from_json(codec_reply(value)));
}

runner::ProcessResult::Outcome outcome_of(const json& value) {
  const std::string text = value.get<std::string>();
  if (auto outcome = runner::outcome_from_name(text)) {
    return *outcome;
  }
  throw BadValue("unknown value: " + text);
}

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

capture::TransactionRecord transaction_of(const RecordJson& value) {
  capture::TransactionRecord transaction = capture::transaction_from_json(capture::reshape(
      value, {codec_reply_field("mail_reply"),
              capture::each("recipients", with_codec_reply),
              codec_reply_field("data_reply"),
              codec_reply_field("final_reply"),
              // The report keeps no smuggling_line: it reads back as none, as it always has.
              {"headers", [](RecordJson& out, const RecordJson&, const RecordJson&) { out["smuggling_line"] = 0; }}}));
  transaction.message =
      stand_in_message(value.at("headers"), value.at("size"), !transaction.authentication_results.empty());
  return transaction;
}

capture::SessionRecord session_of(const RecordJson& value) {
  capture::SessionRecord session = capture::session_from_json(capture::reshape(
      value,
      {capture::renamed("client", "client_address"),
       {"started", [](RecordJson& out, const RecordJson& started,
                      const RecordJson&) { out["started_us"] = time_text::micros_since_epoch(timestamp_of(started)); }},
       {"duration_ms", [](RecordJson& out, const RecordJson& duration,
                          const RecordJson&) { out["duration_us"] = microseconds_of(duration).count(); }},
       capture::each("transcript",
                     [](const RecordJson& entry) {
                       return capture::reshape(entry, {capture::renamed("dir", "direction")});
                     }),
       capture::dropped("transactions"),
       capture::each("refusals", with_codec_reply)}));
  session.transactions = capture::records_of(value.at("transactions"), transaction_of);
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
  app.outcome = outcome_of(value.at("outcome"));
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
  const std::string status = value.at("status").get<std::string>();
  const auto known = lookup_name(k_status_names, status);
  if (!known) {
    throw BadValue("unknown value: " + status);
  }
  scenario.status = *known;
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
    return {std::nullopt,
            "not a maildog-ci JSON report: it nests deeper than " + std::to_string(json_depth::k_max) + " levels"};
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
  } catch (const capture::RecordError& error) {
    return {std::nullopt, error.what()};
  } catch (const json::exception& error) {
    return {std::nullopt, error.what()};
  }
  const auto& totals = document.at("totals");
  if (totals.at("passed").get<std::size_t>() != run.passed() ||
      totals.at("failed").get<std::size_t>() != run.failed()) {
    return {std::nullopt, "its totals (" + totals.at("passed").dump() + " passed, " + totals.at("failed").dump() +
                              " failed) do not match its scenarios (" + std::to_string(run.passed()) + " passed, " +
                              std::to_string(run.failed()) + " failed)"};
  }
  return {std::move(run), {}};
}

}  // namespace maildog::report
