#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/ascii.hpp"
#include "expect/checks.hpp"
#include "expect/describe.hpp"
#include "expect/excerpts.hpp"
#include "mime/mime.hpp"
#include "rules/engine.hpp"

namespace maildog::expect::detail {

namespace {

using runner::Failure;

using ascii::iequals;

// The stored copy, so a scenario can assert on the Authentication-Results header the sandbox adds.
std::vector<rules::Header> headers_of(const capture::TransactionRecord& transaction) {
  return transaction.message ? rules::parse_headers(transaction.stored_header_section()) : std::vector<rules::Header>{};
}

const rules::Header* find_header(const std::vector<rules::Header>& headers, std::string_view name) {
  for (const auto& header : headers) {
    if (iequals(header.name, name)) {
      return &header;
    }
  }
  return nullptr;
}

// What expect.delivered[].mime looks at in one message, from the bytes as received.
struct MimeFacts {
  std::vector<std::string> types;        // every content type of the part tree, once each, in order
  std::vector<std::string> attachments;  // file names
  std::optional<std::string> text;       // the plain body, else the HTML body
  std::vector<std::string> problems;
};

void collect_mime(const mime::Part& part, MimeFacts& facts) {
  if (std::find(facts.types.begin(), facts.types.end(), part.content_type) == facts.types.end()) {
    facts.types.push_back(part.content_type);
  }
  if (mime::is_attachment(part) && !part.filename.empty()) {
    facts.attachments.push_back(part.filename);
  }
  for (const auto& child : part.children) {
    collect_mime(child, facts);
  }
}

MimeFacts mime_facts(const capture::TransactionRecord& transaction) {
  MimeFacts facts;
  if (!transaction.message) {
    return facts;
  }
  const std::string& message = *transaction.message;
  auto parsed = mime::parse(message);
  collect_mime(parsed.root, facts);
  facts.problems = std::move(parsed.problems);
  facts.text = mime::text_body(message, "plain");
  if (!facts.text) {
    facts.text = mime::text_body(message, "html");
  }
  return facts;
}

bool mime_holds(const scenario::MimeExpect& expect, const MimeFacts& facts) {
  auto has = [](const std::vector<std::string>& items, const std::string& item) {
    return std::find(items.begin(), items.end(), item) != items.end();
  };
  return std::all_of(expect.types.begin(), expect.types.end(),
                     [&](const std::string& type) { return has(facts.types, type); }) &&
         std::all_of(expect.attachments.begin(), expect.attachments.end(),
                     [&](const std::string& name) { return has(facts.attachments, name); }) &&
         std::all_of(expect.text_contains.begin(), expect.text_contains.end(),
                     [&](const std::string& text) {
                       return facts.text && facts.text->find(text) != std::string::npos;
                     }) &&
         (!expect.problems || *expect.problems == !facts.problems.empty());
}

std::vector<std::string> quoted_all(const std::vector<std::string>& items) {
  std::vector<std::string> out;
  for (const auto& item : items) {
    out.push_back(quote(item, k_excerpt_max));
  }
  return out;
}

// " MIME multipart/mixed, text/plain; attachments "a.pdf"; text "Hi..."; 1 MIME problem: ..."
// with only what `expect` asks about.
std::string describe_mime(const scenario::MimeExpect& expect, const MimeFacts& facts) {
  std::string out = " MIME " + join(facts.types, ", ");
  if (!expect.attachments.empty()) {
    out += facts.attachments.empty() ? std::string("; no attachment")
                                     : "; attachments " + join(quoted_all(facts.attachments), ", ");
  }
  if (!expect.text_contains.empty()) {
    out += facts.text ? "; text " + quote(*facts.text, k_excerpt_max) : std::string("; no text body");
  }
  if (expect.problems) {
    out += facts.problems.empty()
               ? std::string("; no MIME problem")
               : "; " + counted(facts.problems.size(), "MIME problem", "MIME problems") + ": " + listed(facts.problems);
  }
  return out;
}

// "from <a@x> to b@y, c@z Subject: "Hi" -> 250 2.0.0 Ok: queued as 0A1B" (session 1)
std::string describe_transaction(const capture::TransactionRecord& transaction, std::uint64_t session,
                                 const std::map<std::string, rules::TextMatch>& shown_headers,
                                 const scenario::MimeExpect* shown_mime = nullptr) {
  std::string out = "from <" + transaction.mail_from + "> to ";
  auto accepted = transaction.accepted_recipients();
  out += accepted.empty() ? std::string("no accepted recipient") : join(accepted, ", ");
  if (!shown_headers.empty()) {
    const auto headers = headers_of(transaction);
    for (const auto& [name, pattern] : shown_headers) {
      const auto* header = find_header(headers, name);
      out += ' ' + name + ": " + (header ? quote(header->value, k_excerpt_max) : std::string("(absent)"));
    }
  }
  if (shown_mime && transaction.message) {
    out += describe_mime(*shown_mime, mime_facts(transaction));
  }
  if (!transaction.auth_results.empty()) {
    std::vector<std::string> results;
    for (const auto& [method, result] : transaction.auth_results) {
      results.push_back(method + "=" + result);
    }
    out += " auth " + join(results, " ");
  }
  if (transaction.final_reply) {
    out += " -> " + transaction.final_reply->summary();
  } else if (transaction.data_reply) {
    out += " -> DATA " + transaction.data_reply->summary() + ", no message";
  } else {
    out += " -> no DATA";
  }
  return out + " (session " + std::to_string(session) + ")";
}

bool delivered_matches(const scenario::DeliveredExpect& expect, const capture::TransactionRecord& transaction) {
  if (expect.to) {
    auto accepted = transaction.accepted_recipients();
    if (std::none_of(accepted.begin(), accepted.end(),
                     [&](const std::string& rcpt) { return expect.to->matches(rcpt); })) {
      return false;
    }
  }
  if (expect.from && !expect.from->matches(transaction.mail_from)) {
    return false;
  }
  if (!expect.headers.empty()) {
    const auto headers = headers_of(transaction);
    for (const auto& wanted : expect.headers) {
      const bool any = std::any_of(headers.begin(), headers.end(), [&](const rules::Header& header) {
        return iequals(header.name, wanted.first) && wanted.second.matches(header.value);
      });
      if (!any) {
        return false;
      }
    }
  }
  for (const auto& [method, result] : expect.auth) {
    auto recorded = transaction.auth_results.find(method);
    if (recorded == transaction.auth_results.end() || recorded->second != result) {
      return false;
    }
  }
  return !expect.mime || mime_holds(*expect.mime, mime_facts(transaction));
}

// " with MIME types text/plain, application/pdf, attachments "a.pdf", text containing "Hi", no MIME problem"
std::string describe(const scenario::MimeExpect& expect) {
  std::vector<std::string> wanted;
  if (!expect.types.empty()) {
    wanted.push_back("MIME types " + join(expect.types, ", "));
  }
  if (!expect.attachments.empty()) {
    wanted.push_back("attachments " + join(quoted_all(expect.attachments), ", "));
  }
  if (!expect.text_contains.empty()) {
    wanted.push_back("text containing " + join(quoted_all(expect.text_contains), ", "));
  }
  if (expect.problems) {
    wanted.push_back(*expect.problems ? "MIME problems" : "no MIME problem");
  }
  return " with " + join(wanted, ", ");
}

std::string describe(const scenario::DeliveredExpect& expect) {
  std::string out = "a delivered message";
  if (expect.to) {
    out += " to " + show(*expect.to);
  }
  if (expect.from) {
    out += " from " + show(*expect.from);
  }
  std::vector<std::string> headers;
  for (const auto& [name, pattern] : expect.headers) {
    headers.push_back(name + ": " +
                      (pattern.kind() == rules::TextMatch::Kind::regex ? pattern.pattern() : quote(pattern.pattern())));
  }
  if (!headers.empty()) {
    out += " with " + join(headers, ", ");
  }
  std::vector<std::string> results;
  for (const auto& [method, result] : expect.auth) {
    results.push_back(method + "=" + result);
  }
  if (!results.empty()) {
    out += " with auth " + join(results, " ");
  }
  if (expect.mime) {
    out += describe(*expect.mime);
  }
  if (expect.count) {
    out += " (exactly " + counted(*expect.count, "message", "messages") + ")";
  }
  return out;
}

}  // namespace

void check_delivered(const Observation& observation, const std::vector<scenario::DeliveredExpect>& expects,
                     std::vector<Failure>& failures) {
  for (std::size_t i = 0; i < expects.size(); ++i) {
    const auto& expect = expects[i];
    std::vector<std::string> delivered;
    std::vector<std::string> matching;
    std::vector<std::string> refused;
    for (std::size_t t = 0; t < observation.transactions.size(); ++t) {
      const auto& transaction = *observation.transactions[t];
      std::string text = describe_transaction(transaction, observation.transaction_session[t], expect.headers,
                                              expect.mime ? &*expect.mime : nullptr);
      if (!transaction.delivered) {
        refused.push_back(std::move(text));
      } else if (delivered_matches(expect, transaction)) {
        matching.push_back(text);
        delivered.push_back(std::move(text));
      } else {
        delivered.push_back(std::move(text));
      }
    }
    if (count_holds(matching.size(), expect.count, std::nullopt, std::nullopt)) {
      continue;
    }
    std::string actual;
    if (!matching.empty()) {
      actual = counted(matching.size(), "matching message", "matching messages") + " delivered: " + listed(matching);
    } else if (!delivered.empty()) {
      actual = "none of " + counted(delivered.size(), "delivered message", "delivered messages") +
               " matches: " + listed(delivered);
    } else if (!refused.empty()) {
      actual = "no message was delivered; not delivered: " + listed(refused);
    } else {
      actual = "no mail transaction was started";
    }
    failures.push_back({"expect.delivered[" + std::to_string(i) + "]", expect.line, describe(expect), actual,
                        delivered_context(observation, expect)});
  }
}

void check_not_delivered(const Observation& observation, const scenario::Expectations& expect,
                         std::vector<Failure>& failures) {
  for (std::size_t i = 0; i < expect.not_delivered.size(); ++i) {
    const auto& address = expect.not_delivered[i];
    std::vector<std::string> offending;
    for (std::size_t t = 0; t < observation.transactions.size(); ++t) {
      const auto& transaction = *observation.transactions[t];
      if (!transaction.delivered) {
        continue;
      }
      auto accepted = transaction.accepted_recipients();
      if (std::any_of(accepted.begin(), accepted.end(),
                      [&](const std::string& rcpt) { return iequals(rcpt, address); })) {
        offending.push_back(describe_transaction(transaction, observation.transaction_session[t], {}));
      }
    }
    if (!offending.empty()) {
      failures.push_back({"expect.not_delivered[" + std::to_string(i) + "]", expect.not_delivered_line,
                          "no delivered message to " + address, "delivered: " + listed(offending),
                          not_delivered_context(observation, address)});
    }
  }
}

}  // namespace maildog::expect::detail
