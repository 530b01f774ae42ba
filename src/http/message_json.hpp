// The JSON the API answers with for stored messages, sessions, MIME trees and
// Authentication-Results; schemas/api.openapi.json describes every shape.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "mime/mime.hpp"
#include "serve/store.hpp"

namespace maildog::http {

using Json = nlohmann::ordered_json;

// The message's header section (up to the blank line), without its body.
std::string_view header_section(std::string_view message);

// A reply as {code, enhanced, text}; attempts and messages show replies alike.
Json reply_json(const smtp::Reply& reply);
// A refusal: {reason, command, argument, recipients, reply}; sessions and attempts show them alike.
Json refusal_json(const capture::RefusalRecord& refusal);
// A list entry: id, received, session, envelope addresses, subject, date, size, auth results.
Json message_summary(const serve::StoredMessage& message);
// The summary with every recipient and reply, the Authentication-Results and the lint notes.
Json message_detail(const serve::StoredMessage& message);
Json auth_json(const serve::StoredMessage& message);
Json mime_json(const mime::Parsed& parsed);
Json headers_json(const std::vector<mime::Header>& headers);
Json session_summary(const serve::StoredSession& session);
Json session_detail(const serve::StoredSession& session);
Json transcript_json(const serve::StoredSession& session);

// Splits an Authentication-Results value (RFC 8601 2.2) into its authserv-id and one entry per
// method: {method, result, reason, properties, comment}; what does not parse is left out.
Json parse_authentication_results(std::string_view value);

}  // namespace maildog::http
