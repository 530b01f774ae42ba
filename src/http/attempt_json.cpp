#include "http/attempt_json.hpp"

#include <algorithm>
#include <array>

#include "core/time_text.hpp"
#include "explain/explanation.hpp"
#include "explain/render.hpp"
#include "http/message_json.hpp"
#include "mime/mime.hpp"
#include "serve/attempt_keys.hpp"

namespace maildog::http {

namespace {

// The sender checks a refusal reason names (runner/sender_checks): the cause is their verdict.
constexpr std::array<std::string_view, 6> k_check_reasons{"spf", "dkim", "dmarc", "ptr", "dnsbl", "authentication"};

Json optional_reply(const std::optional<smtp::Reply>& reply) { return reply ? reply_json(*reply) : Json(nullptr); }

// How `explain` names the stage a reply answered.
std::string stage_of(std::string_view command) {
  if (command == "MAIL") {
    return "MAIL FROM";
  }
  if (command == "RCPT") {
    return "RCPT TO";
  }
  if (command == "END_OF_DATA") {
    return "end of DATA";
  }
  return std::string(command);
}

// The last server line that starts the reply (its first line as sent), or -1.
long find_reply_line(const std::vector<capture::TranscriptEntry>& transcript, const smtp::Reply& reply) {
  const std::string wire = reply.wire();
  const std::string first = wire.substr(0, wire.find("\r\n"));
  for (auto i = static_cast<long>(transcript.size()) - 1; i >= 0; --i) {
    const auto& entry = transcript[static_cast<std::size_t>(i)];
    if (entry.direction == capture::TranscriptEntry::Direction::server && entry.text == first) {
      return i;
    }
  }
  return -1;
}

long find_event_line(const std::vector<capture::TranscriptEntry>& transcript, std::string_view prefix) {
  for (auto i = static_cast<long>(transcript.size()) - 1; i >= 0; --i) {
    const auto& entry = transcript[static_cast<std::size_t>(i)];
    if (entry.direction == capture::TranscriptEntry::Direction::event && entry.text.starts_with(prefix)) {
      return i;
    }
  }
  return -1;
}

// The client line the reply at `line` answers: the nearest one before it (for a check, the
// "checks:" event line instead).
long find_command_line(const std::vector<capture::TranscriptEntry>& transcript, long line) {
  for (long i = line - 1; i >= 0; --i) {
    if (transcript[static_cast<std::size_t>(i)].direction == capture::TranscriptEntry::Direction::client) {
      return i;
    }
  }
  return -1;
}

// The Subject as sent, its RFC 2047 words decoded as the message views decode them.
std::string decoded_subject(const std::string& raw) {
  if (raw.empty()) {
    return raw;
  }
  const auto headers = mime::parse("Subject: " + raw + "\r\n\r\n").headers;
  return headers.empty() ? raw : headers.front().value;
}

Json line_or_null(long line) { return line < 0 ? Json(nullptr) : Json(line); }

}  // namespace

Json attempt_summary(const serve::StoredAttempt& attempt) {
  Json out = {{"id", attempt.id},
              {"at", time_text::utc(attempt.at, time_text::Form::iso_millis)},
              {"status", name_of(serve::k_attempt_status_names, attempt.status)},
              {"session_id", attempt.session_id},
              {"message_id", attempt.message_id == 0 ? Json(nullptr) : Json(attempt.message_id)},
              {"client_address", attempt.client_address},
              {"helo", attempt.helo}};
  Json recipients = Json::array();
  if (attempt.transaction) {
    out["from"] = attempt.transaction->mail_from;
    for (const auto& recipient : attempt.transaction->recipients) {
      recipients.push_back({{"address", recipient.address},
                            {"accepted", recipient.reply.positive()},
                            {"reply", reply_json(recipient.reply)}});
    }
  } else {
    out["from"] = nullptr;
  }
  out["recipients"] = recipients;
  const smtp::Reply* reply = serve::attempt_reply(attempt);
  out["reply"] = reply != nullptr ? reply_json(*reply) : Json(nullptr);
  Json reasons = Json::array();
  Json refusals = Json::array();
  for (const auto& refusal : attempt.refusals) {
    if (std::find(reasons.begin(), reasons.end(), refusal.reason) == reasons.end()) {
      reasons.push_back(refusal.reason);
    }
    refusals.push_back(refusal_json(refusal));
  }
  out["reasons"] = reasons;
  out["refusals"] = refusals;
  out["stage"] = attempt.refusals.empty() ? Json(nullptr) : Json(attempt.refusals.front().command);
  out["fault"] = attempt.fault.empty() ? Json(nullptr) : Json(attempt.fault);
  out["ended"] = attempt.ended.empty() ? Json(nullptr) : Json(attempt.ended);
  out["subject"] = decoded_subject(attempt.subject);
  out["size"] = attempt.message_size;
  return out;
}

Json attempt_cause(const serve::StoredAttempt& attempt, const std::vector<capture::TranscriptEntry>& transcript) {
  if (attempt.status == serve::AttemptStatus::accepted) {
    return nullptr;
  }
  Json cause = Json::object();
  long line = -1;
  if (!attempt.refusals.empty()) {
    const auto& refusal = attempt.refusals.front();
    cause["command"] = refusal.command;
    cause["reason"] = refusal.reason;
    const bool check =
        std::find(k_check_reasons.begin(), k_check_reasons.end(), refusal.reason) != k_check_reasons.end();
    if (check && refusal.command != "AUTH") {
      cause["kind"] = "check";
      cause["check"] = refusal.reason;
      cause["result"] = nullptr;
      if (attempt.transaction) {
        const auto& results = attempt.transaction->auth_results;
        if (const auto found = results.find(refusal.reason); found != results.end()) {
          cause["result"] = found->second;
        }
      }
    } else if (refusal.command == "RCPT" || refusal.command == "MAIL") {
      cause["kind"] = "envelope";
      cause["field"] = refusal.command == "RCPT" ? "RCPT TO" : "MAIL FROM";
      cause["value"] = refusal.argument;
    } else if (refusal.command == "DATA" || refusal.command == "END_OF_DATA" || refusal.command == "BDAT") {
      cause["kind"] = "message";
    } else {
      cause["kind"] = "session";
      cause["field"] = refusal.command;
      cause["value"] = refusal.command == "HELO"   ? attempt.helo
                       : refusal.command == "AUTH" ? refusal.argument
                                                   : attempt.client_address;
    }
    line = find_reply_line(transcript, refusal.reply);
  } else if (!attempt.fault.empty()) {
    cause["kind"] = "fault";
    cause["fault"] = attempt.fault;
    line = find_event_line(transcript, "fault:");
  } else if (const smtp::Reply* reply = serve::attempt_reply(attempt); reply != nullptr) {
    cause["kind"] = "reply";
    line = find_reply_line(transcript, *reply);
  } else {
    cause["kind"] = "ended";
  }
  cause["transcript_line"] = line_or_null(line);
  long command = line < 0 ? -1 : find_command_line(transcript, line);
  if (cause.value("kind", "") == "check" && line >= 0) {
    // What the checks found is the event line the protocol wrote before refusing.
    const auto checks =
        find_event_line(std::vector<capture::TranscriptEntry>(transcript.begin(), transcript.begin() + line), "checks");
    command = checks >= 0 ? checks : command;
  }
  cause["command_line"] = line_or_null(command);
  return cause;
}

Json attempt_detail(const serve::StoredAttempt& attempt, const std::optional<serve::StoredSession>& session) {
  Json out = attempt_summary(attempt);
  out["client_port"] = attempt.client_port;
  out["auth_user"] = attempt.auth_user ? Json(*attempt.auth_user) : Json(nullptr);
  if (attempt.transaction) {
    const auto& transaction = *attempt.transaction;
    Json auth = Json::object();
    for (const auto& [method, result] : transaction.auth_results) {
      auth[method] = result;
    }
    out["envelope"] = {{"mail_from", transaction.mail_from},
                       {"mail_parameters", transaction.mail_parameters},
                       {"mail_reply", reply_json(transaction.mail_reply)},
                       {"data_reply", optional_reply(transaction.data_reply)},
                       {"final_reply", optional_reply(transaction.final_reply)}};
    out["auth"] = auth;
    out["authentication_results"] = transaction.authentication_results;
  } else {
    out["envelope"] = nullptr;
    out["auth"] = Json::object();
    out["authentication_results"] = "";
  }
  const auto& transcript = !attempt.transcript.empty() || !session ? attempt.transcript : session->record.transcript;
  out["cause"] = attempt_cause(attempt, transcript);
  const smtp::Reply* reply = serve::attempt_reply(attempt);
  if (reply != nullptr && reply->code >= 400) {
    explain::FoundReply found;
    found.code = reply->code;
    found.enhanced = reply->enhanced;
    for (const auto& text_line : reply->lines) {
      found.text += (found.text.empty() ? "" : " ") + text_line;  // as explain's finder joins them
    }
    found.stage = attempt.refusals.empty() ? std::string() : stage_of(attempt.refusals.front().command);
    const explain::Explanation explanation = explain::explain(found);
    Json diagnosis = explain::render_json(explanation);
    out["diagnosis"] = diagnosis;
  } else {
    out["diagnosis"] = nullptr;
  }
  Json lines = Json::array();
  for (const auto& entry : transcript) {
    lines.push_back({{"direction", name_of(capture::k_direction_names, entry.direction)},
                     {"text", entry.text},
                     {"offset_ms", static_cast<double>(entry.offset.count()) / 1000.0}});
  }
  out["transcript"] = lines;
  return out;
}

}  // namespace maildog::http
