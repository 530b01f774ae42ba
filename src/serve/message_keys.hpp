// The fields a MessageQuery compares, derived once per message in lower case, so the memory
// store and the SQLite store (as indexed columns) answer the same query the same way.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "serve/store.hpp"

namespace maildog::serve {

struct MessageKeys {
  std::string from;        // MAIL FROM
  std::string recipients;  // accepted RCPT addresses, one per line
  std::string subject;     // the Subject field, unfolded
  std::string auth;        // " method=result " pairs, each framed by spaces
};

MessageKeys keys_of(const StoredMessage& message);

// The Subject field's value as sent (RFC 2047 words not decoded), or empty; from a header
// section or a whole message (the header section ends at the blank line).
std::string subject_of(std::string_view header_section);

// True when `wanted` is absent or its needle() is in `haystack` (a lower-case key).
bool contains(const std::string& haystack, const std::optional<std::string>& wanted);

// What each query field is looked for (lower case; `auth` framed like MessageKeys::auth).
std::string needle(const std::string& text);
std::string auth_needle(const std::string& method_result);

bool matches(const MessageKeys& keys, const StoredMessage& message, const MessageQuery& query);

}  // namespace maildog::serve
