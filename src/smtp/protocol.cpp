#include "smtp/protocol.hpp"

#include <algorithm>

#include "core/ascii.hpp"
#include "core/name_table.hpp"
#include "smtp/transcript_cap.hpp"

namespace maildog::smtp {

namespace {

constexpr NameTable<State, 8> k_state_names{{
    {State::rejected, "rejected"},
    {State::connected, "connected"},
    {State::ready, "ready"},
    {State::mail, "mail"},
    {State::rcpt, "rcpt"},
    {State::data, "data"},
    {State::sasl, "sasl"},
    {State::closed, "closed"},
}};

}  // namespace

std::string_view to_string(State state) { return name_of(k_state_names, state); }

Protocol::Protocol(const ServerConfig& config, rules::EngineState& rules_state, capture::Capture& capture,
                   capture::SessionRecord& record, std::function<std::chrono::microseconds()> now,
                   std::function<std::uint64_t()> random)
    : m_config(config),
      m_rules_state(rules_state),
      m_capture(capture),
      m_record(record),
      m_now(std::move(now)),
      m_random(std::move(random)) {}

void Protocol::enter_state(State next) { m_state = next; }

void Protocol::note(std::string text) {
  m_record.transcript.push_back({capture::TranscriptEntry::Direction::event, std::move(text), m_now()});
}

void Protocol::abandon_transaction(std::string_view why) {
  if (m_transaction) {
    note("transaction abandoned: " + std::string(why));
    keep_transaction(std::move(m_transaction->record), why);
    m_transaction.reset();
  }
}

namespace {
bool any_negative_reply(const capture::TransactionRecord& record) {
  const auto negative = [](const std::optional<Reply>& reply) { return reply && reply->code >= 400; };
  return record.mail_reply.code >= 400 || negative(record.data_reply) || negative(record.final_reply) ||
         std::any_of(record.recipients.begin(), record.recipients.end(),
                     [](const capture::RecipientRecord& recipient) { return recipient.reply.code >= 400; });
}
}  // namespace

void Protocol::report_attempt(const capture::TransactionRecord* transaction, std::string_view ended) {
  if (m_config.on_attempt_refused) {
    RefusedAttempt attempt;
    attempt.transaction = transaction;
    attempt.refusals.assign(m_record.refusals.begin() + static_cast<std::ptrdiff_t>(std::min(m_attempt_first_refusal,
                                                                                             m_record.refusals.size())),
                            m_record.refusals.end());
    attempt.fault = m_attempt_fault;
    attempt.ended = std::string(ended);
    attempt.first_line = m_attempt_first_line;
    m_config.on_attempt_refused(m_record, attempt);
  }
  m_attempt_first_refusal = m_record.refusals.size();
  m_attempt_first_line = m_record.transcript.size();
  m_attempt_fault.clear();
}

Output Protocol::report_outside_transaction(Output output) {
  if (m_transaction || (m_record.refusals.size() <= m_attempt_first_refusal && m_attempt_fault.empty())) {
    return output;
  }
  const auto* last = m_record.refusals.size() > m_attempt_first_refusal ? &m_record.refusals.back() : nullptr;
  if (last != nullptr && last->command == "MAIL") {
    // A refused MAIL opened no transaction; its envelope is the reverse-path it named.
    capture::TransactionRecord refused_mail;
    refused_mail.mail_from = last->argument;
    refused_mail.mail_reply = last->reply;
    report_attempt(&refused_mail, {});
  } else {
    report_attempt(nullptr, {});
  }
  return output;
}

void Protocol::keep_transaction(capture::TransactionRecord record, std::string_view ended) {
  if (!record.delivered &&
      (any_negative_reply(record) || m_record.refusals.size() > m_attempt_first_refusal || !m_attempt_fault.empty())) {
    report_attempt(&record, ended);
  } else {
    m_attempt_first_refusal = m_record.refusals.size();  // a partial refusal belongs to its message
    m_attempt_first_line = m_record.transcript.size();
    m_attempt_fault.clear();
  }
  if (m_config.keep_transactions) {
    m_record.transactions.push_back(std::move(record));
  }
}

void Protocol::finish(std::string reason) {
  abandon_transaction(reason);
  if (m_record.close_reason.empty()) {
    m_record.close_reason = std::move(reason);
  }
  enter_state(State::closed);
}

// Each command is where the transcript is kept to its cap (transcript_cap.hpp): no index into
// it is held elsewhere at that point but the two moved here.
void Protocol::record_client(std::string_view line) {
  m_record.transcript.push_back({capture::TranscriptEntry::Direction::client, std::string(line), m_now()});
  if (auto moved = cap_transcript(m_record.transcript, TranscriptCap{}, m_refusal_lines)) {
    m_attempt_first_line = (*moved)(m_attempt_first_line);
    for (auto& line_index : m_refusal_lines) {
      line_index = (*moved)(line_index);
    }
  }
}

void Protocol::record_server(const Reply& reply) {
  std::string wire = reply.wire();
  std::size_t start = 0;
  while (start < wire.size()) {
    auto end = wire.find("\r\n", start);
    m_record.transcript.push_back(
        {capture::TranscriptEntry::Direction::server, wire.substr(start, end - start), m_now()});
    start = end + 2;
  }
}

Output Protocol::respond(Reply reply, Next next) {
  Output output;
  output.delay = std::exchange(m_pending_delay, std::nullopt);
  output.tarpit = std::exchange(m_pending_tarpit, std::nullopt);
  output.split = std::exchange(m_pending_split, false);
  output.drop_data = next == Next::read_data && std::exchange(m_pending_drop, false);
  record_server(reply);
  output.replies.push_back(std::move(reply));
  output.next = next;
  if (next == Next::close) {
    enter_state(State::closed);
  }
  return output;
}

// Postfix smtpd_hard_error_limit: a client that keeps erring is cut off with 421.
Output Protocol::protocol_error(Reply reply) {
  Output output = respond(std::move(reply));
  if (++m_errors >= m_config.limits.errors) {
    Reply bye = reply::too_many_errors(m_config.hostname);
    record_server(bye);
    output.replies.push_back(std::move(bye));
    output.next = Next::close;
    enter_state(State::closed);
  }
  return output;
}

Output Protocol::refuse(capture::RefusalRecord refusal, Next next) {
  if (auto reworded = m_config.replies.find(refusal.reason); reworded != m_config.replies.end()) {
    refusal.reply = fill_placeholders(reworded->second, {{"address", refusal.argument}});
  }
  if (refusal.recipients.empty() && m_transaction && (refusal.command == "DATA" || refusal.command == "END_OF_DATA")) {
    refusal.recipients = m_transaction->record.accepted_recipients();
  }
  m_refusal_lines.push_back(m_record.transcript.size());
  Output output = respond(refusal.reply, next);
  m_record.refusals.push_back(std::move(refusal));
  return output;
}

rules::Context Protocol::context(rules::Stage stage) const {
  rules::Context ctx;
  ctx.stage = stage;
  ctx.client_ip = m_record.client_address;
  ctx.helo = m_record.helo;
  ctx.auth_user = m_record.auth_user ? std::string_view(*m_record.auth_user) : std::string_view();
  if (m_transaction) {
    ctx.mail_from = m_transaction->record.mail_from;
  }
  return ctx;
}

std::optional<Output> Protocol::check_rules(rules::Context ctx) {
  const bool transaction_stage = ctx.stage == rules::Stage::mail || ctx.stage == rules::Stage::rcpt ||
                                 ctx.stage == rules::Stage::data || ctx.stage == rules::Stage::end_of_data;
  auto decision = transaction_stage && m_transaction_rules.rules != nullptr
                      ? rules::evaluate(*m_transaction_rules.rules, ctx, *m_transaction_rules.state)
                      : rules::evaluate(m_config.rules, ctx, m_rules_state);
  if (!decision) {
    return std::nullopt;
  }
  note("rule " + std::to_string(decision->rule_index + 1) + " matched at " + std::string(rules::to_string(ctx.stage)));
  // {address} names what the stage is about (rules::address_at); other braces stay as written,
  // as production reply texts contain them.
  std::optional<Reply> rule_reply;
  if (decision->reply) {
    rule_reply = fill_placeholders(*decision->reply, {{rules::k_address_placeholder, rules::address_at(ctx)}});
  }
  if (decision->fault) {
    switch (decision->fault->kind) {
      case rules::Fault::Kind::disconnect: {
        m_attempt_fault = "disconnect";
        note("fault: disconnect");
        enter_state(State::closed);
        Output output;
        output.next = Next::close;
        return output;
      }
      case rules::Fault::Kind::close_421: {
        m_attempt_fault = "close_421";
        Reply reply = rule_reply.value_or(make_reply(
            421, EnhancedCode{4, 3, 2}, m_config.hostname + " Service not available, closing transmission channel"));
        return respond(std::move(reply), Next::close);
      }
      case rules::Fault::Kind::delay:
        m_pending_delay = decision->fault->duration;
        break;
      case rules::Fault::Kind::tarpit:
        note("fault: tarpit over " + std::to_string(decision->fault->duration.count()) + " ms");
        m_pending_tarpit = decision->fault->duration;
        break;
      case rules::Fault::Kind::split:
        note("fault: reply split across two TCP segments");
        m_pending_split = true;
        break;
      case rules::Fault::Kind::drop:
        m_attempt_fault = "drop";
        note("fault: the connection will drop during the message");
        m_pending_drop = true;
        break;
      case rules::Fault::Kind::tls_failure:
        m_attempt_fault = "tls_failure";
        note("fault: no TLS handshake after 220");
        return respond(reply::ready_to_start_tls(), Next::close);
    }
  }
  if (rule_reply) {
    Next next = rule_reply->code == 421 ? Next::close : Next::read_command;
    if (rule_reply->positive() || rule_reply->code < 400) {
      return respond(*rule_reply, next);
    }
    std::string argument(ctx.stage == rules::Stage::rcpt   ? ctx.rcpt
                         : ctx.stage == rules::Stage::mail ? ctx.mail_from
                                                           : "");
    return refuse({.reason = "rule",
                   .command = ascii::upper(rules::to_string(ctx.stage)),
                   .argument = std::move(argument),
                   .recipients = {},
                   .reply = *rule_reply},
                  next);
  }
  return std::nullopt;
}

Output Protocol::greeting() {
  if (auto ruled = check_rules(context(rules::Stage::connect))) {
    ruled = report_outside_transaction(std::move(*ruled));
    if (ruled->next != Next::close && !ruled->replies.empty() && ruled->replies.front().code != 220) {
      // RFC 5321 3.1: after a 554 greeting the server waits for QUIT and refuses the rest.
      enter_state(State::rejected);
    }
    ruled->flush = true;
    return *ruled;
  }
  Output output = respond(ok_reply("greeting", reply::greeting(m_config.hostname)));
  output.flush = true;
  return output;
}

Output Protocol::on_line_too_long() {
  record_client("[line over " + std::to_string(m_config.limits.line_length) + " octets]");
  return protocol_error(reply::line_too_long());
}

Output Protocol::on_line(std::string_view line) { return report_outside_transaction(dispatch(line)); }

Output Protocol::dispatch(std::string_view line) {
  if (m_state == State::sasl) {
    return on_sasl_line(line);
  }
  if (++m_commands > limits::k_session_commands_default) {
    // A session's record cannot grow without end (issue 21): Postfix-like 421, then close. The
    // line itself is not recorded (it may be an AUTH with its payload).
    note("over the command limit of " + std::to_string(limits::k_session_commands_default) + " commands");
    Output output =
        respond(Reply{421, EnhancedCode{4, 7, 0}, {m_config.hostname + " Error: too many commands"}}, Next::close);
    m_record.close_reason = "too many commands";
    return output;
  }
  Command command = parse_command(line);
  if (command.verb == Verb::auth) {
    // OpenSMTPD style: the mechanism stays visible, the payload never reaches a record.
    auto space = command.argument.find(' ');
    record_client("AUTH " + command.argument.substr(0, space) + (space == std::string::npos ? "" : " ***"));
  } else {
    record_client(line);
  }
  const auto row = std::find_if(k_commands.begin(), k_commands.end(),
                                [&](const CommandRow& candidate) { return candidate.verb == command.verb; });
  const bool known = row != k_commands.end();
  // RFC 5321 3.1: after a 554 greeting only QUIT is accepted; this comes before any other check.
  if (m_state == State::rejected && (!known || (row->states & state_bit(State::rejected)) == 0)) {
    return protocol_error(reply::bad_sequence("connection rejected, only QUIT is accepted"));
  }
  if (!known) {
    return protocol_error(reply::command_unrecognized());
  }
  if (row->offered != nullptr && !(this->*row->offered)()) {
    return protocol_error(reply::command_not_implemented(row->name));
  }
  if ((row->states & state_bit(m_state)) == 0) {
    return protocol_error(reply::bad_sequence(row->out_of_state));
  }
  return (this->*row->handler)(command);
}

}  // namespace maildog::smtp
