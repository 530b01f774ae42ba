#include "http/message_json.hpp"

#include "capture/record_codec.hpp"
#include "core/ascii.hpp"
#include "core/time_text.hpp"

namespace maildog::http {

namespace {

// The API's reply: the codec's, its lines as one text, `enhanced` left out when there is none.
Json api_reply(const Json& reply) {
  return capture::reshape(reply, {{"enhanced",
                                   [](Json& out, const Json& value, const Json&) {
                                     if (!value.is_null()) {
                                       out["enhanced"] = value;
                                     }
                                   }},
                                  capture::lines_as_text()});
}

// A reply field of a canonical record as the API writes it; an absent reply (null) is left out.
capture::FieldChange api_reply_field(std::string_view field) {
  return {field, [field = std::string(field)](Json& out, const Json& value, const Json&) {
            if (!value.is_null()) {
              out[field] = api_reply(value);
            }
          }};
}

std::string first_header(const std::vector<mime::Header>& headers, std::string_view name) {
  for (const auto& header : headers) {
    if (ascii::iequals(header.name, name)) {
      return header.value;
    }
  }
  return {};
}

std::string_view message_bytes(const serve::StoredMessage& message) {
  return message.transaction.message ? std::string_view(*message.transaction.message) : std::string_view();
}

// RFC 8601 2.2 splits on ";" and whitespace, but not inside quoted strings or comments.
std::vector<std::string> split_outside_quotes(std::string_view text, std::string_view separators,
                                              std::vector<std::string>* comments) {
  std::vector<std::string> pieces;
  std::string current;
  std::string comment;
  bool quoted = false;
  int depth = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (comments == nullptr && depth == 0) {
      // The outer split on ";" keeps quoting and escapes for the inner split to read.
      if (c == '\\' && quoted && i + 1 < text.size()) {
        current += c;
        current += text[++i];
        continue;
      }
      if (c == '"') {
        quoted = !quoted;
      } else if (c == '(' && !quoted) {
        depth = 1;
        continue;
      }
      if (!quoted && separators.find(c) != std::string_view::npos) {
        if (!current.empty()) {
          pieces.push_back(std::move(current));
        }
        current.clear();
      } else {
        current += c;
      }
    } else if (c == '\\' && (quoted || depth > 0) && i + 1 < text.size()) {
      (depth > 0 ? comment : current) += text[++i];
    } else if (depth > 0) {
      if (c == '(') {
        ++depth;
      } else if (c == ')' && --depth == 0) {
        if (comments != nullptr) {
          comments->push_back(comment);
        } else {
          current += "(" + comment + ")";
        }
        comment.clear();
        continue;
      }
      comment += c;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (!quoted && c == '(') {
      depth = 1;
    } else if (!quoted && separators.find(c) != std::string_view::npos) {
      if (!current.empty()) {
        pieces.push_back(std::move(current));
      }
      current.clear();
    } else {
      current += c;
    }
  }
  if (!current.empty()) {
    pieces.push_back(std::move(current));
  }
  return pieces;
}

}  // namespace

Json reply_json(const smtp::Reply& reply) { return api_reply(capture::reply_to_json(reply)); }

Json refusal_json(const capture::RefusalRecord& refusal) {
  return capture::reshape(capture::refusal_to_json(refusal), {api_reply_field("reply")});
}

std::string_view header_section(std::string_view message) {
  const std::size_t crlf = message.find("\r\n\r\n");
  const std::size_t lf = message.find("\n\n");
  const std::size_t end = std::min(crlf == std::string_view::npos ? message.size() : crlf + 2,
                                   lf == std::string_view::npos ? message.size() : lf + 1);
  return message.substr(0, end);
}

Json message_summary(const serve::StoredMessage& message) {
  const auto& transaction = message.transaction;
  const auto headers = mime::parse(header_section(message_bytes(message))).headers;
  Json auth = Json::object();
  for (const auto& [method, result] : transaction.auth_results) {
    auth[method] = result;
  }
  return {{"id", message.id},
          {"received", time_text::utc(message.received, time_text::Form::iso_millis)},
          {"session_id", message.session_id},
          {"from", transaction.mail_from},
          {"to", transaction.accepted_recipients()},
          {"subject", first_header(headers, "Subject")},
          {"date", first_header(headers, "Date")},
          {"size", message_bytes(message).size()},
          {"auth", auth}};
}

// The summary, then the canonical transaction as the API shows it: the envelope in one object,
// each recipient with whether it was accepted, absent replies left out, the auth results and
// the size only in the summary, the flags last. Fields the codec adds appear here too.
Json message_detail(const serve::StoredMessage& message) {
  Json summary = message_summary(message);
  const auto flags_after_lint = [](Json& out, const Json& value, const Json& record) {
    out["lint"] = value;
    for (const char* flag : {"bare_lf", "eight_bit", "smuggling_line"}) {
      out[flag] = record.at(flag);
    }
  };
  const Json detail =
      capture::reshape(capture::transaction_to_json(message.transaction),
                       {{"mail_from",
                         [](Json& out, const Json&, const Json& record) {
                           out["envelope"] = {{"mail_from", record.at("mail_from")},
                                              {"mail_parameters", record.at("mail_parameters")},
                                              {"mail_reply", api_reply(record.at("mail_reply"))}};
                         }},
                        capture::dropped("mail_parameters"),
                        capture::dropped("mail_reply"),
                        capture::each("recipients",
                                      [](const Json& recipient) {
                                        return capture::reshape(
                                            recipient, {{"reply", [](Json& out, const Json& value, const Json&) {
                                                           out["accepted"] = capture::reply_from_json(value).positive();
                                                           out["reply"] = api_reply(value);
                                                         }}});
                                      }),
                        api_reply_field("data_reply"),
                        api_reply_field("final_reply"),
                        capture::dropped("size"),
                        capture::dropped("auth_results"),
                        capture::dropped("bare_lf"),
                        capture::dropped("eight_bit"),
                        capture::dropped("smuggling_line"),
                        {"lint", flags_after_lint}});
  summary.update(detail);
  return summary;
}

Json auth_json(const serve::StoredMessage& message) {
  const auto& transaction = message.transaction;
  Json results = Json::object();
  for (const auto& [method, result] : transaction.auth_results) {
    results[method] = result;
  }
  Json out = parse_authentication_results(transaction.authentication_results);
  out["authentication_results"] = transaction.authentication_results;
  out["results"] = results;
  return out;
}

Json parse_authentication_results(std::string_view value) {
  Json methods = Json::array();
  std::string authserv_id;
  const auto entries = split_outside_quotes(value, ";", nullptr);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    std::vector<std::string> comments;
    const auto words = split_outside_quotes(entries[i], " \t\r\n", &comments);
    if (i == 0) {
      authserv_id = words.empty() ? std::string() : words.front();
      continue;
    }
    if (words.empty() || words.front().find('=') == std::string::npos || words.front() == "none") {
      continue;
    }
    const std::string& first = words.front();
    Json method = {{"method", first.substr(0, first.find('='))}, {"result", first.substr(first.find('=') + 1)}};
    Json properties = Json::object();
    for (std::size_t w = 1; w < words.size(); ++w) {
      const std::size_t equals = words[w].find('=');
      if (equals == std::string::npos) {
        continue;
      }
      const std::string name = words[w].substr(0, equals);
      if (name == "reason") {
        method["reason"] = words[w].substr(equals + 1);
      } else {
        properties[name] = words[w].substr(equals + 1);
      }
    }
    method["properties"] = properties;
    if (!comments.empty()) {
      std::string joined;
      for (const auto& comment : comments) {
        joined += (joined.empty() ? "" : " ") + comment;
      }
      method["comment"] = joined;
    }
    methods.push_back(method);
  }
  return {{"authserv_id", authserv_id}, {"methods", methods}};
}

Json mime_json(const mime::Parsed& parsed) {
  const auto part_json = [](const auto& self, const mime::Part& part) -> Json {
    Json children = Json::array();
    for (const auto& child : part.children) {
      children.push_back(self(self, child));
    }
    return {{"path", part.path},
            {"content_type", part.content_type},
            {"charset", part.charset},
            {"transfer_encoding", part.transfer_encoding},
            {"disposition", part.disposition},
            {"filename", part.filename},
            {"size", part.size},
            {"children", children}};
  };
  return {{"root", part_json(part_json, parsed.root)}, {"problems", parsed.problems}};
}

Json headers_json(const std::vector<mime::Header>& headers) {
  Json list = Json::array();
  for (const auto& header : headers) {
    list.push_back({{"name", header.name}, {"value", header.value}});
  }
  return {{"headers", list}};
}

// The codec's session as the API lists it: the store's id and whether the session is open
// first, the close reason and the number of refusals after its times, TLS and AUTH details only
// when the session had them; no transcript or refusals (session_detail adds them).
Json session_summary(const serve::StoredSession& session) {
  const auto& record = session.record;
  const auto duration = capture::micros_as_millis("duration_us", "duration_ms");
  Json out = capture::reshape(capture::session_to_json(record, capture::WithTransactions::no),
                              {{"id",
                                [&session](Json& summary, const Json&, const Json&) {
                                  summary["id"] = session.id;
                                  summary["open"] = session.open;
                                }},
                               capture::micros_as_iso_time("started_us", "started"),
                               {"duration_us",
                                [&duration](Json& summary, const Json& value, const Json& canonical) {
                                  duration.write(summary, value, canonical);
                                  summary["close_reason"] = canonical.at("close_reason");
                                  summary["refusal_count"] = canonical.at("refusals").size();
                                }},
                               capture::dropped("tls_version"),
                               capture::dropped("tls_cipher"),
                               capture::dropped("auth_user"),
                               capture::dropped("auth_mechanism"),
                               capture::dropped("close_reason"),
                               capture::dropped("transcript"),
                               capture::dropped("refusals")});
  if (record.tls) {
    out["tls_version"] = record.tls_version;
    out["tls_cipher"] = record.tls_cipher;
  }
  if (record.auth_user) {
    out["auth_user"] = *record.auth_user;
    out["auth_mechanism"] = record.auth_mechanism;
  }
  return out;
}

Json session_detail(const serve::StoredSession& session) {
  Json out = session_summary(session);
  out["refusals"] = capture::array_of(session.record.refusals, refusal_json);
  out["transcript"] = transcript_json(session)["transcript"];
  return out;
}

// A transcript line with its offset in milliseconds (a double), as the API documents it.
Json transcript_json(const serve::StoredSession& session) {
  Json lines = Json::array();
  for (const auto& entry : session.record.transcript) {
    lines.push_back(capture::reshape(capture::transcript_entry_to_json(entry),
                                     {capture::micros_as_millis("offset_us", "offset_ms")}));
  }
  return {{"session_id", session.id}, {"open", session.open}, {"transcript", lines}};
}

}  // namespace maildog::http
