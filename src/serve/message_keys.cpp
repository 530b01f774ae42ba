#include "serve/message_keys.hpp"

#include "core/ascii.hpp"
#include "rules/engine.hpp"

namespace maildog::serve {

std::string subject_of(std::string_view header_section) {
  for (const auto& header : rules::parse_headers(header_section)) {
    if (ascii::iequals(header.name, "Subject")) {
      return header.value;
    }
  }
  return {};
}

bool contains(const std::string& haystack, const std::optional<std::string>& wanted) {
  return !wanted || haystack.find(needle(*wanted)) != std::string::npos;
}

MessageKeys keys_of(const StoredMessage& message) {
  const auto& transaction = message.transaction;
  MessageKeys keys;
  keys.from = ascii::lower(transaction.mail_from);
  for (const auto& recipient : transaction.accepted_recipients()) {
    keys.recipients += ascii::lower(recipient) + '\n';
  }
  if (transaction.message) {
    keys.subject = ascii::lower(subject_of(*transaction.message));
  }
  keys.auth = " ";
  for (const auto& [method, result] : transaction.auth_results) {
    keys.auth += ascii::lower(method) + '=' + ascii::lower(result) + ' ';
  }
  return keys;
}

std::string needle(const std::string& text) { return ascii::lower(text); }

std::string auth_needle(const std::string& method_result) { return ' ' + ascii::lower(method_result) + ' '; }

bool matches(const MessageKeys& keys, const StoredMessage& message, const MessageQuery& query) {
  return message.id > query.after_id && message.id < query.before_id && contains(keys.recipients, query.to) &&
         contains(keys.from, query.from) && contains(keys.subject, query.subject) &&
         (!query.since || message.received >= *query.since) &&
         (!query.auth || keys.auth.find(auth_needle(*query.auth)) != std::string::npos);
}

}  // namespace maildog::serve
