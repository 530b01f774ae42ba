// Protocol's command table (verb, states, offered, handler) and the session commands: EHLO/HELO
// and what it offers, NOOP, QUIT, HELP, RSET, VRFY, STARTTLS and the TLS handshake after it.
#include <initializer_list>

#include "core/ascii.hpp"
#include "smtp/protocol.hpp"

namespace maildog::smtp {

namespace {

// The states a command is accepted in. Every command but QUIT is refused after a 554 greeting
// (dispatch() says so first); MAIL and AUTH wait for EHLO/HELO. SASL lines never reach the
// table (dispatch() hands them to on_sasl_line).
constexpr unsigned bits(std::initializer_list<State> states) {
  unsigned out = 0;
  for (State state : states) {
    out |= 1U << static_cast<unsigned>(state);
  }
  return out;
}
constexpr unsigned k_any_state =
    bits({State::connected, State::ready, State::mail, State::rcpt, State::data, State::sasl, State::closed});
constexpr unsigned k_after_hello =
    bits({State::ready, State::mail, State::rcpt, State::data, State::sasl, State::closed});
constexpr unsigned k_even_rejected = k_any_state | bits({State::rejected});

}  // namespace

// The one command table. A server option that adds a command (or takes one away) is a row, or
// the row's `offered` predicate.
const std::array<Protocol::CommandRow, 14> Protocol::k_commands{{
    {Verb::ehlo, "EHLO", k_any_state, {}, nullptr, &Protocol::on_ehlo},
    {Verb::helo, "HELO", k_any_state, {}, nullptr, &Protocol::on_helo},
    {Verb::mail, "MAIL", k_after_hello, "send HELO/EHLO first", nullptr, &Protocol::on_mail},
    {Verb::rcpt, "RCPT", k_any_state, {}, nullptr, &Protocol::on_rcpt},
    {Verb::data, "DATA", k_any_state, {}, nullptr, &Protocol::on_data},
    {Verb::bdat, "BDAT", k_any_state, {}, nullptr, &Protocol::on_bdat},
    {Verb::rset, "RSET", k_any_state, {}, nullptr, &Protocol::on_rset},
    {Verb::noop, "NOOP", k_any_state, {}, nullptr, &Protocol::on_noop},
    {Verb::quit, "QUIT", k_even_rejected, {}, nullptr, &Protocol::on_quit},
    {Verb::vrfy, "VRFY", k_any_state, {}, nullptr, &Protocol::on_vrfy},
    {Verb::expn, "EXPN", k_any_state, {}, &Protocol::expn_offered, nullptr},  // never offered: no handler
    {Verb::help, "HELP", k_any_state, {}, nullptr, &Protocol::on_help},
    {Verb::starttls, "STARTTLS", k_any_state, {}, &Protocol::starttls_offered, &Protocol::on_starttls},
    {Verb::auth, "AUTH", k_after_hello, "send EHLO first", &Protocol::auth_configured, &Protocol::on_auth},
}};

Output Protocol::on_noop(const Command& /*command*/) { return respond(ok_reply("noop", reply::ok())); }

Output Protocol::on_help(const Command& /*command*/) { return respond(reply::help()); }

Output Protocol::on_quit(const Command& /*command*/) {
  Output output = respond(ok_reply("quit", reply::closing(m_config.hostname)), Next::close);
  m_record.close_reason = "quit";
  return output;
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

Output Protocol::on_hello(const Command& command, bool extended) {
  if (command.argument.empty()) {
    return protocol_error(
        reply::syntax_error(extended ? "EHLO requires a domain or address" : "HELO requires a domain"));
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
  if (auto hello = m_config.ok_replies.find("ehlo");
      hello != m_config.ok_replies.end() && !hello->second.lines.empty()) {
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

bool Protocol::starttls_offered() const { return m_config.tls != TlsMode::none && m_config.tls != TlsMode::implicit; }

Output Protocol::on_starttls(const Command& command) {
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

}  // namespace maildog::smtp
