// What a sandbox records: per session, the transcript in both directions (AUTH payloads
// masked), TLS and AUTH state, and every mail transaction with its envelope, replies and the
// exact message bytes. Plain values, safe to copy out of the server after it stops.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/name_table.hpp"
#include "reply/reply.hpp"

namespace maildog::capture {

struct TranscriptEntry {
  enum class Direction { client, server, event };
  Direction direction = Direction::event;
  std::string text;                     // one line without CRLF; DATA bodies are summarised, not repeated
  std::chrono::microseconds offset{0};  // since the session started
};

// How reports and the serve API name a transcript line's direction.
inline constexpr NameTable<TranscriptEntry::Direction, 3> k_direction_names{{
    {TranscriptEntry::Direction::client, "client"},
    {TranscriptEntry::Direction::server, "server"},
    {TranscriptEntry::Direction::event, "event"},
}};

struct RecipientRecord {
  std::string address;
  std::string parameters;  // ESMTP parameters as sent
  smtp::Reply reply;
  unsigned attempt = 0;  // this address's attempt number across sessions
};

// A negative reply the sandbox chose for a reason a scenario can name (`expect.rejected`).
// Syntax and sequence errors are not refusals: they say nothing about the mail.
struct RefusalRecord {
  std::string reason;                   // one of k_refusal_reasons
  std::string command;                  // "CONNECT", "HELO", "MAIL", "RCPT", "DATA", "END_OF_DATA"
  std::string argument;                 // MAIL, RCPT: the address; otherwise empty
  std::vector<std::string> recipients;  // DATA, END_OF_DATA: the accepted recipients refused with it
  smtp::Reply reply;
};

// Every reason a refusal can carry; the scenario schema lists the same words.
inline constexpr std::array<std::string_view, 17> k_refusal_reasons{
    "rule",           "spf",     "dkim",          "dmarc",        "ptr",          "dnsbl",
    "authentication", "rfc5322", "unsubscribe",   "relay",        "unknown_user", "too_many_recipients",
    "size",           "bare_lf", "auth_required", "tls_required", "smtputf8"};

// A sender lint finding (src/lint) as reports show it; the runner fills them when a scenario
// ends, and report/json_read when a report is read back.
struct LintNote {
  std::string name;      // lint::k_kind_names, e.g. "missing_message_id"
  std::string message;   // for a person
  std::size_t line = 0;  // 1-based line in the message; 0: the envelope or an absent field
  std::string excerpt;

  friend bool operator==(const LintNote&, const LintNote&) = default;
};

struct TransactionRecord {
  std::string mail_from;  // reverse-path without brackets; empty for <>
  std::string mail_parameters;
  smtp::Reply mail_reply;
  std::vector<RecipientRecord> recipients;     // every RCPT, accepted or not
  std::optional<smtp::Reply> data_reply;       // to the DATA command
  std::optional<smtp::Reply> final_reply;      // after the final dot
  std::shared_ptr<const std::string> message;  // bytes as received, dot-unstuffed, CRLF kept
  bool delivered = false;                      // final reply was 2xx
  bool bare_lf = false;                        // DATA contained LF without CR
  bool eight_bit = false;                      // DATA contained octets >= 0x80
  std::size_t smuggling_line = 0;              // smtp::DataDecoder::smuggling_line(); 0: none
  std::vector<LintNote> lint;                  // filled once the session is over (see LintNote)
  // Sender checks (ServerConfig::sender_checks), kept beside the message, never inside it.
  std::string authentication_results;               // the Authentication-Results value
  std::map<std::string, std::string> auth_results;  // method -> result, e.g. "dmarc" -> "fail"
  std::vector<std::string> accepted_recipients() const;
  // The message as the sandbox stores it: the Authentication-Results header (folded) in front
  // of the bytes as received, when checks ran; otherwise the bytes as received.
  std::string stored_copy() const;
  // The stored copy's header section only (up to the blank line): what header checks read,
  // without copying a body that may be megabytes long.
  std::string stored_header_section() const;

 private:
  std::string stored_prefix() const;  // the header the sandbox adds, or nothing
};

struct SessionRecord {
  std::uint64_t id = 0;  // 1-based, in order of acceptance
  std::string client_address;
  std::uint16_t client_port = 0;
  std::string helo;  // last EHLO/HELO argument
  bool esmtp = false;
  bool tls = false;
  std::string tls_version;
  std::string tls_cipher;
  std::optional<std::string> auth_user;
  std::string auth_mechanism;
  std::vector<TranscriptEntry> transcript;
  std::vector<TransactionRecord> transactions;
  std::vector<RefusalRecord> refusals;  // in the order they were sent
  std::string close_reason;             // "quit", "client closed", "idle timeout", ...
  std::chrono::system_clock::time_point started;
  std::chrono::microseconds duration{0};
};

}  // namespace maildog::capture
