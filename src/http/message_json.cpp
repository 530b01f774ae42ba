#include "http/message_json.hpp"

#include "core/ascii.hpp"
#include "http/target.hpp"

namespace maildog::http {

Json reply_json(const smtp::Reply& reply) {
  Json out = {{"code", reply.code}};
  if (reply.enhanced) {
    out["enhanced"] = reply.enhanced->str();
  }
  out["text"] = reply.text();
  return out;
}

namespace {

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

std::string_view direction_name(capture::TranscriptEntry::Direction direction) {
  return name_of(capture::k_direction_names, direction);
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
          {"received", format_rfc3339(message.received)},
          {"session_id", message.session_id},
          {"from", transaction.mail_from},
          {"to", transaction.accepted_recipients()},
          {"subject", first_header(headers, "Subject")},
          {"date", first_header(headers, "Date")},
          {"size", message_bytes(message).size()},
          {"auth", auth}};
}

Json message_detail(const serve::StoredMessage& message) {
  const auto& transaction = message.transaction;
  Json out = message_summary(message);
  Json envelope = {{"mail_from", transaction.mail_from},
                   {"mail_parameters", transaction.mail_parameters},
                   {"mail_reply", reply_json(transaction.mail_reply)}};
  out["envelope"] = envelope;
  Json recipients = Json::array();
  for (const auto& recipient : transaction.recipients) {
    recipients.push_back({{"address", recipient.address},
                          {"parameters", recipient.parameters},
                          {"accepted", recipient.reply.positive()},
                          {"reply", reply_json(recipient.reply)},
                          {"attempt", recipient.attempt}});
  }
  out["recipients"] = recipients;
  if (transaction.data_reply) {
    out["data_reply"] = reply_json(*transaction.data_reply);
  }
  if (transaction.final_reply) {
    out["final_reply"] = reply_json(*transaction.final_reply);
  }
  out["delivered"] = transaction.delivered;
  out["authentication_results"] = transaction.authentication_results;
  Json lint = Json::array();
  for (const auto& note : transaction.lint) {
    lint.push_back({{"name", note.name}, {"message", note.message}, {"line", note.line}, {"excerpt", note.excerpt}});
  }
  out["lint"] = lint;
  out["bare_lf"] = transaction.bare_lf;
  out["eight_bit"] = transaction.eight_bit;
  out["smuggling_line"] = transaction.smuggling_line;
  return out;
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

Json session_summary(const serve::StoredSession& session) {
  const auto& record = session.record;
  Json out = {{"id", session.id},
              {"open", session.open},
              {"client_address", record.client_address},
              {"client_port", record.client_port},
              {"helo", record.helo},
              {"esmtp", record.esmtp},
              {"tls", record.tls},
              {"started", format_rfc3339(record.started)},
              {"duration_ms", static_cast<double>(record.duration.count()) / 1000.0},
              {"close_reason", record.close_reason},
              {"refusal_count", record.refusals.size()}};
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
  Json refusals = Json::array();
  for (const auto& refusal : session.record.refusals) {
    refusals.push_back({{"reason", refusal.reason},
                        {"command", refusal.command},
                        {"argument", refusal.argument},
                        {"recipients", refusal.recipients},
                        {"reply", reply_json(refusal.reply)}});
  }
  out["refusals"] = refusals;
  out["transcript"] = transcript_json(session)["transcript"];
  return out;
}

Json transcript_json(const serve::StoredSession& session) {
  Json lines = Json::array();
  for (const auto& entry : session.record.transcript) {
    lines.push_back({{"direction", direction_name(entry.direction)},
                     {"text", entry.text},
                     {"offset_ms", static_cast<double>(entry.offset.count()) / 1000.0}});
  }
  return {{"session_id", session.id}, {"open", session.open}, {"transcript", lines}};
}

}  // namespace maildog::http
