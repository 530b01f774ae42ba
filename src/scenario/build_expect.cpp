// The Builder's expect: section: the app's outcome and output, and the mail expectations (replies,
// delivered, not_delivered, rejected, retries) that then steps' wait_for shares.
#include "scenario/build_context.hpp"

namespace maildog::scenario::detail {

namespace {

MimeExpect build_mime_expect(const Node& node) {
  MimeExpect mime;
  for (const auto& type : as_strings(node["types"])) {
    mime.types.push_back(ascii::lower(type));
  }
  mime.attachments = as_strings(node["attachments"]);
  mime.text_contains = as_strings(node["text_contains"]);
  mime.problems = as_bool(node["problems"]);
  return mime;
}

}  // namespace

OutputExpect Builder::build_output(const Node& node) {
  OutputExpect output;
  output.contains = as_strings(node["contains"]);
  output.not_contains = as_strings(node["not_contains"]);
  if (auto regex = as_string(node["regex"])) {
    std::string written = regex->starts_with('/') ? *regex : "/" + *regex + "/";
    try {
      auto match = rules::TextMatch::parse(written);
      if (match.kind() != rules::TextMatch::Kind::regex) {
        error(node["regex"], "not a regex: '" + *regex + "' (write /regex/ or /regex/i)");
      } else {
        output.regex = std::move(match);
      }
    } catch (const std::invalid_argument& bad) {
      error(node["regex"], bad.what());
    }
  }
  return output;
}

// `exit`, `timed_out` and `signal` of `expect.app`: the schema has checked the types and the
// ranges; names of signals and outcomes that cannot happen together are checked here.
void Builder::build_app_outcome(const Node& app, AppExpect& result) {
  if (auto code = as_integer(app["exit"]); code && *code >= 0 && *code <= 255) {
    result.exit = static_cast<int>(*code);
  } else if (as_string(app["exit"]) == "any") {
    result.exit_any = true;
  }
  result.timed_out = as_bool(app["timed_out"]);
  if (auto number = as_integer(app["signal"]); number && signals::known(*number)) {
    result.signal = static_cast<int>(*number);
  } else if (auto name = as_string(app["signal"])) {
    result.signal = signals::number_of(*name);
    if (!result.signal) {
      error(app["signal"],
            "'" + *name + "' is not a signal name (write TERM, KILL, INT, HUP, ..., SIGTERM or a number)");
    }
  }
  const bool exits = app["exit"].present();
  if (result.timed_out.value_or(false) && (exits || app["signal"].present())) {
    error_at_key(app["timed_out"],
                 "a timed-out app is killed by the runner: 'timed_out: true' cannot go with 'exit' or 'signal'");
  } else if (exits && app["signal"].present()) {
    error_at_key(app["signal"], "an app either exits or is killed by a signal: 'signal' cannot go with 'exit'");
  }
}

void Builder::build_expect(const Node& node, Scenario& scenario) {
  Expectations& expect = scenario.expect;
  if (!node.is_object()) {
    return;
  }
  expect.line = key_line(node);
  if (Node app = node["app"]; app.is_object()) {
    AppExpect result;
    result.line = key_line(app);
    build_app_outcome(app, result);
    if (app["stdout"].is_object()) {
      result.stdout_expect = build_output(app["stdout"]);
    }
    if (app["stderr"].is_object()) {
      result.stderr_expect = build_output(app["stderr"]);
    }
    expect.app = std::move(result);
  }
  build_mail_expectations(node, expect, false);
  expect.within = duration(node["within"]);
  if (Node transcript = node["transcript"]; transcript.is_object()) {
    TranscriptExpect result;
    result.line = key_line(transcript);
    if (auto golden = as_string(transcript["golden"])) {
      std::filesystem::path path(*golden);
      result.golden = path.is_absolute() ? path : scenario.dir / path;
    }
    result.contains = as_strings(transcript["contains"]);
    expect.transcript = std::move(result);
  }
  for (const auto& [finding, occurs] : node["lint"].members()) {
    if (auto value = as_bool(occurs)) {
      expect.lint.push_back({finding, *value, key_line(occurs)});
    }
  }
}

// `within` of one expectation; a `then` step's wait_for has one window, the step's.
std::optional<milliseconds> Builder::item_within(const Node& item, bool in_wait_for) {
  if (in_wait_for && item["within"].present()) {
    error_at_key(item["within"],
                 "an expectation in wait_for takes no within: the step's within (default 10s) "
                 "bounds the whole wait");
    return std::nullopt;
  }
  return duration(item["within"]);
}

// replies, delivered, not_delivered, rejected and retries: what expect: and a then step's
// wait_for have in common.
void Builder::build_mail_expectations(const Node& node, Expectations& expect, bool in_wait_for) {
  for (const auto& item : node["replies"].items()) {
    if (item.is_object()) {
      expect.replies.push_back(build_reply_expect(item));
      expect.replies.back().within = item_within(item, in_wait_for);
    }
  }
  for (const auto& item : node["delivered"].items()) {
    if (!item.is_object()) {
      continue;
    }
    DeliveredExpect delivered;
    delivered.line = m_document.positions.find(item.path).value.line;
    delivered.to = address_pattern(item["to"], AddressField::address_match);
    delivered.from = address_pattern(item["from"], AddressField::sender_match);
    delivered.count = count_value(item["count"]);
    for (const auto& [name, value] : item["headers"].members()) {
      if (auto header = pattern(value)) {
        delivered.headers.emplace(name, std::move(*header));
      }
    }
    for (const auto& [method, result] : item["auth"].members()) {
      if (auto value = as_string(result)) {
        delivered.auth.emplace(method, *value);
      }
    }
    if (Node mime = item["mime"]; mime.is_object()) {
      delivered.mime = build_mime_expect(mime);
    }
    delivered.within = item_within(item, in_wait_for);
    expect.delivered.push_back(std::move(delivered));
  }
  expect.not_delivered = as_strings(node["not_delivered"]);
  check_addresses(node["not_delivered"], AddressField::address);
  if (node["not_delivered"].present()) {
    expect.not_delivered_line = key_line(node["not_delivered"]);
  }
  for (const auto& item : node["rejected"].items()) {
    if (!item.is_object()) {
      continue;
    }
    RejectedExpect rejected;
    rejected.line = m_document.positions.find(item.path).value.line;
    rejected.reason = as_string(item["reason"]).value_or("");
    rejected.to = address_pattern(item["to"], AddressField::address_match);
    rejected.code = reply_code(item["code"]);
    rejected.enhanced = enhanced_code(item["enhanced"], rejected.code);
    rejected.count = count_value(item["count"]);
    if (rejected.code && *rejected.code < 400) {
      error(item["code"], "a refusal is 4xx or 5xx, found " + std::to_string(*rejected.code));
    }
    rejected.within = item_within(item, in_wait_for);
    expect.rejected.push_back(std::move(rejected));
  }
  for (const auto& item : node["retries"].items()) {
    if (!item.is_object()) {
      continue;
    }
    RetryExpect retry;
    retry.line = m_document.positions.find(item.path).value.line;
    retry.rcpt = as_string(item["rcpt"]).value_or("");
    check_address(item["rcpt"], AddressField::address);
    retry.max_attempts = count_value(item["max_attempts"]);
    retry.min_attempts = count_value(item["min_attempts"]);
    if (retry.min_attempts && retry.max_attempts && *retry.min_attempts > *retry.max_attempts) {
      error(item, "min_attempts " + std::to_string(*retry.min_attempts) + " is greater than max_attempts " +
                      std::to_string(*retry.max_attempts));
    }
    retry.within = item_within(item, in_wait_for);
    expect.retries.push_back(std::move(retry));
  }
}

ReplyExpect Builder::build_reply_expect(const Node& node) {
  ReplyExpect expect;
  expect.line = m_document.positions.find(node.path).value.line;
  expect.command = as_string(node["command"]).value_or("");
  expect.arg = pattern(node["arg"]);
  expect.code = reply_code(node["code"]);
  expect.enhanced = enhanced_code(node["enhanced"], expect.code);
  expect.text = pattern(node["text"]);
  expect.count = count_value(node["count"]);
  expect.min = count_value(node["min"]);
  expect.max = count_value(node["max"]);
  if (expect.count && (expect.min || expect.max)) {
    error(node["count"], "count is exact: it cannot be combined with min or max");
  }
  if (expect.min && expect.max && *expect.min > *expect.max) {
    error(node["min"], "min " + std::to_string(*expect.min) + " is greater than max " + std::to_string(*expect.max));
  }
  return expect;
}

}  // namespace maildog::scenario::detail
