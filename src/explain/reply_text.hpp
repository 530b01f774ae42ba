// Finds the SMTP reply in whatever text a user has: a reply line, a multi-line reply, a mail log
// line (Postfix, Exim, client libraries) or a whole bounce message (RFC 3464 DSN). A pure function
// over a string_view, kept apart so a fuzz target can call it directly.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/name_table.hpp"
#include "reply/reply.hpp"

namespace maildog::explain {

// Only the first 1 MiB of the input is looked at: a bounce carries its diagnostic near the top,
// and a pasted attachment must not make the search slow.
inline constexpr std::size_t k_input_max = 1024 * 1024;

// Where the reply was found: on its own, in a DSN's Diagnostic-Code/Status fields, or inside a
// log line or library error message.
enum class ReplySource { reply, dsn, log };

inline constexpr NameTable<ReplySource, 3> k_reply_source_names{{
    {ReplySource::reply, "reply"},
    {ReplySource::dsn, "dsn"},
    {ReplySource::log, "log"},
}};

struct FoundReply {
  int code = 0;  // the basic reply code; 0 when the text has only an enhanced code (DSN Status:, Postfix dsn=)
  std::optional<smtp::EnhancedCode> enhanced;
  std::string text;  // the text lines joined by single spaces, continuation markers removed
  ReplySource source = ReplySource::reply;
  std::string stage;  // the command it answered when the text says ("RCPT TO", "end of DATA"), else empty
  // From the rest of a bounce or log line (explain/bounce_facts.hpp); empty for a bare reply.
  std::string mta;                      // the MTA that wrote the bounce or log line: "Exim", "Postfix", ...
  std::vector<std::string> recipients;  // the failed recipients it names (X-Failed-Recipients, Final-Recipient, to=<>)
  std::string sender;                   // the envelope sender it names (X-Postfix-Sender, from=<>, F=<>)
};

// Either a reply or, when none is found, the reason why.
struct ReplySearch {
  std::optional<FoundReply> reply;
  std::string error;
};

ReplySearch find_reply(std::string_view input);

}  // namespace maildog::explain
