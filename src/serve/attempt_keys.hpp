// Mail attempts for the store: an accepted message's attempt derived from it, and the fields an
// AttemptQuery compares, derived once per attempt in lower case, so the memory store and the
// SQLite store (as columns) answer the same query the same way.
#pragma once

#include <string>
#include <string_view>

#include "serve/message_keys.hpp"
#include "serve/store.hpp"

namespace maildog::serve {

// The attempt of a stored message (id set): accepted, or partial when a recipient was refused,
// with those recipients' refusals found in `session` (may be null).
StoredAttempt attempt_of_message(const StoredMessage& message, const capture::SessionRecord* session);

// The reply that tells what happened: the first refusal's, else the first negative reply of the
// transaction, else its final reply. Null for an attempt that got none (a fault).
const smtp::Reply* attempt_reply(const StoredAttempt& attempt);

struct AttemptKeys {
  std::string from;        // MAIL FROM
  std::string recipients;  // every RCPT address, one per line
  std::string subject;
  std::string codes;    // " 550 5.1.1 " for every refusal reply (and an accepted one's final reply)
  std::string reasons;  // " unknown_user " for every refusal
};

AttemptKeys keys_of(const StoredAttempt& attempt);
bool matches(const AttemptKeys& keys, const StoredAttempt& attempt, const AttemptQuery& query);
// What AttemptQuery::code and ::enhanced look for in AttemptKeys::codes.
std::string code_needle(int code);
std::string enhanced_needle(const std::string& enhanced);
std::string reason_needle(const std::string& reason);

}  // namespace maildog::serve
