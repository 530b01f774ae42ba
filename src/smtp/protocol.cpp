#include "smtp/protocol.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "core/ascii.hpp"
#include "core/name_table.hpp"
#include "rules/text_match.hpp"
#include "smtp/address.hpp"
#include "smtp/dsn.hpp"
#include "smtp/sasl.hpp"
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

// RFC 4954 4: "=" stands for an empty initial response.
std::optional<std::string> decode_initial_response(std::string_view text) {
  if (text == "=") {
    return std::string();
  }
  return sasl::base64_decode(text);
}

std::string_view domain_of(std::string_view address) {
  auto at = address.rfind('@');
  return at == std::string_view::npos ? std::string_view() : address.substr(at + 1);
}

bool is_postmaster(const Mailbox& mailbox) {
  return mailbox.domain.empty() && rules::TextMatch::exact("postmaster").matches(mailbox.local_part);
}

// Queue ids look like Postfix's (hex), so app log parsers see something familiar.
std::string queue_id(std::uint64_t random) {
  char buffer[17];
  std::snprintf(buffer, sizeof buffer, "%010llX", static_cast<unsigned long long>(random & 0xFFFFFFFFFFULL));
  return buffer;
}

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

void Protocol::enter_state(State next) {
  m_state = next;
}

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
    attempt.refusals.assign(m_record.refusals.begin() + static_cast<std::ptrdiff_t>(
                                                             std::min(m_attempt_first_refusal, m_record.refusals.size())),
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
        Reply reply = rule_reply.value_or(
            make_reply(421, EnhancedCode{4, 3, 2}, m_config.hostname + " Service not available, closing transmission channel"));
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
    std::string argument(ctx.stage == rules::Stage::rcpt ? ctx.rcpt : ctx.stage == rules::Stage::mail ? ctx.mail_from : "");
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
    Output output = respond(Reply{421, EnhancedCode{4, 7, 0}, {m_config.hostname + " Error: too many commands"}},
                            Next::close);
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
  if (m_state == State::rejected && command.verb != Verb::quit) {
    return protocol_error(reply::bad_sequence("connection rejected, only QUIT is accepted"));
  }
  switch (command.verb) {
    case Verb::ehlo:
      return on_ehlo(command, true);
    case Verb::helo:
      return on_ehlo(command, false);
    case Verb::mail:
      return on_mail(command);
    case Verb::rcpt:
      return on_rcpt(command);
    case Verb::data:
      return on_data(command);
    case Verb::rset:
      return on_rset(command);
    case Verb::noop:
      return respond(ok_reply("noop", reply::ok()));
    case Verb::quit: {
      Output output = respond(ok_reply("quit", reply::closing(m_config.hostname)), Next::close);
      m_record.close_reason = "quit";
      return output;
    }
    case Verb::vrfy:
      return on_vrfy(command);
    case Verb::help:
      return respond(reply::help());
    case Verb::starttls:
      return on_starttls(command);
    case Verb::auth:
      return on_auth(command);
    case Verb::bdat:
      return on_bdat(command);
    case Verb::expn:
      return protocol_error(reply::command_not_implemented(command.verb_text));
    case Verb::unknown:
      break;
  }
  return protocol_error(reply::command_unrecognized());
}

Reply Protocol::ok_reply(std::string_view key, Reply own) const {
  auto configured = m_config.ok_replies.find(std::string(key));
  return configured == m_config.ok_replies.end() ? own : configured->second;
}

std::vector<std::string> Protocol::ehlo_keywords() const {
  if (!m_config.ehlo_keywords.empty()) {
    // A recorded server's list, as it gave it; STARTTLS and AUTH only where the sandbox offers them.
    std::vector<std::string> keywords;
    const bool starttls = !m_tls && (m_config.tls == TlsMode::starttls || m_config.tls == TlsMode::required);
    for (const auto& keyword : m_config.ehlo_keywords) {
      const std::string upper = ascii::upper(keyword);
      if (upper == "STARTTLS" && !starttls) {
        continue;
      }
      if ((upper.starts_with("AUTH ") || upper.starts_with("AUTH=")) && !(auth_offered() && !m_authenticated)) {
        continue;
      }
      keywords.push_back(keyword);
    }
    return keywords;
  }
  std::vector<std::string> keywords{
      "PIPELINING",
      "SIZE " + std::to_string(m_config.limits.message_size),
      "8BITMIME",
      "SMTPUTF8",
      "ENHANCEDSTATUSCODES",
      "CHUNKING",
      "BINARYMIME",
      "DSN",
  };
  if (!m_tls && (m_config.tls == TlsMode::starttls || m_config.tls == TlsMode::required)) {
    keywords.emplace_back("STARTTLS");
  }
  if (auth_offered() && !m_authenticated) {
    std::string auth = "AUTH";
    for (auto mechanism : m_config.auth->mechanisms) {
      auth += ' ';
      auth += to_string(mechanism);
    }
    keywords.push_back(std::move(auth));
  }
  return keywords;
}

bool Protocol::plaintext_auth_allowed() const {
  return m_tls || m_config.tls == TlsMode::none || (m_config.auth && m_config.auth->allow_plaintext_without_tls);
}

// RFC 4954 4: AUTH is advertised once it can be used, i.e. after STARTTLS when TLS is on offer.
bool Protocol::auth_offered() const { return m_config.auth.has_value() && plaintext_auth_allowed(); }

Output Protocol::on_ehlo(const Command& command, bool extended) {
  if (command.argument.empty()) {
    return protocol_error(reply::syntax_error(extended ? "EHLO requires a domain or address" : "HELO requires a domain"));
  }
  abandon_transaction("new EHLO/HELO");
  m_record.helo = command.argument;
  m_record.esmtp = extended;
  if (auto ruled = check_rules(context(rules::Stage::helo))) {
    return *ruled;
  }
  enter_state(State::ready);
  Reply reply;
  reply.code = 250;
  if (auto hello = m_config.ok_replies.find("ehlo"); hello != m_config.ok_replies.end() && !hello->second.lines.empty()) {
    reply.lines.push_back(hello->second.lines.front());
  } else {
    reply.lines.push_back(m_config.hostname + " Hello " + command.argument + " [" + m_record.client_address + "]");
  }
  if (extended) {
    for (auto& keyword : ehlo_keywords()) {
      reply.lines.push_back(std::move(keyword));
    }
  }
  return respond(std::move(reply));
}

std::optional<Reply> Protocol::check_mail_parameters(Transaction& transaction,
                                                     const std::vector<EsmtpParameter>& parameters) {
  for (const auto& parameter : parameters) {
    if (parameter.keyword == "RET" || parameter.keyword == "ENVID") {
      if (auto problem = dsn_mail_parameter_problem(parameter)) {
        return reply::parameter_syntax_error(*problem);
      }
    } else if (parameter.keyword == "SIZE") {
      std::size_t size = 0;
      const std::string& value = parameter.value.value_or("");
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), size);
      if (value.empty() || ec != std::errc{} || end != value.data() + value.size()) {
        return reply::parameter_syntax_error("Bad SIZE parameter: " + value);
      }
      // RFC 1870 6.1: refuse early what would not fit.
      if (size > m_config.limits.message_size) {
        return reply::message_too_big_for_size(m_config.limits.message_size);
      }
    } else if (parameter.keyword == "BODY") {
      const std::string value = parameter.value.value_or("");
      if (rules::TextMatch::exact("8BITMIME").matches(value)) {
        transaction.eight_bit_mime = true;
      } else if (rules::TextMatch::exact("BINARYMIME").matches(value)) {
        // RFC 3030 3: binary content, which only BDAT can carry.
        transaction.eight_bit_mime = true;
        transaction.binary_mime = true;
      } else if (!rules::TextMatch::exact("7BIT").matches(value)) {
        return reply::parameter_syntax_error("Unsupported BODY type: " + value);
      }
    } else if (parameter.keyword == "SMTPUTF8") {
      if (parameter.value) {
        return reply::parameter_syntax_error("SMTPUTF8 takes no value");
      }
      transaction.smtputf8 = true;
    } else {
      return reply::parameter_not_implemented(parameter.keyword);
    }
  }
  return std::nullopt;
}

Output Protocol::on_mail(const Command& command) {
  if (m_state == State::connected) {
    return protocol_error(reply::bad_sequence("send HELO/EHLO first"));
  }
  if (m_transaction) {
    return protocol_error(reply::bad_sequence("nested MAIL command"));
  }
  if (m_config.tls == TlsMode::required && !m_tls) {
    return refuse({.reason = "tls_required", .command = "MAIL", .argument = {}, .recipients = {},
                   .reply = reply::starttls_required()});
  }
  if (m_config.auth && m_config.auth->required && !m_authenticated) {
    return refuse({.reason = "auth_required", .command = "MAIL", .argument = {}, .recipients = {},
                   .reply = reply::auth_required()});
  }
  if (command.malformed) {
    return protocol_error(reply::syntax_error("MAIL FROM:<address>"));
  }
  auto parsed = parse_reverse_path(command.argument);
  if (auto* error = std::get_if<SyntaxError>(&parsed)) {
    return protocol_error(make_reply(501, EnhancedCode{5, 1, 7}, "Bad sender address syntax: " + error->message));
  }
  auto& path = std::get<PathArgument>(parsed);
  Transaction transaction;
  if (auto refused = check_mail_parameters(transaction, path.parameters)) {
    if (refused->code == 552) {
      return refuse({.reason = "size", .command = "MAIL", .argument = path.address(), .recipients = {},
                     .reply = std::move(*refused)});
    }
    return protocol_error(*refused);
  }
  if (path.mailbox && path.mailbox->utf8 && !transaction.smtputf8) {
    return refuse({.reason = "smtputf8", .command = "MAIL", .argument = path.address(), .recipients = {},
                   .reply = reply::smtputf8_required()});
  }
  transaction.record.mail_from = path.address();
  transaction.record.mail_parameters = path.parameters_text;
  m_transaction = std::move(transaction);
  // One whole rule set for the transaction, however the rules change while it runs.
  m_transaction_rules = m_current_rules ? m_current_rules() : RulesInUse{};
  if (auto ruled = check_rules(context(rules::Stage::mail))) {
    if (!ruled->replies.empty() && !ruled->replies.front().positive()) {
      m_transaction.reset();
    } else if (!ruled->replies.empty()) {
      m_transaction->record.mail_reply = ruled->replies.front();
      enter_state(State::mail);
    }
    return *ruled;
  }
  Reply ok = ok_reply("mail", reply::ok_sender());
  m_transaction->record.mail_reply = ok;
  enter_state(State::mail);
  return respond(std::move(ok));
}

bool Protocol::is_local_domain(std::string_view domain) const {
  if (m_config.domains.empty()) {
    return true;
  }
  for (const auto& local : m_config.domains) {
    if (rules::glob_match(local, domain)) {
      return true;
    }
  }
  return false;
}

bool Protocol::is_known_mailbox(std::string_view address) const {
  if (m_config.mailboxes.empty()) {
    return true;
  }
  for (const auto& mailbox : m_config.mailboxes) {
    if (rules::glob_match(mailbox, address)) {
      return true;
    }
  }
  return false;
}

std::optional<Refusal> Protocol::check_sender_at_rcpt() {
  if (!m_config.sender_checks.at_rcpt) {
    return std::nullopt;
  }
  if (!m_transaction->sender_checked) {
    m_transaction->sender_checked = true;
    m_transaction->sender_refusal = m_config.sender_checks.at_rcpt(m_record.client_address, m_record.helo);
    if (m_transaction->sender_refusal) {
      note("checks at RCPT: " + m_transaction->sender_refusal->reply.summary());
    }
  }
  return m_transaction->sender_refusal;
}

std::optional<Refusal> Protocol::check_sender_at_end_of_data(capture::TransactionRecord& record) {
  if (!m_config.sender_checks.at_end_of_data) {
    return std::nullopt;
  }
  MessageView view;
  view.client_ip = m_record.client_address;
  view.helo = m_record.helo;
  view.mail_from = record.mail_from;
  view.message = *record.message;
  MessageVerdict verdict = m_config.sender_checks.at_end_of_data(view);
  std::string line = "checks:";
  if (!verdict.summary.empty()) {
    line += " " + verdict.summary;
  } else {
    for (const auto& [method, result] : verdict.results) {
      line += " " + method + "=" + result;
    }
  }
  note(std::move(line));
  record.authentication_results = std::move(verdict.authentication_results);
  record.auth_results = std::move(verdict.results);
  return std::move(verdict.refusal);
}

Output Protocol::on_rcpt(const Command& command) {
  if (!m_transaction) {
    return protocol_error(reply::bad_sequence("need MAIL command"));
  }
  if (command.malformed) {
    return protocol_error(reply::syntax_error("RCPT TO:<address>"));
  }
  auto parsed = parse_forward_path(command.argument);
  if (auto* error = std::get_if<SyntaxError>(&parsed)) {
    return protocol_error(make_reply(501, EnhancedCode{5, 1, 3}, "Bad recipient address syntax: " + error->message));
  }
  auto& path = std::get<PathArgument>(parsed);
  // DSN (RFC 3461) parameters are the only ones RCPT takes; duplicates fail in the parser.
  for (const auto& parameter : path.parameters) {
    if (parameter.keyword != "NOTIFY" && parameter.keyword != "ORCPT") {
      return protocol_error(reply::parameter_not_implemented(parameter.keyword));
    }
    if (auto problem = dsn_rcpt_parameter_problem(parameter)) {
      return protocol_error(reply::parameter_syntax_error(*problem));
    }
  }
  const Mailbox& mailbox = *path.mailbox;
  const std::string address = mailbox.address();
  if (mailbox.utf8 && !m_transaction->smtputf8) {
    return refuse({.reason = "smtputf8", .command = "RCPT", .argument = address, .recipients = {},
                   .reply = reply::smtputf8_required()});
  }
  // RFC 5321 4.5.3.1.8 limits the recipients a transaction delivers to; refused ones do not count.
  if (m_transaction->accepted >= m_config.limits.recipients) {
    return refuse({.reason = "too_many_recipients", .command = "RCPT", .argument = address, .recipients = {},
                   .reply = reply::too_many_recipients()});
  }
  capture::RecipientRecord recipient;
  recipient.address = address;
  recipient.parameters = path.parameters_text;
  recipient.attempt = m_capture.next_attempt(address);

  rules::Context ctx = context(rules::Stage::rcpt);
  ctx.rcpt = address;
  ctx.attempt = recipient.attempt;
  Output output;
  if (auto ruled = check_rules(ctx)) {
    output = std::move(*ruled);
  } else if (auto refused = check_sender_at_rcpt()) {
    output = refuse({.reason = refused->reason, .command = "RCPT", .argument = address, .recipients = {},
                     .reply = refused->reply});
  } else if (is_postmaster(mailbox)) {
    output = respond(ok_reply("rcpt", reply::ok_recipient()));
  } else if (!is_local_domain(domain_of(address))) {
    output = m_authenticated ? respond(reply::ok_recipient("Recipient ok (relay captured, never delivered)"))
                             : refuse({.reason = "relay", .command = "RCPT", .argument = address, .recipients = {},
                                       .reply = reply::relay_denied(address)});
  } else if (!is_known_mailbox(address)) {
    output = refuse({.reason = "unknown_user", .command = "RCPT", .argument = address, .recipients = {},
                     .reply = reply::user_unknown(address)});
  } else {
    output = respond(ok_reply("rcpt", reply::ok_recipient()));
  }
  if (!output.replies.empty()) {
    recipient.reply = output.replies.front();
    if (recipient.reply.positive()) {
      ++m_transaction->accepted;
      enter_state(State::rcpt);
    }
  }
  m_transaction->record.recipients.push_back(std::move(recipient));
  return output;
}

Output Protocol::on_data(const Command& command) {
  if (!command.argument.empty()) {
    return protocol_error(reply::syntax_error("DATA takes no argument"));
  }
  if (!m_transaction) {
    return protocol_error(reply::bad_sequence("need MAIL command"));
  }
  if (m_transaction->binary_mime) {
    return protocol_error(reply::bad_sequence("BODY=BINARYMIME needs BDAT, not DATA"));
  }
  if (m_transaction->chunks) {
    return protocol_error(reply::bad_sequence("DATA after BDAT in one transaction"));
  }
  if (m_transaction->accepted == 0) {
    // RFC 2920 3.1: with pipelining, DATA after only refused recipients is answered 554.
    return respond(reply::no_valid_recipients());
  }
  rules::Context ctx = context(rules::Stage::data);
  // At DATA a rule's attempt is the latest attempt among the accepted recipients, so a fault
  // can hit only the first try of a message.
  for (const auto& recipient : m_transaction->record.recipients) {
    if (recipient.reply.positive()) {
      ctx.attempt = std::max(ctx.attempt, recipient.attempt);
    }
  }
  if (auto ruled = check_rules(ctx)) {
    if (!ruled->replies.empty()) {
      m_transaction->record.data_reply = ruled->replies.front();
      if (ruled->replies.front().code == 354 && ruled->next == Next::read_command) {
        ruled->next = Next::read_data;
        ruled->flush = true;
        enter_state(State::data);
      }
    }
    return *ruled;
  }
  Reply go_ahead = ok_reply("data", reply::start_mail_input());
  m_transaction->record.data_reply = go_ahead;
  enter_state(State::data);
  Output output = respond(std::move(go_ahead), Next::read_data);
  output.flush = true;
  return output;
}

Output Protocol::on_message(DataDecoder& decoder) {
  Transaction transaction = std::move(*m_transaction);
  m_transaction.reset();
  ReceivedMessage message;
  message.size = decoder.size();
  message.lines = decoder.line_count();
  message.too_big = decoder.too_big();
  message.bare_lf = decoder.bare_lf();
  message.eight_bit = decoder.eight_bit();
  transaction.record.smuggling_line = decoder.smuggling_line();
  if (!decoder.too_big()) {
    message.bytes = decoder.take_message();
  }
  return complete_message(std::move(transaction), std::move(message));
}

Output Protocol::on_bdat(const Command& command) {
  // RFC 3030 2: bdat-cmd = "BDAT" SP chunk-size [ SP end-marker ]; chunk-size = 1*DIGIT.
  const std::string& argument = command.argument;
  const std::size_t space = argument.find(' ');
  const std::string_view size_text = std::string_view(argument).substr(0, space);
  const std::string_view marker = space == std::string::npos ? std::string_view() : std::string_view(argument).substr(space + 1);
  std::uint64_t size = 0;
  auto [end, ec] = std::from_chars(size_text.data(), size_text.data() + size_text.size(), size);
  if (size_text.empty() || ec != std::errc{} || end != size_text.data() + size_text.size() ||
      (!marker.empty() && !ascii::iequals(marker, "LAST"))) {
    // Without a size the chunk cannot be skipped: its octets will read as (bad) commands.
    return protocol_error(reply::syntax_error("BDAT chunk-size [LAST]"));
  }
  m_pending_chunk = PendingChunk{size, !marker.empty()};
  if (m_transaction && m_transaction->accepted > 0 && !m_transaction->chunks) {
    m_transaction->chunks = ChunkedMessage{};  // not emplace(): clang 14 rejects it (NSDMI of a nested class)
    m_transaction->chunks->message.via_bdat = true;
    enter_state(State::data);
  }
  Output output;
  output.next = Next::read_chunk;
  output.chunk_size = size;
  return output;
}

void Protocol::on_chunk_data(std::string_view piece) {
  if (!m_transaction || !m_transaction->chunks || m_transaction->chunks->failed) {
    return;
  }
  ChunkedMessage& chunks = *m_transaction->chunks;
  ReceivedMessage& message = chunks.message;
  for (char c : piece) {
    if (c == '\n') {
      ++message.lines;
      message.bare_lf = message.bare_lf || chunks.previous != '\r';
    } else if (static_cast<unsigned char>(c) >= 0x80) {
      message.eight_bit = true;
    }
    chunks.previous = c;
  }
  message.size += piece.size();
  if (message.size > m_config.limits.message_size) {
    message.too_big = true;
    message.bytes.clear();
    message.bytes.shrink_to_fit();
  } else {
    message.bytes.append(piece);
  }
}

Output Protocol::on_chunk_end() {
  const PendingChunk chunk = m_pending_chunk.value_or(PendingChunk{});
  m_pending_chunk.reset();
  note("chunk: " + std::to_string(chunk.size) + " octets" + (chunk.last ? ", last" : ""));
  if (!m_transaction) {
    return protocol_error(reply::bad_sequence("need MAIL command"));
  }
  if (m_transaction->accepted == 0) {
    return respond(reply::no_valid_recipients());
  }
  ChunkedMessage& chunks = *m_transaction->chunks;
  if (chunks.failed) {
    // RFC 3030 2: chunks pipelined after a refused one are read and discarded.
    return respond(reply::bad_sequence("an earlier chunk of this message was refused; send RSET"));
  }
  if (chunks.message.too_big) {
    chunks.failed = true;
    Output output = refuse({.reason = "size", .command = "BDAT", .argument = {}, .recipients = {},
                            .reply = reply::message_too_big()});
    m_transaction->record.final_reply = m_record.refusals.back().reply;
    return output;
  }
  if (!chunk.last) {
    return respond(make_reply(250, EnhancedCode{2, 0, 0}, std::to_string(chunk.size) + " octets received"));
  }
  Transaction transaction = std::move(*m_transaction);
  m_transaction.reset();
  ReceivedMessage message = std::move(transaction.chunks->message);
  return complete_message(std::move(transaction), std::move(message));
}

Output Protocol::complete_message(Transaction transaction, ReceivedMessage message) {
  enter_state(State::ready);
  auto& record = transaction.record;
  record.bare_lf = message.bare_lf;
  record.eight_bit = message.eight_bit;
  note("message: " + std::to_string(message.size) + " octets, " + std::to_string(message.lines) + " lines" +
       (message.via_bdat ? ", BDAT" : "") + (message.bare_lf ? ", bare LF" : "") + (message.eight_bit ? ", 8-bit" : ""));

  // The bytes are kept even when the message is refused: a test may want to see what was sent.
  if (!message.too_big) {
    record.message = std::make_shared<const std::string>(std::move(message.bytes));
  }
  const std::size_t refusals_before = m_record.refusals.size();
  auto refuse_message = [&](std::string_view reason, Reply reply) {
    return refuse({.reason = std::string(reason), .command = "END_OF_DATA", .argument = {},
                   .recipients = record.accepted_recipients(), .reply = std::move(reply)});
  };
  std::optional<Output> verdict;
  if (message.too_big) {
    verdict = refuse_message("size", reply::message_too_big());
  } else if (message.bare_lf && !message.via_bdat && m_config.limits.reject_bare_lf) {
    // Bare LF is refused in DATA because it can fake the end of data (SMTP smuggling); a BDAT
    // chunk has no terminator to fake, and BINARYMIME content may hold any octet.
    verdict = refuse_message("bare_lf", reply::bare_lf_rejected());
  } else if (auto refused = check_sender_at_end_of_data(record)) {
    verdict = refuse_message(refused->reason, std::move(refused->reply));
  } else {
    auto headers = rules::parse_headers(*record.message);
    rules::Context ctx = context(rules::Stage::end_of_data);
    ctx.mail_from = record.mail_from;
    ctx.headers = &headers;
    verdict = check_rules(ctx);
    // The transaction has left m_transaction by now, so a rule's refusal learns its recipients here.
    if (m_record.refusals.size() > refusals_before && m_record.refusals.back().recipients.empty()) {
      m_record.refusals.back().recipients = record.accepted_recipients();
    }
    if (!verdict) {
      std::function<void(Acceptance::Verdict)> when_kept;
      verdict = respond(accept_message(record, when_kept));
      verdict->when_kept = std::move(when_kept);
    }
  }
  if (!verdict->replies.empty()) {
    record.final_reply = verdict->replies.front();
    record.delivered = record.final_reply->positive();
  }
  keep_transaction(std::move(record));
  // Moved: its when_kept may hold a whole copy of the message (serve's store write).
  return std::move(*verdict);
}

Reply Protocol::accept_message(capture::TransactionRecord& record, std::function<void(Acceptance::Verdict)>& when_kept) {
  const std::string id = queue_id(m_random());
  Reply queued = m_config.ok_replies.contains("queued")
                     ? fill_placeholders(m_config.ok_replies.at("queued"), {{"queue_id", id}})
                     : reply::queued(id);
  if (!m_config.on_accepted) {
    return queued;
  }
  record.final_reply = queued;
  record.delivered = true;
  Acceptance acceptance = m_config.on_accepted(m_record, record);
  if (acceptance.refusal) {
    note("message not kept: " + acceptance.refusal->text());
    return *acceptance.refusal;
  }
  when_kept = std::move(acceptance.when_kept);
  return queued;
}

Output Protocol::message_not_kept(Output output, Reply refusal) {
  // respond() recorded the 250 that now never goes out: the refusal takes its place.
  auto& transcript = m_record.transcript;
  const std::string sent = output.replies.front().wire();
  const auto lines = static_cast<std::size_t>(std::count(sent.begin(), sent.end(), '\n'));
  transcript.resize(transcript.size() - std::min(lines, transcript.size()));
  note("message not kept: " + refusal.text());
  m_refusal_lines.push_back(m_record.transcript.size());
  record_server(refusal);
  if (m_config.keep_transactions) {
    auto& transaction = m_record.transactions.back();
    transaction.final_reply = refusal;
    transaction.delivered = false;
  }
  output.replies = {std::move(refusal)};
  output.when_kept = nullptr;
  return output;
}

Output Protocol::on_rset(const Command& command) {
  if (!command.argument.empty()) {
    return protocol_error(reply::syntax_error("RSET takes no argument"));
  }
  abandon_transaction("RSET");
  if (m_state == State::mail || m_state == State::rcpt) {
    enter_state(State::ready);
  }
  return respond(ok_reply("rset", reply::ok()));
}

Output Protocol::on_vrfy(const Command& command) {
  if (command.argument.empty()) {
    return protocol_error(reply::syntax_error("VRFY requires an address"));
  }
  // RFC 5321 3.5.3: 252 when the server will not verify but will accept mail.
  return respond(reply::cannot_verify());
}

Output Protocol::on_starttls(const Command& command) {
  if (m_config.tls == TlsMode::none || m_config.tls == TlsMode::implicit) {
    return protocol_error(reply::command_not_implemented("STARTTLS"));
  }
  if (m_tls) {
    return protocol_error(reply::tls_already_active());
  }
  if (!command.argument.empty()) {
    return protocol_error(reply::syntax_error("STARTTLS takes no argument"));
  }
  if (auto ruled = check_rules(context(rules::Stage::starttls))) {
    ruled->flush = true;
    return *ruled;
  }
  Output output = respond(ok_reply("starttls", reply::ready_to_start_tls()), Next::start_tls);
  output.flush = true;
  return output;
}

void Protocol::on_tls_established(std::string version, std::string cipher) {
  m_tls = true;
  m_record.tls = true;
  m_record.tls_version = std::move(version);
  m_record.tls_cipher = std::move(cipher);
  note("TLS established: " + m_record.tls_version + " " + m_record.tls_cipher);
  // RFC 3207 4.2: the client must discard knowledge from before TLS and say EHLO again.
  if (m_state != State::rejected) {
    abandon_transaction("STARTTLS");
    m_record.helo.clear();
    enter_state(State::connected);
  }
}

Output Protocol::on_auth(const Command& command) {
  if (!m_config.auth) {
    return protocol_error(reply::command_not_implemented("AUTH"));
  }
  if (m_state == State::connected) {
    return protocol_error(reply::bad_sequence("send EHLO first"));
  }
  if (m_authenticated) {
    return protocol_error(reply::auth_already_done());
  }
  if (m_transaction) {
    // RFC 4954 4: AUTH is not permitted during a mail transaction.
    return protocol_error(reply::bad_sequence("AUTH not allowed during a mail transaction"));
  }
  auto space = command.argument.find(' ');
  std::string name = command.argument.substr(0, space);
  for (auto& c : name) {
    c = static_cast<char>((c >= 'a' && c <= 'z') ? c - 'a' + 'A' : c);
  }
  std::optional<std::string> initial;
  if (space != std::string::npos) {
    initial = command.argument.substr(space + 1);
  }
  auto mechanism = parse_auth_mechanism(name);
  bool enabled = false;
  for (auto offered : m_config.auth->mechanisms) {
    enabled = enabled || (mechanism && offered == *mechanism);
  }
  if (!mechanism || !enabled) {
    return protocol_error(reply::auth_mechanism_unsupported());
  }
  if (!plaintext_auth_allowed()) {
    return respond(reply::auth_encryption_required());
  }
  if (auto ruled = check_rules(context(rules::Stage::auth))) {
    return *ruled;
  }
  m_sasl_mechanism = *mechanism;
  switch (*mechanism) {
    case AuthMechanism::plain:
      if (initial) {
        auto decoded = decode_initial_response(*initial);
        if (!decoded) {
          return protocol_error(make_reply(501, EnhancedCode{5, 5, 2}, "Invalid base64 data"));
        }
        auto credentials = sasl::parse_plain(*decoded);
        if (!credentials) {
          return finish_sasl("", false);
        }
        auto users = m_config.auth->users.find(credentials->user);
        bool ok = users != m_config.auth->users.end() && users->second == credentials->password;
        return finish_sasl(credentials->user, ok);
      }
      m_sasl_step = SaslStep::plain_response;
      enter_state(State::sasl);
      return respond(reply::auth_challenge(""));
    case AuthMechanism::login:
      if (initial) {
        auto decoded = decode_initial_response(*initial);
        if (!decoded) {
          return protocol_error(make_reply(501, EnhancedCode{5, 5, 2}, "Invalid base64 data"));
        }
        m_sasl_user = *decoded;
        m_sasl_step = SaslStep::login_password;
        enter_state(State::sasl);
        return respond(ok_reply("auth_password", reply::auth_challenge(sasl::base64_encode("Password:"))));
      }
      m_sasl_step = SaslStep::login_user;
      enter_state(State::sasl);
      return respond(ok_reply("auth_username", reply::auth_challenge(sasl::base64_encode("Username:"))));
    case AuthMechanism::cram_md5:
      if (initial) {
        return protocol_error(make_reply(501, EnhancedCode{5, 5, 4}, "CRAM-MD5 takes no initial response"));
      }
      m_sasl_challenge = sasl::cram_md5_challenge(
          m_config.hostname, m_random(), static_cast<std::uint64_t>(m_now().count()));
      m_sasl_step = SaslStep::cram_response;
      enter_state(State::sasl);
      return respond(reply::auth_challenge(sasl::base64_encode(m_sasl_challenge)));
  }
  return protocol_error(reply::auth_mechanism_unsupported());
}

Output Protocol::on_sasl_line(std::string_view line) {
  record_client("***");
  if (line == "*") {
    m_sasl_step = SaslStep::none;
    enter_state(State::ready);
    return protocol_error(reply::auth_cancelled());
  }
  auto decoded = sasl::base64_decode(line);
  if (!decoded) {
    m_sasl_step = SaslStep::none;
    enter_state(State::ready);
    return protocol_error(make_reply(501, EnhancedCode{5, 5, 2}, "Invalid base64 data"));
  }
  const auto& users = m_config.auth->users;
  switch (m_sasl_step) {
    case SaslStep::plain_response: {
      auto credentials = sasl::parse_plain(*decoded);
      if (!credentials) {
        return finish_sasl("", false);
      }
      auto found = users.find(credentials->user);
      return finish_sasl(credentials->user, found != users.end() && found->second == credentials->password);
    }
    case SaslStep::login_user:
      m_sasl_user = *decoded;
      m_sasl_step = SaslStep::login_password;
      return respond(ok_reply("auth_password", reply::auth_challenge(sasl::base64_encode("Password:"))));
    case SaslStep::login_password: {
      auto found = users.find(m_sasl_user);
      return finish_sasl(m_sasl_user, found != users.end() && found->second == *decoded);
    }
    case SaslStep::cram_response: {
      auto response = sasl::parse_cram_md5_response(*decoded);
      if (!response) {
        return finish_sasl("", false);
      }
      auto found = users.find(response->user);
      bool ok = found != users.end() && sasl::hmac_md5_hex(found->second, m_sasl_challenge) == response->digest_hex;
      return finish_sasl(response->user, ok);
    }
    case SaslStep::none:
      break;
  }
  return finish_sasl("", false);
}

Output Protocol::finish_sasl(std::string user, bool success) {
  m_sasl_step = SaslStep::none;
  m_sasl_user.clear();
  enter_state(State::ready);
  if (success) {
    m_authenticated = true;
    m_record.auth_user = user;
    m_record.auth_mechanism = std::string(to_string(m_sasl_mechanism));
    note("authenticated as " + user + " with " + m_record.auth_mechanism);
    return respond(ok_reply("auth", reply::auth_succeeded()));
  }
  note("authentication failed" + (user.empty() ? std::string() : " for " + user));
  // Failed logins count towards the session's error limit, as in Postfix. Not a refusal of
  // mail (expect.rejected never sees it), but an attempt refused before any transaction.
  Output output = protocol_error(reply::auth_bad_credentials());
  if (m_config.on_attempt_refused && !m_transaction) {
    capture::RefusalRecord refusal{.reason = "authentication", .command = "AUTH", .argument = user, .recipients = {},
                                   .reply = output.replies.front()};
    RefusedAttempt attempt{.transaction = nullptr, .refusals = {std::move(refusal)}, .fault = {}, .ended = {},
                           .first_line = m_attempt_first_line};
    m_config.on_attempt_refused(m_record, attempt);
    m_attempt_first_line = m_record.transcript.size();
  }
  return output;
}

}  // namespace maildog::smtp
