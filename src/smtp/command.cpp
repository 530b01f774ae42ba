#include "smtp/command.hpp"

#include "core/ascii.hpp"
#include "core/name_table.hpp"

namespace maildog::smtp {

namespace {

constexpr NameTable<Verb, 14> k_verbs{{
    {Verb::ehlo, "EHLO"},
    {Verb::helo, "HELO"},
    {Verb::mail, "MAIL"},
    {Verb::rcpt, "RCPT"},
    {Verb::data, "DATA"},
    {Verb::bdat, "BDAT"},
    {Verb::rset, "RSET"},
    {Verb::noop, "NOOP"},
    {Verb::quit, "QUIT"},
    {Verb::vrfy, "VRFY"},
    {Verb::expn, "EXPN"},
    {Verb::help, "HELP"},
    {Verb::starttls, "STARTTLS"},
    {Verb::auth, "AUTH"},
}};

using ascii::trim;
using ascii::upper;

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) {
    return false;
  }
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (upper(text[i]) != prefix[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string_view to_string(Verb verb) { return name_of(k_verbs, verb); }

Command parse_command(std::string_view line) {
  Command command;
  line = trim(line);
  auto space = line.find_first_of(" \t");
  std::string_view verb = line.substr(0, space);
  std::string_view rest = space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
  command.verb_text.reserve(verb.size());
  for (char c : verb) {
    command.verb_text += upper(c);
  }
  for (const auto& [value, name] : k_verbs) {
    if (name == command.verb_text) {
      command.verb = value;
      break;
    }
  }
  rest = trim(rest);
  // RFC 5321 4.1.1.2/4.1.1.3: "MAIL FROM:" and "RCPT TO:"; Postfix also tolerates a space
  // before the path, so the argument keeps everything after the colon.
  std::string_view keyword = command.verb == Verb::mail ? "FROM:" : command.verb == Verb::rcpt ? "TO:" : "";
  if (!keyword.empty()) {
    if (starts_with_nocase(rest, keyword)) {
      rest = trim(rest.substr(keyword.size()));
    } else {
      command.malformed = true;
    }
  }
  command.argument = std::string(rest);
  return command;
}

}  // namespace maildog::smtp
