// What a bounce says, read into facts a scenario can be made from: the reply (found by
// explain::find_reply), the recipients and sender it names, the RFC 3464 per-recipient fields,
// which MTA wrote it, and the stage the reply answered when the bounce itself says so. A pure
// function over text: a reply line, a bounce message (.eml) or a mail log line.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/name_table.hpp"
#include "explain/reply_text.hpp"

namespace maildog::bounce {

// The sandbox stages a refusal can come at (the rule `at:` values, less starttls and auth).
enum class Stage { unknown, connect, helo, auth, mail, rcpt, data, end_of_data };

inline constexpr NameTable<Stage, 8> k_stage_names{{
    {Stage::unknown, "unknown"},
    {Stage::connect, "connect"},
    {Stage::helo, "helo"},
    {Stage::auth, "auth"},
    {Stage::mail, "mail"},
    {Stage::rcpt, "rcpt"},
    {Stage::data, "data"},
    {Stage::end_of_data, "end_of_data"},
}};

struct BounceFacts {
  explain::FoundReply reply;
  std::vector<std::string> recipients;       // in the order the bounce names them, each once (case-insensitively)
  std::optional<std::string> sender;         // the envelope sender of the refused message, when the bounce names it
  std::string action;                        // DSN Action: ("failed", "delayed"), else empty
  std::string status;                        // DSN Status: ("5.1.1"), else empty
  std::string remote_mta;                    // DSN Remote-MTA: without its type ("mx.example.net")
  std::string reporting_mta;                 // DSN Reporting-MTA: without its type
  std::string mta;                           // who wrote the bounce or log line: "Postfix", "Exim", ... or empty
  Stage stage = Stage::unknown;              // from the bounce's own evidence only
  std::string stage_evidence;                // the words that said so ("in reply to RCPT TO command")
  bool enhanced_from_status = false;         // reply.enhanced is the DSN Status:, not part of the remote reply
  std::vector<std::string> other_addresses;  // addresses in the reply text that are neither of the above
};

struct BounceRead {
  std::optional<BounceFacts> facts;
  std::string error;  // why nothing was read (no reply code in the input)
};

// Looks at the first explain::k_input_max bytes only, as explain does.
BounceRead read_bounce(std::string_view input);

// Every mail address in `text` (local@domain.tld), in order, as written.
std::vector<std::string> addresses_in(std::string_view text);

}  // namespace maildog::bounce
