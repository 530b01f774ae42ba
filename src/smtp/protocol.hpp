// The SMTP server dialogue as a pure state machine (no sockets, no clocks of its own): lines
// in, replies and the next I/O step out. The session (smtp/session.hpp) only moves bytes.
// Policy comes from the configuration and the rules engine; everything is recorded into the
// session's capture record, with AUTH payloads masked.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "capture/capture.hpp"
#include "capture/records.hpp"
#include "reply/reply.hpp"
#include "rules/engine.hpp"
#include "smtp/address.hpp"
#include "smtp/command.hpp"
#include "smtp/data_decoder.hpp"
#include "smtp/server_config.hpp"

namespace maildog::smtp {

enum class State {
  rejected,   // greeting was not 220: only QUIT is accepted
  connected,  // greeting sent, no EHLO/HELO yet
  ready,      // after EHLO/HELO, no transaction
  mail,       // MAIL accepted
  rcpt,       // at least one RCPT accepted
  data,       // reading the message
  sasl,       // inside an AUTH exchange
  closed,
};
std::string_view to_string(State state);

// What the session does after writing `replies`.
// read_chunk: the next `chunk_size` octets are a BDAT chunk (RFC 3030): hand them to
// on_chunk_data, then call on_chunk_end.
enum class Next { read_command, read_data, read_chunk, start_tls, close };

struct Output {
  std::optional<std::chrono::milliseconds> delay;  // wait before writing (a rule's fault)
  std::vector<Reply> replies;
  Next next = Next::read_command;
  bool flush = false;            // write now even if more pipelined input is buffered
  std::uint64_t chunk_size = 0;  // Next::read_chunk
  // Faults that shape how the replies go out (rules::Fault).
  std::optional<std::chrono::milliseconds> tarpit;  // spread the replies' bytes over this long
  bool split = false;                               // the replies in two TCP segments, a pause apart
  bool drop_data = false;                           // Next::read_data: close once message bytes arrive, with no reply
  // Acceptance::when_kept of the message this Output answers: wait for its verdict before the
  // replies go out; a refusal goes through Protocol::message_not_kept.
  std::function<void(Acceptance::Verdict)> when_kept;
};

// One installed rule set as the protocol asks it; `owner` keeps the rules and state alive.
struct RulesInUse {
  const std::vector<rules::Rule>* rules = nullptr;
  rules::EngineState* state = nullptr;
  std::shared_ptr<const void> owner;
};

struct Peer {
  std::string address;
  std::uint16_t port = 0;
};

class Protocol {
 public:
  // `now` gives the time since the session started, for transcript offsets.
  // `random` feeds CRAM-MD5 challenges and queue ids.
  Protocol(const ServerConfig& config, rules::EngineState& rules_state, capture::Capture& capture,
           capture::SessionRecord& record, std::function<std::chrono::microseconds()> now,
           std::function<std::uint64_t()> random);

  // Each MAIL FROM takes the rule set `current` gives for its transaction's stages (mail, rcpt,
  // data, end of data), so rules replaced while the session is open reach its next message;
  // connect, HELO, STARTTLS and AUTH keep the constructor's. Without it, every stage does.
  void follow_rules(std::function<RulesInUse()> current) { m_current_rules = std::move(current); }

  Output greeting();
  Output on_line(std::string_view line);  // a complete line without CRLF
  Output on_line_too_long();
  // The DATA decoder finished (decoder.done()).
  Output on_message(DataDecoder& decoder);
  // A BDAT chunk's octets, in as many pieces as the socket delivers, then its end.
  void on_chunk_data(std::string_view piece);
  Output on_chunk_end();
  // The when_kept of `output` (from on_message or on_chunk_end) refused the message: the
  // refusal replaces the 250 on the wire, in the transcript and in the transaction's record.
  Output message_not_kept(Output output, Reply refusal);
  // The session completed the TLS handshake (STARTTLS or implicit).
  void on_tls_established(std::string version, std::string cipher);
  // Recorded in the transcript as an event line ("timeout", "client closed", ...).
  void note(std::string text);
  // The connection is over: an unfinished transaction is still recorded (not delivered), so
  // its envelope counts for retry and delivery expectations.
  void finish(std::string reason);
  // Replies the server sends on its own when it ends a session.
  Reply shutdown_reply() const { return reply::service_shutting_down(m_config.hostname); }
  Reply timeout_reply() const { return reply::timeout(m_config.hostname); }
  void record_reply(const Reply& reply) { record_server(reply); }

  State state() const { return m_state; }
  std::size_t message_size_limit() const { return m_config.limits.message_size; }

 private:
  // A message as the DATA decoder or the BDAT chunks delivered it.
  struct ReceivedMessage {
    std::string bytes;  // empty when too big
    std::uint64_t size = 0;
    std::size_t lines = 0;
    bool too_big = false;
    bool bare_lf = false;
    bool eight_bit = false;
    bool via_bdat = false;
  };
  // What the BDAT chunks of one transaction have delivered so far.
  struct ChunkedMessage {
    ReceivedMessage message;
    bool failed = false;  // a chunk was refused: the rest is discarded (RFC 3030 2)
    char previous = '\0';
  };
  struct PendingChunk {
    std::uint64_t size = 0;
    bool last = false;
  };
  struct Transaction {
    capture::TransactionRecord record;
    bool eight_bit_mime = false;
    bool binary_mime = false;
    bool smtputf8 = false;
    std::optional<ChunkedMessage> chunks;  // set by the first BDAT
    std::size_t accepted = 0;
    bool sender_checked = false;            // SenderChecks::at_rcpt was asked
    std::optional<Refusal> sender_refusal;  // and refused the transaction with this
  };
  enum class SaslStep { none, plain_response, login_user, login_password, cram_response };

  const ServerConfig& m_config;
  rules::EngineState& m_rules_state;
  capture::Capture& m_capture;
  capture::SessionRecord& m_record;
  std::function<std::chrono::microseconds()> m_now;
  std::function<std::uint64_t()> m_random;
  std::function<RulesInUse()> m_current_rules;  // follow_rules()
  RulesInUse m_transaction_rules;               // taken at MAIL FROM; unset: the constructor's

  State m_state = State::connected;
  bool m_tls = false;
  bool m_authenticated = false;
  std::size_t m_errors = 0;
  std::size_t m_commands = 0;                // lines dispatched: limits::k_session_commands_default
  std::vector<std::size_t> m_refusal_lines;  // transcript index of each refusal's reply (kept when elided)
  std::optional<Transaction> m_transaction;
  std::optional<PendingChunk> m_pending_chunk;  // between on_bdat and on_chunk_end
  SaslStep m_sasl_step = SaslStep::none;
  AuthMechanism m_sasl_mechanism = AuthMechanism::plain;
  std::string m_sasl_user;
  std::string m_sasl_challenge;
  std::optional<std::chrono::milliseconds> m_pending_delay;
  std::optional<std::chrono::milliseconds> m_pending_tarpit;
  bool m_pending_split = false;
  bool m_pending_drop = false;
  // The attempt under way, for ServerConfig::on_attempt_refused: its refusals start at this
  // index of m_record.refusals, and the fault a rule applied to it.
  std::size_t m_attempt_first_refusal = 0;
  std::size_t m_attempt_first_line = 0;  // in m_record.transcript
  std::string m_attempt_fault;

  void enter_state(State next);
  // Records an open transaction as not delivered (its envelope still counts) and closes it.
  void abandon_transaction(std::string_view why);
  // Into the record, unless !keep_transactions; a refused one is reported (report_attempt).
  void keep_transaction(capture::TransactionRecord record, std::string_view ended = {});
  // Hands the attempt under way to ServerConfig::on_attempt_refused and starts the next one.
  void report_attempt(const capture::TransactionRecord* transaction, std::string_view ended);
  // A refusal or fault outside any transaction (connect, HELO, MAIL, STARTTLS, AUTH) is an
  // attempt of its own, reported once the command is answered.
  Output report_outside_transaction(Output output);
  Output dispatch(std::string_view line);
  void record_client(std::string_view line);
  void record_server(const Reply& reply);
  Output respond(Reply reply, Next next = Next::read_command);
  Output protocol_error(Reply reply);
  // A negative reply for a reason a scenario can name: recorded in SessionRecord::refusals.
  Output refuse(capture::RefusalRecord refusal, Next next = Next::read_command);
  // Applies the rules at `stage`; a reply or a fault comes back as a finished Output.
  std::optional<Output> check_rules(rules::Context context);
  rules::Context context(rules::Stage stage) const;

  // One row of the command table (OpenSMTPD's commands[] with state masks, Postfix smtpd's
  // cmd_table): dispatch() looks the verb up and checks, in this order, that the server offers
  // the command at all (else 502 naming it) and that the state allows it (else 503 with
  // `out_of_state`), before the handler checks its arguments and the transaction.
  struct CommandRow {
    Verb verb;
    std::string_view name;              // as 502 names it
    unsigned states;                    // state_bit() of each State it is accepted in
    std::string_view out_of_state;      // the 503's detail in any other state
    bool (Protocol::*offered)() const;  // null: always offered
    Output (Protocol::*handler)(const Command&);
  };
  static const std::array<CommandRow, 14> k_commands;
  static constexpr unsigned state_bit(State state) { return 1U << static_cast<unsigned>(state); }

  Output on_ehlo(const Command& command) { return on_hello(command, true); }
  Output on_helo(const Command& command) { return on_hello(command, false); }
  Output on_hello(const Command& command, bool extended);
  Output on_noop(const Command& command);
  Output on_quit(const Command& command);
  Output on_help(const Command& command);
  Output on_mail(const Command& command);
  Output on_rcpt(const Command& command);
  Output on_data(const Command& command);
  Output on_rset(const Command& command);
  Output on_vrfy(const Command& command);
  Output on_starttls(const Command& command);
  Output on_auth(const Command& command);
  Output on_sasl_line(std::string_view line);
  Output finish_sasl(std::string user, bool success);  // by value: callers pass m_sasl_user, which it clears

  std::vector<std::string> ehlo_keywords() const;
  // The configured ok_replies[key] (server.ok_replies), or the sandbox's own wording.
  Reply ok_reply(std::string_view key, Reply own) const;
  bool auth_offered() const;
  bool auth_configured() const { return m_config.auth.has_value(); }
  bool starttls_offered() const;
  bool expn_offered() const { return false; }  // RFC 5321 3.5.2: a server need not expand lists; this one never does
  bool plaintext_auth_allowed() const;
  bool is_local_domain(std::string_view domain) const;
  bool is_known_mailbox(std::string_view address) const;
  // SenderChecks::at_rcpt, asked once per transaction; its refusal holds for every RCPT.
  std::optional<Refusal> check_sender_at_rcpt();
  // SenderChecks::at_end_of_data: records the results on `record`; a reply refuses the message.
  std::optional<Refusal> check_sender_at_end_of_data(capture::TransactionRecord& record);
  Output on_bdat(const Command& command);
  // The final verdict on a whole message, however it arrived.
  Output complete_message(Transaction transaction, ReceivedMessage message);
  // The 250 for a message every check accepted, unless ServerConfig::on_accepted refuses it;
  // takes on_accepted's when_kept, if it set one.
  Reply accept_message(capture::TransactionRecord& record, std::function<void(Acceptance::Verdict)>& when_kept);
  std::optional<Reply> check_mail_parameters(Transaction& transaction, const std::vector<EsmtpParameter>& parameters);
};

}  // namespace maildog::smtp
