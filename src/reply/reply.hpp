// SMTP replies: a basic code, an RFC 3463 enhanced status code and one or more text lines.
// Every reply the sandbox sends on its own comes from a named constructor in `reply::`.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace maildog::smtp {

// RFC 3463 2: class.subject.detail, class in {2,4,5}, subject and detail 0..999.
struct EnhancedCode {
  int cls = 0;
  int subject = 0;
  int detail = 0;

  std::string str() const;
  static std::optional<EnhancedCode> parse(std::string_view text);
  friend bool operator==(const EnhancedCode&, const EnhancedCode&) = default;
};

struct Reply {
  int code = 0;
  std::optional<EnhancedCode> enhanced;
  std::vector<std::string> lines;  // text only, without code or enhanced code

  // RFC 5321 4.2.1: "250-first", "250 last"; every line carries the enhanced code (RFC 2034 4).
  std::string wire() const;
  // The reply as one line for reports: "550 5.1.1 text / more text".
  std::string summary() const;
  std::string text() const;  // lines joined by "\n"

  bool positive() const { return code >= 200 && code < 400; }
  bool transient() const { return code >= 400 && code < 500; }
  bool permanent() const { return code >= 500; }

  // Parses "550 5.1.1 text" or a multi-line reply ("550-5.7.26 a\r\n550 5.7.26 b"). Lines may
  // end in CRLF or LF. Returns nothing when the text is not a reply.
  static std::optional<Reply> parse(std::string_view text);
  friend bool operator==(const Reply&, const Reply&) = default;
};

Reply make_reply(int code, std::optional<EnhancedCode> enhanced, std::string text);

// A scenario's reply text with each "{name}" of `values` replaced (e.g. {address}, {domain},
// {ip}), so one configured wording can name what it refuses; other braces stay as written.
struct Placeholder {
  std::string_view name;  // without braces
  std::string_view value;
};
Reply fill_placeholders(Reply reply, std::initializer_list<Placeholder> values);

namespace reply {
// 2xx / 3xx
Reply greeting(std::string_view hostname);
Reply ok(std::string_view text = "Ok");
Reply ok_sender(std::string_view text = "Sender ok");
Reply ok_recipient(std::string_view text = "Recipient ok");
Reply closing(std::string_view hostname);
Reply start_mail_input();
Reply queued(std::string_view queue_id);
Reply cannot_verify();
Reply ready_to_start_tls();
Reply auth_succeeded();
Reply auth_challenge(std::string_view base64);
Reply help();
// 4xx
Reply service_shutting_down(std::string_view hostname);
Reply timeout(std::string_view hostname);
Reply too_many_errors(std::string_view hostname);
Reply too_many_connections(std::string_view hostname);
Reply tls_not_available();
Reply cannot_store();  // 451 4.3.0: the message was accepted but could not be kept
// 5xx
Reply command_unrecognized();
Reply syntax_error(std::string_view detail);
Reply parameter_syntax_error(std::string_view detail);
Reply line_too_long();
Reply bad_sequence(std::string_view detail);
Reply command_not_implemented(std::string_view detail);
Reply parameter_not_implemented(std::string_view detail);
Reply user_unknown(std::string_view address);
Reply relay_denied(std::string_view address);
Reply too_many_recipients();
Reply message_too_big();
Reply message_too_big_for_size(std::size_t limit);
Reply no_valid_recipients();
Reply bare_lf_rejected();
Reply eight_bit_without_8bitmime();
Reply smtputf8_required();
Reply auth_required();
Reply starttls_required();
Reply auth_bad_credentials();
Reply auth_cancelled();
Reply auth_mechanism_unsupported();
Reply auth_encryption_required();
Reply auth_already_done();
Reply tls_already_active();
}  // namespace reply

}  // namespace maildog::smtp
