#include "auth/dkim/signature.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <set>

#include "core/ascii.hpp"

namespace maildog::auth::dkim {
namespace {

// RFC 6376 3.5: t= and x= are 1*12DIGIT; l= is 1*76DIGIT (anything past 2^64-1 cannot match).
constexpr std::size_t max_time_digits = 12;

bool is_fws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_high(char c) { return static_cast<unsigned char>(c) >= 0x80; }

using ascii::iequals;
using ascii::lower;

std::string_view trim_fws(std::string_view text) { return ascii::trim(text, " \t\r\n"); }

// RFC 6376 3.2: tag-name = ALPHA *ALNUMPUNC.
bool is_tag_name(std::string_view name) {
  if (name.empty() || !is_alpha(name.front())) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) { return is_alpha(c) || is_digit(c) || c == '_'; });
}

// RFC 6376 3.2: VALCHAR = %x21-3A / %x3C-7E, separated by FWS; octets >= 0x80 for RFC 8616.
bool is_tag_value(std::string_view value) {
  return std::all_of(value.begin(), value.end(),
                     [](char c) { return is_fws(c) || is_high(c) || (c >= 0x21 && c <= 0x7E && c != ';'); });
}

std::optional<std::uint64_t> parse_decimal(std::string_view text, std::size_t max_digits) {
  if (text.empty() || text.size() > max_digits || !std::all_of(text.begin(), text.end(), is_digit)) {
    return std::nullopt;
  }
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

bool is_label(std::string_view label, bool allow_underscore) {
  if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
    return false;
  }
  return std::all_of(label.begin(), label.end(), [&](char c) {
    return is_alpha(c) || is_digit(c) || c == '-' || is_high(c) || (allow_underscore && c == '_');
  });
}

bool is_dotted_name(std::string_view name, bool allow_underscore) {
  if (name.empty() || name.size() > 253) {
    return false;
  }
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = name.find('.', start);
    const std::string_view label = name.substr(start, dot == std::string_view::npos ? name.npos : dot - start);
    if (!is_label(label, allow_underscore)) {
      return false;
    }
    if (dot == std::string_view::npos) {
      return true;
    }
    start = dot + 1;
  }
}

// RFC 5322 field-name: printable US-ASCII except ':'.
bool is_field_name(std::string_view name) {
  return !name.empty() &&
         std::all_of(name.begin(), name.end(), [](char c) { return c >= 0x21 && c <= 0x7E && c != ':'; });
}

const Tag* find_tag(const std::vector<Tag>& tags, std::string_view name) {
  const auto it = std::find_if(tags.begin(), tags.end(), [&](const Tag& tag) { return tag.name == name; });
  return it == tags.end() ? nullptr : &*it;
}

std::optional<Algorithm> parse_algorithm(std::string_view text) {
  const std::string name = lower(text);
  if (name == "rsa-sha256") {
    return Algorithm::rsa_sha256;
  }
  if (name == "ed25519-sha256") {
    return Algorithm::ed25519_sha256;
  }
  if (name == "rsa-sha1") {
    return Algorithm::rsa_sha1;
  }
  return std::nullopt;
}

std::optional<Canonicalization> parse_canonicalization(std::string_view text) {
  const std::string name = lower(trim_fws(text));
  if (name == "simple") {
    return Canonicalization::simple;
  }
  if (name == "relaxed") {
    return Canonicalization::relaxed;
  }
  return std::nullopt;
}

SignatureError error(std::string message) { return SignatureError{std::move(message)}; }

}  // namespace

std::string_view algorithm_name(Algorithm algorithm) {
  switch (algorithm) {
    case Algorithm::rsa_sha1:
      return "rsa-sha1";
    case Algorithm::rsa_sha256:
      return "rsa-sha256";
    case Algorithm::ed25519_sha256:
      return "ed25519-sha256";
  }
  return "unknown";
}

std::string_view canonicalization_name(Canonicalization canon) {
  return canon == Canonicalization::relaxed ? "relaxed" : "simple";
}

std::variant<std::vector<Tag>, TagListError> parse_tag_list(std::string_view text) {
  std::vector<Tag> tags;
  std::set<std::string> seen;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t semicolon = std::min(text.find(';', start), text.size());
    const std::string_view spec = text.substr(start, semicolon - start);
    const std::size_t spec_start = start;
    start = semicolon + 1;
    if (trim_fws(spec).empty()) {
      // An empty tag-spec: the optional trailing ';' of 3.2, tolerated between tags as well.
      continue;
    }
    const std::size_t equals = spec.find('=');
    if (equals == std::string_view::npos) {
      return TagListError{"tag \"" + std::string(trim_fws(spec)) + "\" has no '='"};
    }
    const std::string_view name = trim_fws(spec.substr(0, equals));
    if (!is_tag_name(name)) {
      return TagListError{"invalid tag name \"" + std::string(name) + "\""};
    }
    const std::string_view raw_value = spec.substr(equals + 1);
    const std::string_view value = trim_fws(raw_value);
    if (!is_tag_value(value)) {
      return TagListError{"tag \"" + std::string(name) + "\" has a character not allowed in a value"};
    }
    if (!seen.insert(std::string(name)).second) {
      return TagListError{"duplicate tag \"" + std::string(name) + "\""};
    }
    Tag tag;
    tag.name = std::string(name);
    tag.value = std::string(value);
    tag.value_begin = value.empty() ? spec_start + equals + 1 : static_cast<std::size_t>(value.data() - text.data());
    tag.value_end = tag.value_begin + value.size();
    tags.push_back(std::move(tag));
  }
  return tags;
}

std::optional<std::string> decode_base64(std::string_view text) {
  static constexpr auto table = [] {
    std::array<signed char, 256> t{};
    t.fill(-1);
    constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (std::size_t i = 0; i < alphabet.size(); ++i) {
      t[static_cast<unsigned char>(alphabet[i])] = static_cast<signed char>(i);
    }
    return t;
  }();
  std::string out;
  std::uint32_t accumulator = 0;
  int bits = 0;
  std::size_t symbols = 0;
  std::size_t padding = 0;
  for (const char c : text) {
    if (is_fws(c)) {
      continue;
    }
    if (c == '=') {
      ++padding;
      continue;
    }
    const signed char sextet = table[static_cast<unsigned char>(c)];
    if (sextet < 0 || padding > 0) {
      return std::nullopt;  // a bad character, or data after padding
    }
    accumulator = (accumulator << 6) | static_cast<std::uint32_t>(sextet);
    bits += 6;
    ++symbols;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((accumulator >> bits) & 0xFF));
    }
  }
  // A final group of one symbol cannot carry a byte; padding, when present, must complete it.
  if (symbols % 4 == 1 || (padding > 0 && (symbols + padding) % 4 != 0) || padding > 2) {
    return std::nullopt;
  }
  return out;
}

std::string encode_base64(std::string_view bytes) {
  constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const std::uint32_t group = (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16) |
                                (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8) |
                                static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 2]));
    out.push_back(alphabet[(group >> 18) & 0x3F]);
    out.push_back(alphabet[(group >> 12) & 0x3F]);
    out.push_back(alphabet[(group >> 6) & 0x3F]);
    out.push_back(alphabet[group & 0x3F]);
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t group = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (rest == 2) {
      group |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    }
    out.push_back(alphabet[(group >> 18) & 0x3F]);
    out.push_back(alphabet[(group >> 12) & 0x3F]);
    out.push_back(rest == 2 ? alphabet[(group >> 6) & 0x3F] : '=');
    out.push_back('=');
  }
  return out;
}

bool is_valid_domain(std::string_view domain) { return is_dotted_name(domain, false); }

bool is_valid_selector(std::string_view selector) { return is_dotted_name(selector, true); }

bool is_same_or_subdomain(std::string_view domain, std::string_view parent) {
  if (iequals(domain, parent)) {
    return true;
  }
  return domain.size() > parent.size() && domain[domain.size() - parent.size() - 1] == '.' &&
         iequals(domain.substr(domain.size() - parent.size()), parent);
}

std::variant<Signature, SignatureError> parse_signature(std::string_view raw_header) {
  Signature sig;
  if (raw_header.size() >= 2 && raw_header.substr(raw_header.size() - 2) == "\r\n") {
    raw_header.remove_suffix(2);
  }
  sig.raw_header = std::string(raw_header);
  const std::size_t colon = raw_header.find(':');
  if (colon == std::string_view::npos || !iequals(trim_fws(raw_header.substr(0, colon)), "DKIM-Signature")) {
    return error("not a DKIM-Signature header field");
  }
  const std::size_t value_offset = colon + 1;
  auto parsed = parse_tag_list(raw_header.substr(value_offset));
  if (const auto* failure = std::get_if<TagListError>(&parsed)) {
    return error(failure->message);
  }
  const auto& tags = std::get<std::vector<Tag>>(parsed);

  // RFC 6376 6.1.1: required tags (v a b bh d h s), then each tag's syntax.
  for (const char* required : {"v", "a", "b", "bh", "d", "h", "s"}) {
    if (find_tag(tags, required) == nullptr) {
      return error(std::string("missing required tag ") + required + "=");
    }
  }
  if (find_tag(tags, "v")->value != "1") {
    return error("incompatible version v=" + find_tag(tags, "v")->value);
  }

  const Tag& a = *find_tag(tags, "a");
  const auto algorithm = parse_algorithm(a.value);
  if (!algorithm) {
    return error("unsupported algorithm a=" + a.value);
  }
  sig.algorithm = *algorithm;

  const Tag& b = *find_tag(tags, "b");
  const auto signature = decode_base64(b.value);
  if (!signature || signature->empty()) {
    return error("b= is not valid base64");
  }
  sig.signature = *signature;
  sig.b_value_begin = value_offset + b.value_begin;
  sig.b_value_end = value_offset + b.value_end;

  const auto body_hash = decode_base64(find_tag(tags, "bh")->value);
  if (!body_hash || body_hash->empty()) {
    return error("bh= is not valid base64");
  }
  sig.body_hash = *body_hash;

  if (const Tag* c = find_tag(tags, "c")) {
    const std::size_t slash = c->value.find('/');
    const auto header = parse_canonicalization(std::string_view(c->value).substr(0, slash));
    const auto body = slash == std::string::npos ? std::optional(Canonicalization::simple)
                                                 : parse_canonicalization(std::string_view(c->value).substr(slash + 1));
    if (!header || !body) {
      return error("unsupported canonicalization c=" + c->value);
    }
    sig.header_canonicalization = *header;
    sig.body_canonicalization = *body;
  }

  sig.domain = find_tag(tags, "d")->value;
  if (!is_valid_domain(sig.domain)) {
    return error("invalid domain d=" + sig.domain);
  }

  const std::string& h = find_tag(tags, "h")->value;
  std::size_t start = 0;
  while (start <= h.size()) {
    const std::size_t next = std::min(h.find(':', start), h.size());
    const std::string_view name = trim_fws(std::string_view(h).substr(start, next - start));
    if (!is_field_name(name)) {
      return error("invalid header field name in h=");
    }
    sig.signed_headers.emplace_back(name);
    start = next + 1;
  }
  // RFC 6376 5.4: "The From header field MUST be signed"; 6.1.1 makes its absence an error.
  if (std::none_of(sig.signed_headers.begin(), sig.signed_headers.end(),
                   [](const std::string& name) { return iequals(name, "From"); })) {
    return error("h= does not include From");
  }

  if (const Tag* i = find_tag(tags, "i")) {
    const std::size_t at = i->value.rfind('@');
    if (at == std::string::npos || !is_valid_domain(std::string_view(i->value).substr(at + 1))) {
      return error("invalid identity i=" + i->value);
    }
    // RFC 6376 3.5 i=: "the domain part of the address MUST be the same as, or a subdomain of,
    // the value of the d= tag".
    if (!is_same_or_subdomain(std::string_view(i->value).substr(at + 1), sig.domain)) {
      return error("i= domain is not within d=");
    }
    sig.identity = i->value;
  } else {
    sig.identity = "@" + sig.domain;
  }

  if (const Tag* l = find_tag(tags, "l")) {
    sig.body_length = parse_decimal(l->value, 76);
    if (!sig.body_length) {
      return error("invalid body length l=" + l->value);
    }
  }

  if (const Tag* q = find_tag(tags, "q")) {
    // RFC 6376 3.5 q=: a colon-separated list; "dns/txt" is the only method defined.
    bool dns_txt = false;
    std::size_t from = 0;
    while (from <= q->value.size()) {
      const std::size_t next = std::min(q->value.find(':', from), q->value.size());
      const std::string method = lower(trim_fws(std::string_view(q->value).substr(from, next - from)));
      dns_txt = dns_txt || method == "dns/txt" || method.rfind("dns/txt/", 0) == 0;
      from = next + 1;
    }
    if (!dns_txt) {
      return error("no supported query method in q=" + q->value);
    }
  }

  sig.selector = find_tag(tags, "s")->value;
  if (!is_valid_selector(sig.selector)) {
    return error("invalid selector s=" + sig.selector);
  }

  if (const Tag* t = find_tag(tags, "t")) {
    const auto value = parse_decimal(t->value, max_time_digits);
    if (!value) {
      return error("invalid timestamp t=" + t->value);
    }
    sig.timestamp = static_cast<std::int64_t>(*value);
  }
  if (const Tag* x = find_tag(tags, "x")) {
    const auto value = parse_decimal(x->value, max_time_digits);
    if (!value) {
      return error("invalid expiration x=" + x->value);
    }
    sig.expiration = static_cast<std::int64_t>(*value);
    // RFC 6376 3.5 x=: "the value of the "x=" tag MUST be greater than the value of the "t=" tag".
    // Equal values are tolerated: the signature is simply expired at once.
    if (sig.timestamp && *sig.expiration < *sig.timestamp) {
      return error("x= is earlier than t=");
    }
  }

  if (const Tag* z = find_tag(tags, "z")) {
    sig.copied_headers = z->value;
  }
  return sig;
}

}  // namespace maildog::auth::dkim
