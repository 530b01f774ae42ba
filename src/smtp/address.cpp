#include "smtp/address.hpp"

#include <algorithm>
#include <cstddef>

namespace maildog::smtp {

namespace {

// RFC 5321 4.5.3.1.1 / 4.5.3.1.2 / 4.5.3.1.3.
constexpr std::size_t k_local_part_max = 64;
constexpr std::size_t k_domain_max = 255;
constexpr std::size_t k_path_max = 256;
// RFC 1035 2.3.4. Only checked for ASCII labels: a U-label's limit applies to its A-label form.
constexpr std::size_t k_label_max = 63;
// RFC 5321 4.1.3: Snum is 1*3DIGIT with a value of at most 255; IPv6-hex is 1*4HEXDIG.
constexpr std::size_t k_snum_digits_max = 3;
constexpr int k_snum_max = 255;
constexpr std::size_t k_ipv6_hex_digits_max = 4;
constexpr std::size_t k_ipv6_groups = 8;
constexpr std::size_t k_ipv4_as_ipv6_groups = 2;
// RFC 5321 4.1.3: "::" stands for at least two groups, so at most six may be written beside it.
constexpr std::size_t k_ipv6_compressed_groups_max = 6;

constexpr std::string_view k_postmaster = "postmaster";
constexpr std::string_view k_ipv6_tag = "IPv6:";
// RFC 5322 3.2.3 atext, minus ALPHA and DIGIT.
constexpr std::string_view k_atext_specials = "!#$%&'*+-/=?^_`{|}~";

constexpr std::string_view k_missing_address = "missing address";
constexpr std::string_view k_missing_open = "missing '<' before address";
constexpr std::string_view k_missing_close = "missing '>' at end of path";
constexpr std::string_view k_null_recipient = "empty address not allowed for a recipient";
constexpr std::string_view k_text_after_path = "unexpected text after '>'";
constexpr std::string_view k_space = "bad address syntax: space in address";
constexpr std::string_view k_control = "bad address syntax: control character";
constexpr std::string_view k_bad_utf8 = "bad address syntax: invalid UTF-8";
constexpr std::string_view k_unbalanced_quote = "bad address syntax: unbalanced quote";
constexpr std::string_view k_misplaced_quote = "bad address syntax: misplaced quote";
constexpr std::string_view k_bad_quoted_pair = "bad address syntax: bad quoted pair";
constexpr std::string_view k_empty_local_part = "bad address syntax: empty local part";
constexpr std::string_view k_bad_local_char = "bad address syntax: bad character in local part";
constexpr std::string_view k_local_dot = "bad address syntax: misplaced '.' in local part";
constexpr std::string_view k_missing_domain = "bad address syntax: missing domain";
constexpr std::string_view k_bad_domain_char = "bad address syntax: bad character in domain";
constexpr std::string_view k_domain_dot = "bad address syntax: misplaced '.' in domain";
constexpr std::string_view k_domain_hyphen = "bad address syntax: '-' at start or end of a domain label";
constexpr std::string_view k_long_label = "bad address syntax: domain label longer than 63 octets";
constexpr std::string_view k_bad_literal = "bad address syntax: bad address literal";
constexpr std::string_view k_bad_route = "bad address syntax: bad source route";
constexpr std::string_view k_long_local_part = "local part longer than 64 octets";
constexpr std::string_view k_long_domain = "domain longer than 255 octets";
constexpr std::string_view k_long_path = "path longer than 256 octets";

enum class PathKind { reverse, forward };

unsigned char octet(std::string_view text, std::size_t pos) { return static_cast<unsigned char>(text[pos]); }

bool is_alpha(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
bool is_let_dig(unsigned char c) { return is_alpha(c) || is_digit(c); }
bool is_hex(unsigned char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_control(unsigned char c) { return c < 0x20 || c == 0x7f; }
bool is_atext(unsigned char c) {
  return is_let_dig(c) || k_atext_specials.find(static_cast<char>(c)) != std::string_view::npos;
}
char to_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
char to_upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

bool has_non_ascii(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

bool equals_nocase(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return to_lower(x) == to_lower(y); });
}

// RFC 3629 4: length of the well-formed UTF-8 sequence starting at `pos`, or 0. RFC 6531
// extends atext, qtextSMTP, sub-domain and esmtp-value with UTF-8, never with stray octets.
std::size_t utf8_sequence(std::string_view text, std::size_t pos) {
  const unsigned char lead = octet(text, pos);
  std::size_t length = 0;
  unsigned char second_min = 0x80;
  unsigned char second_max = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    second_min = lead == 0xe0 ? 0xa0 : second_min;  // no overlong forms
    second_max = lead == 0xed ? 0x9f : second_max;  // no surrogates
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    second_min = lead == 0xf0 ? 0x90 : second_min;  // no overlong forms
    second_max = lead == 0xf4 ? 0x8f : second_max;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (text.size() - pos < length || octet(text, pos + 1) < second_min || octet(text, pos + 1) > second_max) {
    return 0;
  }
  for (std::size_t i = 2; i < length; ++i) {
    if (octet(text, pos + i) < 0x80 || octet(text, pos + i) > 0xbf) {
      return 0;
    }
  }
  return length;
}

// The reason a scan stopped at `pos` where the grammar wanted something else.
std::string_view unexpected(std::string_view text, std::size_t pos, std::string_view bad_char) {
  if (pos >= text.size()) {
    return k_missing_close;
  }
  const unsigned char c = octet(text, pos);
  if (c == ' ') {
    return k_space;
  }
  if (is_control(c)) {
    return k_control;
  }
  if (c >= 0x80 && utf8_sequence(text, pos) == 0) {
    return k_bad_utf8;
  }
  return bad_char;
}

// Scans a path left to right; the first error wins and is kept in m_error.
class PathScanner {
 public:
  explicit PathScanner(std::string_view text) : m_text(text) {}

  std::size_t pos() const { return m_pos; }
  std::string_view error() const { return m_error; }
  bool at(char c) const { return m_pos < m_text.size() && m_text[m_pos] == c; }
  void skip() { ++m_pos; }

  bool fail(std::string_view message) {
    m_error = message;
    return false;
  }
  bool fail_here(std::string_view bad_char) { return fail(unexpected(m_text, m_pos, bad_char)); }

  // A-d-l ":" (RFC 5321 4.1.2); called at the first "@".
  bool source_route() {
    bool first = true;
    while (at('@')) {
      skip();
      const std::size_t start = m_pos;
      scan_domain_chars();
      if (!valid_domain(m_text.substr(start, m_pos - start))) {
        return false;
      }
      if (at(',')) {
        skip();
      } else if (at(':')) {
        skip();
        return true;
      } else {
        // "<@example.com>" is an address without a local part, not a route.
        return fail_here(first && at('>') ? k_empty_local_part : k_bad_route);
      }
      first = false;
    }
    return fail_here(k_bad_route);
  }

  // Local-part = Dot-string / Quoted-string.
  bool local_part() { return at('"') ? quoted_string() : dot_string(); }

  // Domain / address-literal.
  bool domain() {
    const std::size_t start = m_pos;
    if (at('[')) {
      const std::size_t close = m_text.find_first_of("]>", m_pos);
      if (close == std::string_view::npos || m_text[close] != ']') {
        return fail(k_bad_literal);
      }
      m_pos = close + 1;
      return valid_address_literal(m_text.substr(start + 1, close - start - 1)) || fail(k_bad_literal);
    }
    scan_domain_chars();
    if (m_pos == start) {
      return fail_here(at('>') ? k_missing_domain : k_bad_domain_char);
    }
    return valid_domain(m_text.substr(start, m_pos - start));
  }

 private:
  std::string_view m_text;
  std::size_t m_pos = 0;
  std::string_view m_error;

  // Consumes a well-formed UTF-8 sequence at m_pos, if there is one.
  bool utf8_char() {
    const std::size_t length = utf8_sequence(m_text, m_pos);
    if (length == 0) {
      return false;
    }
    m_pos += length;
    return true;
  }

  bool dot_string() {
    const std::size_t start = m_pos;
    while (m_pos < m_text.size()) {
      const unsigned char c = octet(m_text, m_pos);
      if (is_atext(c) || c == '.') {
        skip();
      } else if (c < 0x80 || !utf8_char()) {
        break;
      }
    }
    const std::string_view atoms = m_text.substr(start, m_pos - start);
    if (atoms.empty()) {
      return fail_here(at('@') ? k_empty_local_part : k_bad_local_char);
    }
    if (atoms.front() == '.' || atoms.back() == '.' || atoms.find("..") != std::string_view::npos) {
      return fail(k_local_dot);
    }
    return at('"') ? fail(k_misplaced_quote) : true;
  }

  // RFC 5321 4.1.2 Quoted-string, with RFC 6531 3.3 UTF-8 in qtextSMTP.
  bool quoted_string() {
    skip();
    while (m_pos < m_text.size()) {
      const unsigned char c = octet(m_text, m_pos);
      if (c == '"') {
        skip();
        return true;
      }
      if (c == '\\') {
        skip();
        if (m_pos >= m_text.size()) {
          break;
        }
        // quoted-pairSMTP = %d92 %d32-126
        const unsigned char quoted = octet(m_text, m_pos);
        if (quoted < 0x20 || quoted > 0x7e) {
          return fail(is_control(quoted) ? k_control : k_bad_quoted_pair);
        }
        skip();
      } else if (is_control(c)) {
        return fail(k_control);
      } else if (c < 0x80) {
        skip();
      } else if (!utf8_char()) {
        return fail(k_bad_utf8);
      }
    }
    return fail(k_unbalanced_quote);
  }

  void scan_domain_chars() {
    while (m_pos < m_text.size()) {
      const unsigned char c = octet(m_text, m_pos);
      if (is_let_dig(c) || c == '-' || c == '.') {
        skip();
      } else if (c < 0x80 || !utf8_char()) {
        return;
      }
    }
  }

  // Domain = sub-domain *("." sub-domain); sub-domain = Let-dig [Ldh-str] / U-label.
  bool valid_domain(std::string_view name) {
    if (name.empty()) {
      return fail(k_bad_route);  // only a route gets here empty: domain() reports its own case
    }
    std::size_t start = 0;
    while (true) {
      const std::size_t dot = name.find('.', start);
      const std::string_view label = name.substr(start, dot == std::string_view::npos ? dot : dot - start);
      if (label.empty()) {
        return fail(k_domain_dot);
      }
      if (label.front() == '-' || label.back() == '-') {
        return fail(k_domain_hyphen);
      }
      if (!has_non_ascii(label) && label.size() > k_label_max) {
        return fail(k_long_label);
      }
      if (dot == std::string_view::npos) {
        return true;
      }
      start = dot + 1;
    }
  }

  // Snum 3("." Snum)
  static bool valid_ipv4(std::string_view text) {
    for (std::size_t part = 0; part < 4; ++part) {
      std::size_t digits = 0;
      int value = 0;
      while (digits < text.size() && is_digit(octet(text, digits))) {
        value = value * 10 + (text[digits] - '0');
        ++digits;
        if (digits > k_snum_digits_max) {
          return false;
        }
      }
      if (digits == 0 || value > k_snum_max) {
        return false;
      }
      text.remove_prefix(digits);
      if (part < 3) {
        if (text.empty() || text.front() != '.') {
          return false;
        }
        text.remove_prefix(1);
      }
    }
    return text.empty();
  }

  // Number of IPv6-hex groups in "h:h:h" (0 for ""), or nothing when malformed.
  static std::optional<std::size_t> ipv6_groups(std::string_view text) {
    if (text.empty()) {
      return 0;
    }
    std::size_t groups = 0;
    while (true) {
      const std::size_t colon = text.find(':');
      const std::string_view group = text.substr(0, colon);
      if (group.empty() || group.size() > k_ipv6_hex_digits_max ||
          !std::all_of(group.begin(), group.end(), [](char c) { return is_hex(static_cast<unsigned char>(c)); })) {
        return std::nullopt;
      }
      ++groups;
      if (colon == std::string_view::npos) {
        return groups;
      }
      text.remove_prefix(colon + 1);
    }
  }

  // RFC 5321 4.1.3 IPv6-full / IPv6-comp / IPv6v4-full / IPv6v4-comp.
  static bool valid_ipv6(std::string_view text) {
    const std::size_t last_colon = text.rfind(':');
    if (last_colon == std::string_view::npos) {
      return false;
    }
    std::size_t tail_groups = 0;
    if (text.find('.', last_colon) != std::string_view::npos) {
      if (!valid_ipv4(text.substr(last_colon + 1))) {
        return false;
      }
      tail_groups = k_ipv4_as_ipv6_groups;
      // Keep both colons of a "::" that comes right before the IPv4 part.
      const bool compressed = last_colon > 0 && text[last_colon - 1] == ':';
      text = text.substr(0, compressed ? last_colon + 1 : last_colon);
    }
    const std::size_t gap = text.find("::");
    if (gap == std::string_view::npos) {
      const auto groups = ipv6_groups(text);
      return groups && *groups + tail_groups == k_ipv6_groups;
    }
    const auto before = ipv6_groups(text.substr(0, gap));
    const auto after = ipv6_groups(text.substr(gap + 2));
    return before && after && *before + *after + tail_groups <= k_ipv6_compressed_groups_max;
  }

  // Only the IPv4 form and the IPv6 tag: no other Standardized-tag is registered.
  static bool valid_address_literal(std::string_view text) {
    if (text.size() >= k_ipv6_tag.size() && equals_nocase(text.substr(0, k_ipv6_tag.size()), k_ipv6_tag)) {
      return valid_ipv6(text.substr(k_ipv6_tag.size()));
    }
    return valid_ipv4(text);
  }
};

SyntaxError error(std::string_view message) { return SyntaxError{std::string(message)}; }

std::variant<PathArgument, SyntaxError> parse_path(std::string_view argument, PathKind kind) {
  const std::size_t open = argument.find_first_not_of(" \t");
  if (open == std::string_view::npos) {
    return error(k_missing_address);
  }
  argument.remove_prefix(open);
  if (argument.front() != '<') {
    return error(k_missing_open);
  }
  PathArgument result;
  PathScanner scanner(argument);
  scanner.skip();
  if (scanner.at('>')) {
    if (kind == PathKind::forward) {
      return error(k_null_recipient);
    }
  } else {
    const bool routed = scanner.at('@');
    if (routed && !scanner.source_route()) {
      return error(scanner.error());
    }
    const std::size_t local_start = scanner.pos();
    if (!scanner.local_part()) {
      return error(scanner.error());
    }
    Mailbox mailbox;
    mailbox.local_part = std::string(argument.substr(local_start, scanner.pos() - local_start));
    // RFC 5321 4.1.1.3: "<Postmaster>" without a domain (and without a route) is a valid RCPT.
    const bool postmaster =
        kind == PathKind::forward && !routed && scanner.at('>') && equals_nocase(mailbox.local_part, k_postmaster);
    if (!postmaster) {
      if (!scanner.at('@')) {
        if (scanner.at('"')) {
          return error(k_misplaced_quote);
        }
        return error(scanner.at('>') ? k_missing_domain : unexpected(argument, scanner.pos(), k_bad_local_char));
      }
      scanner.skip();
      const std::size_t domain_start = scanner.pos();
      if (!scanner.domain()) {
        return error(scanner.error());
      }
      mailbox.domain = std::string(argument.substr(domain_start, scanner.pos() - domain_start));
      if (!scanner.at('>')) {
        return error(unexpected(argument, scanner.pos(), k_bad_domain_char));
      }
    }
    if (mailbox.local_part.size() > k_local_part_max) {
      return error(k_long_local_part);
    }
    if (mailbox.domain.size() > k_domain_max) {
      return error(k_long_domain);
    }
    mailbox.utf8 = has_non_ascii(mailbox.local_part) || has_non_ascii(mailbox.domain);
    result.mailbox = std::move(mailbox);
  }
  scanner.skip();  // the '>'
  if (scanner.pos() > k_path_max) {
    return error(k_long_path);
  }
  const std::string_view rest = argument.substr(scanner.pos());
  if (rest.empty()) {
    return result;
  }
  if (rest.front() != ' ') {
    return error(is_control(static_cast<unsigned char>(rest.front())) ? k_control : k_text_after_path);
  }
  const std::size_t first = rest.find_first_not_of(' ');
  const std::size_t last = rest.find_last_not_of(' ');
  result.parameters_text =
      first == std::string_view::npos ? std::string() : std::string(rest.substr(first, last - first + 1));
  // Whether SMTPUTF8 is in force is the session's call; the grammar of RFC 6531 3.3 allows it.
  auto parameters = parse_esmtp_parameters(result.parameters_text, true);
  if (auto* failure = std::get_if<SyntaxError>(&parameters)) {
    return std::move(*failure);
  }
  result.parameters = std::move(std::get<std::vector<EsmtpParameter>>(parameters));
  return result;
}

// esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
bool valid_keyword(std::string_view keyword) {
  return !keyword.empty() && is_let_dig(static_cast<unsigned char>(keyword.front())) &&
         std::all_of(keyword.begin(), keyword.end(),
                     [](char c) { return is_let_dig(static_cast<unsigned char>(c)) || c == '-'; });
}

// esmtp-value = 1*(%d33-60 / %d62-126), plus UTF8-non-ascii under SMTPUTF8 (RFC 6531 3.3).
std::optional<std::string> value_problem(std::string_view value, bool utf8, const std::string& keyword) {
  if (value.empty()) {
    return "missing value for parameter " + keyword;
  }
  for (std::size_t pos = 0; pos < value.size();) {
    const unsigned char c = octet(value, pos);
    if (c >= 0x80) {
      if (!utf8) {
        return "non-ASCII value for parameter " + keyword + " without SMTPUTF8";
      }
      const std::size_t length = utf8_sequence(value, pos);
      if (length == 0) {
        return "invalid UTF-8 in value for parameter " + keyword;
      }
      pos += length;
    } else if (c >= 33 && c <= 126 && c != '=') {
      ++pos;
    } else {
      return "bad character in value for parameter " + keyword;
    }
  }
  return std::nullopt;
}

}  // namespace

std::variant<PathArgument, SyntaxError> parse_reverse_path(std::string_view argument) {
  return parse_path(argument, PathKind::reverse);
}

std::variant<PathArgument, SyntaxError> parse_forward_path(std::string_view argument) {
  return parse_path(argument, PathKind::forward);
}

std::variant<std::vector<EsmtpParameter>, SyntaxError> parse_esmtp_parameters(std::string_view text, bool utf8) {
  std::vector<EsmtpParameter> parameters;
  if (std::any_of(text.begin(), text.end(), [](char c) { return is_control(static_cast<unsigned char>(c)); })) {
    return SyntaxError{"control character in parameters"};
  }
  // RFC 5321 wants one SP between parameters; like Postfix and OpenSMTPD, runs of SP are fine.
  std::size_t pos = 0;
  while ((pos = text.find_first_not_of(' ', pos)) != std::string_view::npos) {
    const std::size_t space = text.find(' ', pos);
    const std::string_view token = text.substr(pos, space == std::string_view::npos ? space : space - pos);
    pos = space == std::string_view::npos ? text.size() : space;
    const std::size_t equals = token.find('=');
    const std::string_view keyword = token.substr(0, equals);
    if (!valid_keyword(keyword)) {
      return SyntaxError{"bad parameter keyword"};
    }
    EsmtpParameter parameter;
    parameter.keyword.reserve(keyword.size());
    for (char c : keyword) {
      parameter.keyword += to_upper(c);
    }
    if (equals != std::string_view::npos) {
      const std::string_view value = token.substr(equals + 1);
      if (auto problem = value_problem(value, utf8, parameter.keyword)) {
        return SyntaxError{std::move(*problem)};
      }
      parameter.value = std::string(value);
    }
    const bool duplicate = std::any_of(parameters.begin(), parameters.end(),
                                       [&](const EsmtpParameter& seen) { return seen.keyword == parameter.keyword; });
    if (duplicate) {
      return SyntaxError{"duplicate parameter " + parameter.keyword};
    }
    parameters.push_back(std::move(parameter));
  }
  return parameters;
}

std::string normalized_address(std::string_view address) {
  std::string result(address);
  const std::size_t at = result.rfind('@');
  if (at == std::string::npos) {
    return result;
  }
  for (std::size_t i = at + 1; i < result.size(); ++i) {
    result[i] = to_lower(result[i]);
  }
  return result;
}

}  // namespace maildog::smtp
