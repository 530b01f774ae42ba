// Every protocol limit and default the sandbox enforces, named, with its source.
// Scenario `server.limits` overrides the configurable ones; tests use tiny values.
#pragma once

#include <chrono>
#include <cstddef>

namespace maildog::limits {

// RFC 5321 4.5.3.1.4: a command line is at least 512 octets including CRLF; RFC 4954 4 raises it
// to 12288 for AUTH, and SMTPUTF8 addresses grow it further, so the server accepts more (as
// Postfix's line_length_limit does) and answers 500 5.5.2 beyond it.
inline constexpr std::size_t k_command_line_max = 12288;
// RFC 5321 4.5.3.1.6: a text line in DATA is at most 1000 octets including CRLF.
inline constexpr std::size_t k_text_line_max = 1000;
// RFC 5321 4.5.3.1.8: servers must accept at least 100 recipients.
inline constexpr std::size_t k_recipients_default = 100;
// Advertised with SIZE (RFC 1870); 25 MiB, as large providers use.
inline constexpr std::size_t k_message_size_default = 25 * 1024 * 1024;
// Postfix smtpd_hard_error_limit: a session with this many errors is ended with 421.
inline constexpr std::size_t k_errors_default = 20;
// RFC 5321 4.5.3.2.7: a server should wait at least 5 minutes for the next command.
inline constexpr std::chrono::milliseconds k_idle_timeout_default{std::chrono::minutes(5)};
// A whole session is never allowed to take longer than this.
inline constexpr std::chrono::milliseconds k_session_deadline_default{std::chrono::minutes(30)};
// Concurrent sessions per sandbox.
inline constexpr std::size_t k_connections_default = 2000;
// Postfix's stress adaptation (STRESS_README): above this share of the connection limit, sessions
// idle between commands wait at most k_stress_idle_timeout (Postfix: smtpd_timeout 10s under
// stress), and a new connection at the limit closes the longest-idle session (421 4.4.2, the
// timeout's reply) instead of being turned away, so idle sockets cannot lock out real clients.
inline constexpr std::size_t k_stress_percent = 80;
inline constexpr std::chrono::milliseconds k_stress_idle_timeout{std::chrono::seconds(10)};
// Commands one session may send (every line read between commands, SASL lines included); the
// next gets 421 4.7.0 and the session is closed. A test client rarely needs 1% of it; a runaway
// or hostile one cannot grow a session's record without end.
inline constexpr std::size_t k_session_commands_default = 100000;
// Transcript lines a session keeps: the first k_transcript_head_lines and the newest
// k_transcript_tail_lines, with one "N lines elided" event between them; the lines around each
// refusal (k_transcript_refusal_context either side) are always kept. Elision runs once the
// transcript is k_transcript_slack_lines over the cap, so its cost is spread over many lines.
inline constexpr std::size_t k_transcript_head_lines = 1000;
inline constexpr std::size_t k_transcript_tail_lines = 3000;
inline constexpr std::size_t k_transcript_slack_lines = 1000;
inline constexpr std::size_t k_transcript_refusal_context = 4;
// Bytes of one read from the socket.
inline constexpr std::size_t k_read_chunk = 64 * 1024;
// A SASL exchange line (RFC 4954 4: 12288 octets).
inline constexpr std::size_t k_sasl_line_max = 12288;

}  // namespace maildog::limits
