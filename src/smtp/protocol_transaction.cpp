// The transaction commands of Protocol: MAIL, RCPT, DATA and BDAT, and the verdict on a whole
// message however it arrived (the rules, the sender checks, ServerConfig::on_accepted).
#include <algorithm>
#include <charconv>
#include <cstdio>

#include "core/ascii.hpp"
#include "rules/text_match.hpp"
#include "smtp/address.hpp"
#include "smtp/dsn.hpp"
#include "smtp/protocol.hpp"

namespace maildog::smtp {

namespace {

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
  if (m_transaction) {
    return protocol_error(reply::bad_sequence("nested MAIL command"));
  }
  if (m_config.tls == TlsMode::required && !m_tls) {
    return refuse({.reason = "tls_required",
                   .command = "MAIL",
                   .argument = {},
                   .recipients = {},
                   .reply = reply::starttls_required()});
  }
  if (m_config.auth && m_config.auth->required && !m_authenticated) {
    return refuse({.reason = "auth_required",
                   .command = "MAIL",
                   .argument = {},
                   .recipients = {},
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
      return refuse({.reason = "size",
                     .command = "MAIL",
                     .argument = path.address(),
                     .recipients = {},
                     .reply = std::move(*refused)});
    }
    return protocol_error(*refused);
  }
  if (path.mailbox && path.mailbox->utf8 && !transaction.smtputf8) {
    return refuse({.reason = "smtputf8",
                   .command = "MAIL",
                   .argument = path.address(),
                   .recipients = {},
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
    return refuse({.reason = "smtputf8",
                   .command = "RCPT",
                   .argument = address,
                   .recipients = {},
                   .reply = reply::smtputf8_required()});
  }
  // RFC 5321 4.5.3.1.8 limits the recipients a transaction delivers to; refused ones do not count.
  if (m_transaction->accepted >= m_config.limits.recipients) {
    return refuse({.reason = "too_many_recipients",
                   .command = "RCPT",
                   .argument = address,
                   .recipients = {},
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
    output = refuse(
        {.reason = refused->reason, .command = "RCPT", .argument = address, .recipients = {}, .reply = refused->reply});
  } else if (is_postmaster(mailbox)) {
    output = respond(ok_reply("rcpt", reply::ok_recipient()));
  } else if (!is_local_domain(domain_of(address))) {
    output = m_authenticated ? respond(reply::ok_recipient("Recipient ok (relay captured, never delivered)"))
                             : refuse({.reason = "relay",
                                       .command = "RCPT",
                                       .argument = address,
                                       .recipients = {},
                                       .reply = reply::relay_denied(address)});
  } else if (!is_known_mailbox(address)) {
    output = refuse({.reason = "unknown_user",
                     .command = "RCPT",
                     .argument = address,
                     .recipients = {},
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
  const std::string_view marker =
      space == std::string::npos ? std::string_view() : std::string_view(argument).substr(space + 1);
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
    Output output = refuse(
        {.reason = "size", .command = "BDAT", .argument = {}, .recipients = {}, .reply = reply::message_too_big()});
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
       (message.via_bdat ? ", BDAT" : "") + (message.bare_lf ? ", bare LF" : "") +
       (message.eight_bit ? ", 8-bit" : ""));

  // The bytes are kept even when the message is refused: a test may want to see what was sent.
  if (!message.too_big) {
    record.message = std::make_shared<const std::string>(std::move(message.bytes));
  }
  const std::size_t refusals_before = m_record.refusals.size();
  auto refuse_message = [&](std::string_view reason, Reply reply) {
    return refuse({.reason = std::string(reason),
                   .command = "END_OF_DATA",
                   .argument = {},
                   .recipients = record.accepted_recipients(),
                   .reply = std::move(reply)});
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

Reply Protocol::accept_message(capture::TransactionRecord& record,
                               std::function<void(Acceptance::Verdict)>& when_kept) {
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

}  // namespace maildog::smtp
