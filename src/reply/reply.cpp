#include "reply/reply.hpp"

#include <charconv>
#include <string>

namespace maildog::smtp {

namespace {

std::optional<int> parse_number(std::string_view text, int max) {
  if (text.empty() || text.size() > 3) {
    return std::nullopt;
  }
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value > max) {
    return std::nullopt;
  }
  return value;
}

std::string_view trim_eol(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
    line.remove_suffix(1);
  }
  return line;
}

}  // namespace

std::string EnhancedCode::str() const {
  return std::to_string(cls) + '.' + std::to_string(subject) + '.' + std::to_string(detail);
}

std::optional<EnhancedCode> EnhancedCode::parse(std::string_view text) {
  auto first = text.find('.');
  auto second = first == std::string_view::npos ? first : text.find('.', first + 1);
  if (second == std::string_view::npos) {
    return std::nullopt;
  }
  auto cls = parse_number(text.substr(0, first), 9);
  auto subject = parse_number(text.substr(first + 1, second - first - 1), 999);
  auto detail = parse_number(text.substr(second + 1), 999);
  if (!cls || !subject || !detail || (*cls != 2 && *cls != 4 && *cls != 5)) {
    return std::nullopt;
  }
  return EnhancedCode{*cls, *subject, *detail};
}

std::string Reply::wire() const {
  std::string out;
  const std::string code_text = std::to_string(code);
  const std::string enhanced_text = enhanced ? enhanced->str() + ' ' : std::string();
  const std::size_t count = lines.empty() ? 1 : lines.size();
  for (std::size_t i = 0; i < count; ++i) {
    out += code_text;
    out += i + 1 == count ? ' ' : '-';
    out += enhanced_text;
    if (!lines.empty()) {
      out += lines[i];
    }
    out += "\r\n";
  }
  return out;
}

Reply fill_placeholders(Reply reply, std::initializer_list<Placeholder> values) {
  for (auto& line : reply.lines) {
    for (const auto& [name, value] : values) {
      const std::string token = "{" + std::string(name) + "}";
      for (auto at = line.find(token); at != std::string::npos; at = line.find(token, at + value.size())) {
        line.replace(at, token.size(), value);
      }
    }
  }
  return reply;
}

std::string Reply::text() const {
  std::string out;
  for (const auto& line : lines) {
    if (!out.empty()) {
      out += '\n';
    }
    out += line;
  }
  return out;
}

std::string Reply::summary() const {
  std::string out = std::to_string(code);
  if (enhanced) {
    out += ' ' + enhanced->str();
  }
  for (std::size_t i = 0; i < lines.size(); ++i) {
    out += i == 0 ? " " : " / ";
    out += lines[i];
  }
  return out;
}

std::optional<Reply> Reply::parse(std::string_view text) {
  Reply result;
  bool last_seen = false;
  while (!text.empty()) {
    auto eol = text.find('\n');
    std::string_view line = trim_eol(text.substr(0, eol));
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    if (line.empty() && text.empty()) {
      break;
    }
    if (last_seen || line.size() < 3) {
      return std::nullopt;
    }
    auto code = parse_number(line.substr(0, 3), 599);
    if (!code || *code < 200 || (result.code != 0 && *code != result.code)) {
      return std::nullopt;
    }
    result.code = *code;
    std::string_view rest = line.substr(3);
    if (!rest.empty() && rest.front() == '-') {
      rest.remove_prefix(1);
    } else {
      if (!rest.empty() && rest.front() != ' ') {
        return std::nullopt;
      }
      if (!rest.empty()) {
        rest.remove_prefix(1);
      }
      last_seen = true;
    }
    auto space = rest.find(' ');
    if (auto enhanced = EnhancedCode::parse(rest.substr(0, space))) {
      if (!result.enhanced) {
        result.enhanced = enhanced;
      }
      rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    }
    result.lines.emplace_back(rest);
  }
  if (result.code == 0) {
    return std::nullopt;
  }
  return result;
}

Reply make_reply(int code, std::optional<EnhancedCode> enhanced, std::string text) {
  return Reply{code, enhanced, {std::move(text)}};
}

namespace reply {

namespace {
Reply make(int code, int cls, int subject, int detail, std::string text) {
  return make_reply(code, EnhancedCode{cls, subject, detail}, std::move(text));
}
std::string angle(std::string_view address) { return "<" + std::string(address) + ">"; }
}  // namespace

// RFC 5321 4.2.3 lists the basic codes; RFC 3463 and the IANA registry the enhanced ones.
Reply greeting(std::string_view hostname) {
  return make_reply(220, std::nullopt, std::string(hostname) + " ESMTP maildog-ci sandbox");
}
Reply ok(std::string_view text) { return make(250, 2, 0, 0, std::string(text)); }
Reply ok_sender(std::string_view text) { return make(250, 2, 1, 0, std::string(text)); }
Reply ok_recipient(std::string_view text) { return make(250, 2, 1, 5, std::string(text)); }
Reply closing(std::string_view hostname) { return make(221, 2, 0, 0, std::string(hostname) + " Bye"); }
Reply start_mail_input() { return make_reply(354, std::nullopt, "End data with <CR><LF>.<CR><LF>"); }
Reply queued(std::string_view queue_id) { return make(250, 2, 0, 0, "Ok: queued as " + std::string(queue_id)); }
Reply cannot_verify() { return make(252, 2, 0, 0, "Cannot VRFY user, but will accept message and attempt delivery"); }
Reply ready_to_start_tls() { return make(220, 2, 0, 0, "Ready to start TLS"); }
Reply auth_succeeded() { return make(235, 2, 7, 0, "Authentication successful"); }
Reply auth_challenge(std::string_view base64) { return make_reply(334, std::nullopt, std::string(base64)); }
Reply help() {
  return Reply{214,
               EnhancedCode{2, 0, 0},
               {"Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP STARTTLS AUTH",
                "maildog-ci sandbox: replies follow the scenario's rules"}};
}

Reply service_shutting_down(std::string_view hostname) {
  return make(421, 4, 3, 2, std::string(hostname) + " Service shutting down, closing transmission channel");
}
Reply timeout(std::string_view hostname) {
  return make(421, 4, 4, 2, std::string(hostname) + " Error: timeout exceeded");
}
Reply too_many_errors(std::string_view hostname) {
  return make(421, 4, 7, 0, std::string(hostname) + " Error: too many errors");
}
Reply too_many_connections(std::string_view hostname) {
  return make(421, 4, 7, 0, std::string(hostname) + " Error: too many connections");
}
Reply tls_not_available() { return make(454, 4, 7, 0, "TLS not available due to temporary reason"); }
Reply cannot_store() { return make(451, 4, 3, 0, "Error: cannot store the message"); }

Reply command_unrecognized() { return make(500, 5, 5, 2, "Error: command not recognized"); }
Reply syntax_error(std::string_view detail) { return make(501, 5, 5, 4, "Syntax error: " + std::string(detail)); }
Reply parameter_syntax_error(std::string_view detail) { return make(501, 5, 5, 4, std::string(detail)); }
Reply line_too_long() { return make(500, 5, 5, 2, "Error: line too long"); }
Reply bad_sequence(std::string_view detail) { return make(503, 5, 5, 1, "Error: " + std::string(detail)); }
Reply command_not_implemented(std::string_view detail) {
  return make(502, 5, 5, 1, "Error: command not implemented: " + std::string(detail));
}
Reply parameter_not_implemented(std::string_view detail) {
  return make(555, 5, 5, 4, "Unsupported option: " + std::string(detail));
}
Reply user_unknown(std::string_view address) {
  return make(550, 5, 1, 1, angle(address) + ": Recipient address rejected: User unknown");
}
Reply relay_denied(std::string_view address) { return make(550, 5, 7, 1, angle(address) + ": Relaying denied"); }
Reply too_many_recipients() { return make(452, 4, 5, 3, "Error: too many recipients"); }
Reply message_too_big() { return make(552, 5, 3, 4, "Error: message exceeds fixed maximum message size"); }
Reply message_too_big_for_size(std::size_t limit) {
  return make(552, 5, 3, 4, "Message size exceeds fixed maximum message size of " + std::to_string(limit) + " bytes");
}
Reply no_valid_recipients() { return make(554, 5, 5, 1, "Error: no valid recipients"); }
Reply bare_lf_rejected() {
  return make(550, 5, 6, 0, "Message contains bare <LF>; lines must end in <CR><LF> (RFC 5321 2.3.8)");
}
Reply eight_bit_without_8bitmime() {
  return make(554, 5, 6, 0, "Message contains 8-bit data but was not sent with BODY=8BITMIME");
}
Reply smtputf8_required() { return make(553, 5, 6, 7, "Non-ASCII address requires the SMTPUTF8 parameter (RFC 6531)"); }
Reply auth_required() { return make(530, 5, 7, 0, "Authentication required"); }
Reply starttls_required() { return make(530, 5, 7, 0, "Must issue a STARTTLS command first"); }
Reply auth_bad_credentials() { return make(535, 5, 7, 8, "Error: authentication failed"); }
Reply auth_cancelled() { return make(501, 5, 0, 0, "Authentication cancelled"); }
Reply auth_mechanism_unsupported() { return make(504, 5, 5, 4, "Unrecognized authentication type"); }
Reply auth_encryption_required() {
  return make(538, 5, 7, 11, "Encryption required for requested authentication mechanism");
}
Reply auth_already_done() { return make(503, 5, 5, 1, "Error: already authenticated"); }
Reply tls_already_active() { return make(503, 5, 5, 1, "Error: TLS already active"); }

}  // namespace reply
}  // namespace maildog::smtp
