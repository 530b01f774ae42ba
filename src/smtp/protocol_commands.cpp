// The session commands of Protocol: EHLO/HELO and what it offers, RSET, VRFY, STARTTLS and the
// TLS handshake that follows it.
#include "smtp/protocol.hpp"

namespace maildog::smtp {

std::vector<std::string> Protocol::ehlo_keywords() const {
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
  reply.lines.push_back(m_config.hostname + " Hello " + command.argument + " [" + m_record.client_address + "]");
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
  return respond(reply::ok());
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
  Output output = respond(reply::ready_to_start_tls(), Next::start_tls);
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
