// Everything a sandbox server is configured with: identity, TLS, AUTH, local domains and
// mailboxes, rules and limits. Filled from a scenario's `server:` block or by tests.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "capture/records.hpp"
#include "core/limits.hpp"
#include "reply/reply.hpp"
#include "rules/rule.hpp"

namespace maildog::smtp {

enum class TlsMode {
  none,      // no STARTTLS offered
  starttls,  // STARTTLS offered, optional
  required,  // STARTTLS offered and required before MAIL (530 5.7.0 otherwise)
  implicit,  // TLS from the first byte (port 465 style, RFC 8314)
};

std::string_view to_string(TlsMode mode);
std::optional<TlsMode> parse_tls_mode(std::string_view text);

enum class AuthMechanism { plain, login, cram_md5 };
std::string_view to_string(AuthMechanism mechanism);
std::optional<AuthMechanism> parse_auth_mechanism(std::string_view text);

struct AuthConfig {
  std::vector<AuthMechanism> mechanisms{AuthMechanism::plain, AuthMechanism::login, AuthMechanism::cram_md5};
  std::map<std::string, std::string> users;  // user name -> password
  bool required = false;                     // MAIL without AUTH gets 530 5.7.0
  // RFC 4954 4: with TLS on offer, plaintext mechanisms wait for it (538 5.7.11 before).
  bool allow_plaintext_without_tls = false;
};

struct ServerLimits {
  std::size_t line_length = limits::k_command_line_max;
  std::size_t message_size = limits::k_message_size_default;
  std::size_t recipients = limits::k_recipients_default;
  std::size_t errors = limits::k_errors_default;
  std::size_t connections = limits::k_connections_default;
  std::chrono::milliseconds idle_timeout = limits::k_idle_timeout_default;
  std::chrono::milliseconds session_deadline = limits::k_session_deadline_default;
  bool reject_bare_lf = true;  // a strict receiver refuses bare LF in DATA (SMTP smuggling)
};

// What the end-of-data sender check sees of one message.
struct MessageView {
  std::string_view client_ip;
  std::string_view helo;
  std::string_view mail_from;  // reverse-path without brackets; empty for <>
  std::string_view message;    // bytes as received, dot-unstuffed, CRLF kept
};

// A sender check's refusal: the reply and the check's name for the capture ("spf", "dnsbl", ...;
// capture::k_refusal_reasons).
struct Refusal {
  Reply reply;
  std::string reason;
};

struct MessageVerdict {
  std::optional<Refusal> refusal;              // set: the message is refused with it
  std::string authentication_results;          // the Authentication-Results value (RFC 8601)
  std::map<std::string, std::string> results;  // method -> result, e.g. "spf" -> "pass"
  std::string summary;                         // one line for the transcript, e.g. "spf=fail dmarc=fail (p=reject)"
};

// Sender checks injected by the caller (the runner builds them from a scenario's checks), so
// the protocol never depends on the verifiers. Either hook may be empty.
struct SenderChecks {
  // Asked once per transaction, at its first RCPT: a reply refuses that RCPT and the rest.
  std::function<std::optional<Refusal>(std::string_view client_ip, std::string_view helo)> at_rcpt;
  // After the size and bare-LF checks, before the end_of_data rules.
  std::function<MessageVerdict(const MessageView&)> at_end_of_data;
};

// What on_accepted answers; a std::optional<Reply> converts to it (the refusal, or nullopt).
struct Acceptance {
  using Verdict = std::function<void(std::optional<Reply> refusal)>;
  // Implicit, so a hook may return just its refusal (or nullopt).
  Acceptance(std::optional<Reply> reply = std::nullopt) : refusal(std::move(reply)) {}

  std::optional<Reply> refusal;
  // Set while keeping the message is still under way (serve's store waits for its disk): the
  // session calls it once, on its own thread, and sends nothing until the Verdict it passed is
  // called (from any thread) with nullopt (kept: the 250 goes out) or the reply that replaces
  // it. The I/O thread serves other sessions meanwhile.
  std::function<void(Verdict)> when_kept;
};

// A certificate chain and its key as PEM, made by the caller (the run's CA signs one per sandbox).
struct TlsIdentity {
  std::string certificate_chain_pem;
  std::string private_key_pem;
};

// A mail attempt that ended without its message accepted, after a refusal or a fault: what
// ServerConfig::on_attempt_refused hears (serve shows refusals beside the messages it keeps).
struct RefusedAttempt {
  // The transaction as far as it got; null for a refusal before any transaction (connect,
  // HELO, STARTTLS, AUTH). A refused MAIL gives its reverse-path and reply only.
  const capture::TransactionRecord* transaction = nullptr;
  std::vector<capture::RefusalRecord> refusals;  // this attempt's, in order
  std::string fault;  // the rule fault that ended or shaped it ("drop", "disconnect", ...); empty: none
  std::string ended;  // why an unfinished transaction ended ("client closed", "RSET", ...); empty: it finished
  // The attempt's part of the session's transcript starts at this line (after the previous
  // attempt's), so a long session's refusals do not each carry all that came before.
  std::size_t first_line = 0;
};

struct ServerConfig {
  std::string hostname = "mx.sandbox.test";
  std::string bind_address = "127.0.0.1";
  std::uint16_t port = 0;  // 0: ephemeral; read back with Server::port()
  TlsMode tls = TlsMode::none;
  std::optional<std::string> tls_cert_file;  // PEM; both or neither
  std::optional<std::string> tls_key_file;
  std::optional<TlsIdentity> tls_identity;  // used without files; neither: a self-signed certificate made at start
  std::optional<AuthConfig> auth;
  std::vector<std::string> domains;    // empty: every recipient is local (catch-all)
  std::vector<std::string> mailboxes;  // empty: every address at a local domain exists; globs allowed
  std::vector<rules::Rule> rules;
  SenderChecks sender_checks;
  // Called once per message that every check and rule accepted, before its 250 goes out, with
  // the transaction as it will be recorded (final reply set). A refusal (e.g.
  // reply::cannot_store()) replaces the 250: `serve` answers 451 when the store fails.
  std::function<Acceptance(const capture::SessionRecord&, const capture::TransactionRecord&)> on_accepted;
  // false: a session's record keeps no transactions. A long-lived sandbox (serve) stores each
  // accepted message through on_accepted; holding them in the record too would grow a
  // connection that never closes without bound.
  bool keep_transactions = true;
  // Called on the session's thread once per attempt that ends refused (a refusal or a negative
  // reply on its way, or a fault), right before its last reply goes out; must not block and
  // must not throw. Accepted and partly accepted messages go through on_accepted instead.
  std::function<void(const capture::SessionRecord&, const RefusedAttempt&)> on_attempt_refused;
  // The sandbox's own refusals reworded, by reason ("unknown_user", "relay", "size", ...;
  // capture::k_refusal_reasons); "{address}" in the text stands for the refused address.
  std::map<std::string, Reply> replies;
  // A recorded server's own positive replies word for word (`server.ok_replies`, written by
  // `maildog-ci record`), by key: greeting, ehlo (its first line), starttls, auth, mail, rcpt,
  // data, queued ("{queue_id}" in it stands for the sandbox's id), rset, noop, quit.
  std::map<std::string, Reply> ok_replies;
  // The EHLO keywords as a recorded server listed them (`server.ehlo_keywords`); empty: the
  // sandbox's own. STARTTLS and AUTH still show only while they can be used.
  std::vector<std::string> ehlo_keywords;
  ServerLimits limits;
  std::uint64_t seed = 1;
  unsigned threads = 1;
};

}  // namespace maildog::smtp
