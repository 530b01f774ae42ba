// AUTH (RFC 4954) in Protocol: the mechanisms, the SASL exchange over the following lines and
// its outcome, with payloads kept out of every record.
#include "smtp/protocol.hpp"
#include "smtp/sasl.hpp"

namespace maildog::smtp {

namespace {

// RFC 4954 4: "=" stands for an empty initial response.
std::optional<std::string> decode_initial_response(std::string_view text) {
  if (text == "=") {
    return std::string();
  }
  return sasl::base64_decode(text);
}

}  // namespace

Output Protocol::on_auth(const Command& command) {
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
      m_sasl_challenge =
          sasl::cram_md5_challenge(m_config.hostname, m_random(), static_cast<std::uint64_t>(m_now().count()));
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
    capture::RefusalRecord refusal{.reason = "authentication",
                                   .command = "AUTH",
                                   .argument = user,
                                   .recipients = {},
                                   .reply = output.replies.front()};
    RefusedAttempt attempt{.transaction = nullptr,
                           .refusals = {std::move(refusal)},
                           .fault = {},
                           .ended = {},
                           .first_line = m_attempt_first_line};
    m_config.on_attempt_refused(m_record, attempt);
    m_attempt_first_line = m_record.transcript.size();
  }
  return output;
}

}  // namespace maildog::smtp
