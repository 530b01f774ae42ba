#include "serve/attempt_keys.hpp"

#include <algorithm>

#include "core/ascii.hpp"
#include "serve/message_keys.hpp"

namespace maildog::serve {

namespace {

void add_code(std::string& codes, const smtp::Reply& reply) {
  codes += std::to_string(reply.code) + ' ';
  if (reply.enhanced) {
    codes += reply.enhanced->str() + ' ';
  }
}

}  // namespace

StoredAttempt attempt_of_message(const StoredMessage& message, const capture::SessionRecord* session) {
  StoredAttempt attempt;
  attempt.at = message.received;
  attempt.session_id = message.session_id;
  attempt.message_id = message.id;
  attempt.transaction = message.transaction;
  attempt.transaction->message.reset();  // the message keeps the bytes
  attempt.message_size = message.transaction.message ? message.transaction.message->size() : 0;
  attempt.status = AttemptStatus::accepted;
  if (message.transaction.message) {
    attempt.subject = subject_of(message.transaction.stored_header_section());
  }
  for (const auto& recipient : message.transaction.recipients) {
    if (recipient.reply.positive()) {
      continue;
    }
    attempt.status = AttemptStatus::partial;
    if (session == nullptr) {
      continue;
    }
    // The newest refusal of that address at RCPT is this transaction's.
    const auto found = std::find_if(session->refusals.rbegin(), session->refusals.rend(), [&](const auto& refusal) {
      return refusal.command == "RCPT" && refusal.argument == recipient.address;
    });
    if (found != session->refusals.rend()) {
      attempt.refusals.push_back(*found);
    }
  }
  if (session != nullptr) {
    attempt.client_address = session->client_address;
    attempt.client_port = session->client_port;
    attempt.helo = session->helo;
    attempt.auth_user = session->auth_user;
  }
  return attempt;
}

const smtp::Reply* attempt_reply(const StoredAttempt& attempt) {
  if (!attempt.refusals.empty()) {
    return &attempt.refusals.front().reply;
  }
  if (!attempt.transaction) {
    return nullptr;
  }
  const auto& transaction = *attempt.transaction;
  if (transaction.mail_reply.code >= 400) {
    return &transaction.mail_reply;
  }
  for (const auto& recipient : transaction.recipients) {
    if (recipient.reply.code >= 400) {
      return &recipient.reply;
    }
  }
  if (transaction.data_reply && transaction.data_reply->code >= 400) {
    return &*transaction.data_reply;
  }
  return transaction.final_reply ? &*transaction.final_reply : nullptr;
}

AttemptKeys keys_of(const StoredAttempt& attempt) {
  AttemptKeys keys;
  keys.codes = " ";
  keys.reasons = " ";
  if (attempt.transaction) {
    keys.from = ascii::lower(attempt.transaction->mail_from);
    for (const auto& recipient : attempt.transaction->recipients) {
      keys.recipients += ascii::lower(recipient.address) + '\n';
    }
  }
  keys.subject = ascii::lower(attempt.subject);
  for (const auto& refusal : attempt.refusals) {
    add_code(keys.codes, refusal.reply);
    keys.reasons += refusal.reason + ' ';
  }
  if (const smtp::Reply* reply = attempt_reply(attempt); reply != nullptr && attempt.refusals.empty()) {
    add_code(keys.codes, *reply);
  }
  return keys;
}

std::string code_needle(int code) { return ' ' + std::to_string(code) + ' '; }
std::string enhanced_needle(const std::string& enhanced) { return ' ' + enhanced + ' '; }
std::string reason_needle(const std::string& reason) { return ' ' + ascii::lower(reason) + ' '; }

bool matches(const AttemptKeys& keys, const StoredAttempt& attempt, const AttemptQuery& query) {
  return attempt.id > query.after_id && attempt.id < query.before_id &&
         (!query.status || attempt.status == *query.status) &&
         (!query.code || keys.codes.find(code_needle(*query.code)) != std::string::npos) &&
         (!query.enhanced || keys.codes.find(enhanced_needle(*query.enhanced)) != std::string::npos) &&
         (!query.reason || keys.reasons.find(reason_needle(*query.reason)) != std::string::npos) &&
         contains(keys.recipients, query.to) && contains(keys.from, query.from) &&
         contains(keys.subject, query.subject) && (!query.since || attempt.at >= *query.since);
}

}  // namespace maildog::serve
