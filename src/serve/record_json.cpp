#include "serve/record_json.hpp"

#include "core/name_table.hpp"

namespace maildog::serve {

namespace {

using nlohmann::json;
using Direction = capture::TranscriptEntry::Direction;

json reply_json(const smtp::Reply& reply) {
  return {{"code", reply.code},
          {"enhanced", reply.enhanced ? json(reply.enhanced->str()) : json(nullptr)},
          {"lines", reply.lines}};
}

smtp::Reply reply_from_json(const json& in) {
  smtp::Reply reply;
  reply.code = in.at("code").get<int>();
  if (in.at("enhanced").is_string()) {
    reply.enhanced = smtp::EnhancedCode::parse(in.at("enhanced").get<std::string>());
  }
  reply.lines = in.at("lines").get<std::vector<std::string>>();
  return reply;
}

json optional_reply_json(const std::optional<smtp::Reply>& reply) { return reply ? reply_json(*reply) : json(nullptr); }

std::optional<smtp::Reply> optional_reply_from_json(const json& in) {
  return in.is_null() ? std::nullopt : std::optional(reply_from_json(in));
}

json refusal_json(const capture::RefusalRecord& refusal) {
  return {{"reason", refusal.reason},
          {"command", refusal.command},
          {"argument", refusal.argument},
          {"recipients", refusal.recipients},
          {"reply", reply_json(refusal.reply)}};
}

capture::RefusalRecord refusal_from_json(const json& refusal) {
  return {refusal.at("reason").get<std::string>(), refusal.at("command").get<std::string>(),
          refusal.at("argument").get<std::string>(), refusal.at("recipients").get<std::vector<std::string>>(),
          reply_from_json(refusal.at("reply"))};
}

}  // namespace

std::int64_t micros_since_epoch(std::chrono::system_clock::time_point at) {
  return std::chrono::duration_cast<std::chrono::microseconds>(at.time_since_epoch()).count();
}

std::chrono::system_clock::time_point time_from_micros(std::int64_t micros) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::microseconds(micros)));
}

json transaction_json(const capture::TransactionRecord& transaction) {
  json recipients = json::array();
  for (const auto& recipient : transaction.recipients) {
    recipients.push_back({{"address", recipient.address},
                          {"parameters", recipient.parameters},
                          {"reply", reply_json(recipient.reply)},
                          {"attempt", recipient.attempt}});
  }
  json lint = json::array();
  for (const auto& note : transaction.lint) {
    lint.push_back({{"name", note.name}, {"message", note.message}, {"line", note.line}, {"excerpt", note.excerpt}});
  }
  return {{"mail_from", transaction.mail_from},
          {"mail_parameters", transaction.mail_parameters},
          {"mail_reply", reply_json(transaction.mail_reply)},
          {"recipients", std::move(recipients)},
          {"data_reply", optional_reply_json(transaction.data_reply)},
          {"final_reply", optional_reply_json(transaction.final_reply)},
          {"delivered", transaction.delivered},
          {"bare_lf", transaction.bare_lf},
          {"eight_bit", transaction.eight_bit},
          {"smuggling_line", transaction.smuggling_line},
          {"lint", std::move(lint)},
          {"authentication_results", transaction.authentication_results},
          {"auth_results", transaction.auth_results}};
}

capture::TransactionRecord transaction_from_json(const json& in) {
  capture::TransactionRecord transaction;
  transaction.mail_from = in.at("mail_from").get<std::string>();
  transaction.mail_parameters = in.at("mail_parameters").get<std::string>();
  transaction.mail_reply = reply_from_json(in.at("mail_reply"));
  for (const auto& recipient : in.at("recipients")) {
    transaction.recipients.push_back({recipient.at("address").get<std::string>(),
                                      recipient.at("parameters").get<std::string>(),
                                      reply_from_json(recipient.at("reply")), recipient.at("attempt").get<unsigned>()});
  }
  transaction.data_reply = optional_reply_from_json(in.at("data_reply"));
  transaction.final_reply = optional_reply_from_json(in.at("final_reply"));
  transaction.delivered = in.at("delivered").get<bool>();
  transaction.bare_lf = in.at("bare_lf").get<bool>();
  transaction.eight_bit = in.at("eight_bit").get<bool>();
  transaction.smuggling_line = in.at("smuggling_line").get<std::size_t>();
  for (const auto& note : in.at("lint")) {
    transaction.lint.push_back({note.at("name").get<std::string>(), note.at("message").get<std::string>(),
                                note.at("line").get<std::size_t>(), note.at("excerpt").get<std::string>()});
  }
  transaction.authentication_results = in.at("authentication_results").get<std::string>();
  transaction.auth_results = in.at("auth_results").get<std::map<std::string, std::string>>();
  return transaction;
}

json transcript_entry_json(const capture::TranscriptEntry& entry) {
  return {{"direction", name_of(capture::k_direction_names, entry.direction)},
          {"text", entry.text},
          {"offset_us", entry.offset.count()}};
}

capture::TranscriptEntry transcript_entry_from_json(const json& in) {
  return {lookup_name(capture::k_direction_names, in.at("direction").get<std::string>()).value_or(Direction::event),
          in.at("text").get<std::string>(), std::chrono::microseconds(in.at("offset_us").get<std::int64_t>())};
}

json session_json(const capture::SessionRecord& session) {
  json transcript = json::array();
  for (const auto& entry : session.transcript) {
    transcript.push_back(transcript_entry_json(entry));
  }
  json refusals = json::array();
  for (const auto& refusal : session.refusals) {
    refusals.push_back(refusal_json(refusal));
  }
  return {{"id", session.id},
          {"client_address", session.client_address},
          {"client_port", session.client_port},
          {"helo", session.helo},
          {"esmtp", session.esmtp},
          {"tls", session.tls},
          {"tls_version", session.tls_version},
          {"tls_cipher", session.tls_cipher},
          {"auth_user", session.auth_user ? json(*session.auth_user) : json(nullptr)},
          {"auth_mechanism", session.auth_mechanism},
          {"transcript", std::move(transcript)},
          {"refusals", std::move(refusals)},
          {"close_reason", session.close_reason},
          {"started_us", micros_since_epoch(session.started)},
          {"duration_us", session.duration.count()}};
}

capture::SessionRecord session_from_json(const json& in) {
  capture::SessionRecord session;
  session.id = in.at("id").get<std::uint64_t>();
  session.client_address = in.at("client_address").get<std::string>();
  session.client_port = in.at("client_port").get<std::uint16_t>();
  session.helo = in.at("helo").get<std::string>();
  session.esmtp = in.at("esmtp").get<bool>();
  session.tls = in.at("tls").get<bool>();
  session.tls_version = in.at("tls_version").get<std::string>();
  session.tls_cipher = in.at("tls_cipher").get<std::string>();
  if (in.at("auth_user").is_string()) {
    session.auth_user = in.at("auth_user").get<std::string>();
  }
  session.auth_mechanism = in.at("auth_mechanism").get<std::string>();
  for (const auto& entry : in.at("transcript")) {
    session.transcript.push_back(transcript_entry_from_json(entry));
  }
  for (const auto& refusal : in.at("refusals")) {
    session.refusals.push_back(refusal_from_json(refusal));
  }
  session.close_reason = in.at("close_reason").get<std::string>();
  session.started = time_from_micros(in.at("started_us").get<std::int64_t>());
  session.duration = std::chrono::microseconds(in.at("duration_us").get<std::int64_t>());
  return session;
}

json attempt_json(const StoredAttempt& attempt) {
  json refusals = json::array();
  for (const auto& refusal : attempt.refusals) {
    refusals.push_back(refusal_json(refusal));
  }
  json transcript = json::array();
  for (const auto& entry : attempt.transcript) {
    transcript.push_back(transcript_entry_json(entry));
  }
  return {{"at_us", micros_since_epoch(attempt.at)},
          {"session_id", attempt.session_id},
          {"status", name_of(k_attempt_status_names, attempt.status)},
          {"message_id", attempt.message_id},
          {"client_address", attempt.client_address},
          {"client_port", attempt.client_port},
          {"helo", attempt.helo},
          {"auth_user", attempt.auth_user ? json(*attempt.auth_user) : json(nullptr)},
          {"transaction", attempt.transaction ? transaction_json(*attempt.transaction) : json(nullptr)},
          {"subject", attempt.subject},
          {"message_size", attempt.message_size},
          {"refusals", std::move(refusals)},
          {"fault", attempt.fault},
          {"ended", attempt.ended},
          {"transcript", std::move(transcript)}};
}

StoredAttempt attempt_from_json(const json& in) {
  StoredAttempt attempt;
  attempt.at = time_from_micros(in.at("at_us").get<std::int64_t>());
  attempt.session_id = in.at("session_id").get<std::uint64_t>();
  attempt.status = lookup_name(k_attempt_status_names, in.at("status").get<std::string>()).value_or(AttemptStatus::refused);
  attempt.message_id = in.at("message_id").get<std::uint64_t>();
  attempt.client_address = in.at("client_address").get<std::string>();
  attempt.client_port = in.at("client_port").get<std::uint16_t>();
  attempt.helo = in.at("helo").get<std::string>();
  if (in.at("auth_user").is_string()) {
    attempt.auth_user = in.at("auth_user").get<std::string>();
  }
  if (!in.at("transaction").is_null()) {
    attempt.transaction = transaction_from_json(in.at("transaction"));
  }
  attempt.subject = in.at("subject").get<std::string>();
  attempt.message_size = in.at("message_size").get<std::size_t>();
  for (const auto& refusal : in.at("refusals")) {
    attempt.refusals.push_back(refusal_from_json(refusal));
  }
  attempt.fault = in.at("fault").get<std::string>();
  attempt.ended = in.at("ended").get<std::string>();
  for (const auto& entry : in.at("transcript")) {
    attempt.transcript.push_back(transcript_entry_from_json(entry));
  }
  return attempt;
}

}  // namespace maildog::serve
