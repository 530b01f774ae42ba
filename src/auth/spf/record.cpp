#include "auth/spf/record.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstddef>

#include "auth/spf/macro.hpp"
#include "core/ascii.hpp"

namespace maildog::auth::spf {

namespace {

constexpr std::string_view k_version = "v=spf1";

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alphanumeric(char c) { return is_alpha(c) || is_digit(c); }

using ascii::lower;

bool equals_ignoring_case(std::string_view left, std::string_view right) {
  return left.size() == right.size() && lower(left) == lower(right);
}

std::string quoted(std::string_view text) { return "\"" + std::string(text) + "\""; }

// RFC 7208 4.6.1: name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ), then "=".
std::optional<std::size_t> modifier_equals(std::string_view term) {
  const std::size_t equals = term.find('=');
  if (equals == std::string_view::npos || equals == 0 || !is_alpha(term[0])) {
    return std::nullopt;
  }
  for (std::size_t i = 1; i < equals; ++i) {
    const char c = term[i];
    if (!is_alphanumeric(c) && c != '-' && c != '_' && c != '.') {
      return std::nullopt;
    }
  }
  return equals;
}

// ip4-cidr-length / ip6-cidr-length digits: no sign, no leading zero (RFC 7208 5.6 forbids them
// in ip4-network, and the test suite reads that into the lengths), at most `max`.
std::optional<unsigned> cidr_length(std::string_view digits, unsigned max) {
  if (digits.empty() || digits.size() > 3 || (digits.size() > 1 && digits[0] == '0') ||
      !std::all_of(digits.begin(), digits.end(), is_digit)) {
    return std::nullopt;
  }
  unsigned value = 0;
  for (const char c : digits) {
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > max) {
    return std::nullopt;
  }
  return value;
}

// RFC 7208 5.3: dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ], the whole text.
std::optional<RecordError> parse_dual_cidr(std::string_view text, Mechanism& mechanism) {
  if (text.empty()) {
    return std::nullopt;
  }
  const RecordError error{"bad CIDR length " + quoted(text) + " in " + quoted(mechanism.text)};
  if (text.substr(0, 2) == "//") {
    const auto ip6 = cidr_length(text.substr(2), k_ip6_cidr_max);
    if (!ip6) {
      return error;
    }
    mechanism.ip6_prefix = *ip6;
    return std::nullopt;
  }
  if (text[0] != '/') {
    return error;
  }
  const std::size_t split = text.find("//");
  const auto ip4 =
      cidr_length(text.substr(1, split == std::string_view::npos ? std::string_view::npos : split - 1), k_ip4_cidr_max);
  if (!ip4) {
    return error;
  }
  mechanism.ip4_prefix = *ip4;
  if (split != std::string_view::npos) {
    const auto ip6 = cidr_length(text.substr(split + 2), k_ip6_cidr_max);
    if (!ip6) {
      return error;
    }
    mechanism.ip6_prefix = *ip6;
  }
  return std::nullopt;
}

// Start of the run of digits that ends at `end`, or `end` when there is none.
std::size_t digits_before(std::string_view text, std::size_t end) {
  std::size_t start = end;
  while (start > 0 && is_digit(text[start - 1])) {
    --start;
  }
  return start;
}

// Splits "host.example.com/24//64" into the domain-spec and its dual-cidr-length. A domain-spec
// may itself hold "/" and ":" (RFC 7208 7.1), so only a trailing "/digits" and "//digits" count.
std::pair<std::string_view, std::string_view> split_dual_cidr(std::string_view body) {
  std::size_t end = body.size();
  std::size_t digits = digits_before(body, end);
  if (digits < end && digits >= 2 && body[digits - 1] == '/' && body[digits - 2] == '/') {
    end = digits - 2;
    digits = digits_before(body, end);
  }
  if (digits < end && digits >= 1 && body[digits - 1] == '/') {
    end = digits - 1;
  }
  return {body.substr(0, end), body.substr(end)};
}

std::optional<RecordError> parse_target(std::string_view rest, bool required, Mechanism& mechanism) {
  if (rest.empty() && !required) {
    return std::nullopt;
  }
  if (rest.empty() || rest[0] != ':') {
    return RecordError{quoted(mechanism.text) + " needs \":\" and a domain"};
  }
  mechanism.domain_spec = std::string(rest.substr(1));
  if (auto error = check_domain_spec(mechanism.domain_spec)) {
    error->message += " in " + quoted(mechanism.text);
    return error;
  }
  return std::nullopt;
}

std::optional<RecordError> parse_network(std::string_view rest, Mechanism& mechanism) {
  const bool v6 = mechanism.kind == MechanismKind::ip6;
  if (rest.empty() || rest[0] != ':') {
    return RecordError{quoted(mechanism.text) + " needs \":\" and a network"};
  }
  const std::string_view body = rest.substr(1);
  const std::size_t slash = body.find('/');
  const auto address = IpAddress::parse(body.substr(0, slash));
  if (!address || address->v6 != v6) {
    return RecordError{"bad " + std::string(v6 ? "IPv6" : "IPv4") + " network in " + quoted(mechanism.text)};
  }
  mechanism.network = *address;
  if (slash != std::string_view::npos) {
    const auto prefix = cidr_length(body.substr(slash + 1), v6 ? k_ip6_cidr_max : k_ip4_cidr_max);
    if (!prefix) {
      return RecordError{"bad CIDR length in " + quoted(mechanism.text)};
    }
    (v6 ? mechanism.ip6_prefix : mechanism.ip4_prefix) = *prefix;
  }
  return std::nullopt;
}

std::variant<Mechanism, RecordError> parse_mechanism(std::string_view term) {
  Mechanism mechanism;
  mechanism.text = std::string(term);
  std::size_t at = 0;
  switch (term[0]) {
    case '+':
      mechanism.qualifier = Qualifier::pass;
      ++at;
      break;
    case '-':
      mechanism.qualifier = Qualifier::fail;
      ++at;
      break;
    case '~':
      mechanism.qualifier = Qualifier::softfail;
      ++at;
      break;
    case '?':
      mechanism.qualifier = Qualifier::neutral;
      ++at;
      break;
    default:
      break;
  }
  const std::size_t name_end = std::min(term.find_first_of(":/", at), term.size());
  const auto kind = lookup_name(k_mechanism_names, lower(term.substr(at, name_end - at)));
  if (!kind) {
    return RecordError{"unknown mechanism " + quoted(term)};
  }
  mechanism.kind = *kind;
  const std::string_view rest = term.substr(name_end);
  std::optional<RecordError> error;
  switch (*kind) {
    case MechanismKind::all:
      if (!rest.empty()) {
        error = RecordError{quoted(term) + ": \"all\" takes no argument"};
      }
      break;
    case MechanismKind::include:
    case MechanismKind::exists:
      error = parse_target(rest, true, mechanism);
      break;
    case MechanismKind::ptr:
      error = parse_target(rest, false, mechanism);
      break;
    case MechanismKind::a:
    case MechanismKind::mx: {
      std::string_view cidr = rest;
      if (!rest.empty() && rest[0] == ':') {
        const auto [domain, lengths] = split_dual_cidr(rest.substr(1));
        error = parse_target(rest.substr(0, 1 + domain.size()), true, mechanism);
        cidr = lengths;
      }
      if (!error) {
        error = parse_dual_cidr(cidr, mechanism);
      }
      break;
    }
    case MechanismKind::ip4:
    case MechanismKind::ip6:
      error = parse_network(rest, mechanism);
      break;
  }
  if (error) {
    return *error;
  }
  return mechanism;
}

std::optional<RecordError> parse_modifier(std::string_view term, std::size_t equals, Record& record) {
  const std::string_view name = term.substr(0, equals);
  const std::string_view value = term.substr(equals + 1);
  const std::string lower_name = lower(name);
  if (lower_name == "redirect" || lower_name == "exp") {
    // RFC 7208 6: each at most once; the value is a domain-spec (an empty one too is an error).
    std::optional<std::string>& slot = lower_name == "redirect" ? record.redirect : record.explanation;
    if (slot) {
      return RecordError{lower_name + "= appears more than once"};
    }
    if (auto error = check_domain_spec(value)) {
      error->message += " in " + quoted(term);
      return error;
    }
    slot = std::string(value);
    return std::nullopt;
  }
  // RFC 7208 6 para 3: unknown modifiers are ignored, but must be name "=" macro-string.
  if (auto error = check_macro_string(value, MacroUse::explanation)) {
    return RecordError{error->message + " in " + quoted(term)};
  }
  record.unknown_modifiers.push_back({std::string(name), std::string(value)});
  return std::nullopt;
}

}  // namespace

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  const std::string terminated(text);
  IpAddress address;
  address.v6 = terminated.find(':') != std::string::npos;
  if (inet_pton(address.v6 ? AF_INET6 : AF_INET, terminated.c_str(), address.bytes.data()) != 1) {
    return std::nullopt;
  }
  return address;
}

std::string IpAddress::to_string() const {
  std::array<char, INET6_ADDRSTRLEN> printed{};
  if (inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), printed.data(), printed.size()) == nullptr) {
    return {};
  }
  return printed.data();
}

bool IpAddress::is_v4_mapped() const {
  return v6 && std::all_of(bytes.begin(), bytes.begin() + 10, [](std::uint8_t byte) { return byte == 0; }) &&
         bytes[10] == 0xFF && bytes[11] == 0xFF;
}

IpAddress IpAddress::unmapped() const {
  if (!is_v4_mapped()) {
    return *this;
  }
  IpAddress v4;
  std::copy(bytes.begin() + 12, bytes.end(), v4.bytes.begin());
  return v4;
}

bool IpAddress::in_network(const IpAddress& network, unsigned prefix) const {
  if (v6 != network.v6) {
    return false;
  }
  prefix = std::min(prefix, v6 ? k_ip6_cidr_max : k_ip4_cidr_max);
  const std::size_t whole = prefix / 8;
  if (!std::equal(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(whole), network.bytes.begin())) {
    return false;
  }
  const unsigned rest = prefix % 8;
  if (rest == 0) {
    return true;
  }
  const auto mask = static_cast<std::uint8_t>(0xFF << (8 - rest));
  return (bytes[whole] & mask) == (network.bytes[whole] & mask);
}

bool Mechanism::queries_dns() const {
  switch (kind) {
    case MechanismKind::include:
    case MechanismKind::a:
    case MechanismKind::mx:
    case MechanismKind::ptr:
    case MechanismKind::exists:
      return true;
    case MechanismKind::all:
    case MechanismKind::ip4:
    case MechanismKind::ip6:
      return false;
  }
  return false;
}

bool is_spf_record(std::string_view text) {
  return text.size() >= k_version.size() && equals_ignoring_case(text.substr(0, k_version.size()), k_version) &&
         (text.size() == k_version.size() || text[k_version.size()] == ' ');
}

bool is_toplabel(std::string_view label) {
  if (label.empty()) {
    return false;
  }
  if (std::all_of(label.begin(), label.end(), is_alphanumeric)) {
    return std::any_of(label.begin(), label.end(), is_alpha);
  }
  return is_alphanumeric(label.front()) && is_alphanumeric(label.back()) &&
         std::all_of(label.begin(), label.end(), [](char c) { return is_alphanumeric(c) || c == '-'; });
}

std::optional<RecordError> check_domain_spec(std::string_view domain_spec) {
  if (domain_spec.empty()) {
    return RecordError{"empty domain-spec"};
  }
  if (const auto error = check_macro_string(domain_spec, MacroUse::domain)) {
    return RecordError{error->message};
  }
  if (ends_with_macro_expand(domain_spec)) {
    return std::nullopt;
  }
  std::string_view name = domain_spec;
  if (name.back() == '.') {
    name.remove_suffix(1);
  }
  const std::size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || !is_toplabel(name.substr(dot + 1))) {
    return RecordError{"domain-spec " + quoted(domain_spec) + " does not end in a top label or a macro"};
  }
  return std::nullopt;
}

std::variant<Record, RecordError> parse_record(std::string_view text) {
  if (!is_spf_record(text)) {
    return RecordError{"not an SPF record (no \"v=spf1\")"};
  }
  const std::string_view terms = text.substr(k_version.size());
  // RFC 7208 4.6.1 / 3.1: terms are separated by SP only, and records are US-ASCII.
  for (std::size_t i = 0; i < terms.size(); ++i) {
    const auto byte = static_cast<unsigned char>(terms[i]);
    if (byte < 0x20 || byte > 0x7E) {
      return RecordError{"character " + std::to_string(byte) + " (control or non-ASCII) in the record"};
    }
  }
  Record record;
  std::size_t at = 0;
  while (at < terms.size()) {
    if (terms[at] == ' ') {
      ++at;
      continue;
    }
    const std::size_t end = std::min(terms.find(' ', at), terms.size());
    const std::string_view term = terms.substr(at, end - at);
    at = end;
    if (const auto equals = modifier_equals(term)) {
      if (auto error = parse_modifier(term, *equals, record)) {
        return *error;
      }
      continue;
    }
    auto mechanism = parse_mechanism(term);
    if (auto* error = std::get_if<RecordError>(&mechanism)) {
      return *error;
    }
    record.mechanisms.push_back(std::move(std::get<Mechanism>(mechanism)));
  }
  return record;
}

}  // namespace maildog::auth::spf
