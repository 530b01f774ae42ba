#include "scenario/addresses.hpp"

#include <variant>
#include <vector>

#include "smtp/address.hpp"

namespace maildog::scenario::detail {

namespace {

// The address parser's reason `text` is no mailbox, or nothing when it is one.
std::optional<std::string> mailbox_problem(std::string_view text) {
  if (text.starts_with('@')) {
    return "a source route is not an address";
  }
  auto parsed = smtp::parse_forward_path("<" + std::string(text) + ">");
  if (auto* error = std::get_if<smtp::SyntaxError>(&parsed)) {
    return error->message;
  }
  if (!std::get<smtp::PathArgument>(parsed).parameters_text.empty()) {
    return "text after the address";
  }
  return std::nullopt;
}

std::optional<std::string> domain_problem(std::string_view text) {
  if (text.find('@') != std::string_view::npos) {
    return "a domain has no '@' (write the part after it)";
  }
  return mailbox_problem("postmaster@" + std::string(text));
}

bool is_wildcard(char c) { return c == '*' || c == '?'; }

// A glob can match an address when some text for its wildcards makes one. One wildcard at a time
// may stand for the '@' (or a part holding it); the others stand for a letter, which every part of
// an address may hold. `valid` is the check for the filled-in text.
template <typename Check>
bool glob_can_match(std::string_view glob, Check valid) {
  auto fill = [&](std::size_t special, std::string_view replacement) {
    std::string text;
    for (std::size_t i = 0; i < glob.size(); ++i) {
      text += !is_wildcard(glob[i]) ? std::string(1, glob[i]) : i == special ? std::string(replacement) : "x";
    }
    return text;
  };
  if (!valid(fill(std::string_view::npos, "")).has_value()) {
    return true;
  }
  for (std::size_t i = 0; i < glob.size(); ++i) {
    if (!is_wildcard(glob[i])) {
      continue;
    }
    const std::vector<std::string_view> replacements = glob[i] == '?'
                                                           ? std::vector<std::string_view>{"@", "."}
                                                           : std::vector<std::string_view>{"x@x", "@x", "x@", "x.x"};
    for (auto replacement : replacements) {
      if (!valid(fill(i, replacement)).has_value()) {
        return true;
      }
    }
  }
  return false;
}

bool is_regex(std::string_view text) { return text.size() >= 2 && text.front() == '/' && text.rfind('/') > 0; }
bool is_glob(std::string_view text) { return text.find_first_of("*?") != std::string_view::npos; }

std::string quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

}  // namespace

std::optional<std::string> address_problem(std::string_view text, AddressField field) {
  const bool domain = field == AddressField::domain_glob;
  const bool regex_allowed = field == AddressField::address_match || field == AddressField::sender_match;
  const bool glob_allowed = field != AddressField::address;
  if (field == AddressField::sender_match && text.empty()) {
    return std::nullopt;  // the null reverse-path, recorded as ""
  }
  if (regex_allowed && is_regex(text)) {
    return std::nullopt;  // checked as a regex where the pattern is parsed
  }
  const std::string what = domain ? "domain" : "address";
  const std::string a_what = domain ? "a domain" : "an address";
  if (text == "<>") {
    return field == AddressField::sender_match
               ? std::optional<std::string>("write \"\" for the null sender, not <> (senders are recorded without <>)")
               : "<> is the null sender, not " + a_what;
  }
  if (text.size() >= 2 && text.front() == '<' && text.back() == '>') {
    return "write " + quoted(text.substr(1, text.size() - 2)) + " without <>: addresses are recorded without them";
  }
  auto check = [&](std::string_view candidate) {
    return domain ? domain_problem(candidate) : mailbox_problem(candidate);
  };
  const std::string usage = domain ? "a domain such as example.test, or a glob such as *.example.test"
                            : field == AddressField::address ? "an address such as user@example.test"
                            : field == AddressField::address_glob
                                ? "an address such as user@example.test, or a glob such as *@example.test"
                                : "an address such as user@example.test, a glob such as "
                                  "*@example.test, or a /regex/";
  if (is_glob(text)) {
    if (!glob_allowed) {
      return quoted(text) + " is compared as an exact address, not a glob: write " + usage;
    }
    if (glob_can_match(text, check)) {
      return std::nullopt;
    }
    return "glob " + quoted(text) + " cannot match any " + what + ": write " + usage;
  }
  if (auto problem = check(text)) {
    return quoted(text) + " is not " + a_what + " (" + *problem + "): write " + usage;
  }
  return std::nullopt;
}

}  // namespace maildog::scenario::detail
