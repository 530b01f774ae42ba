#include "auth/dmarc/record.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

#include "core/ascii.hpp"

namespace maildog::auth::dmarc {

namespace {

bool is_wsp(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view text) { return ascii::trim(text, " \t\r\n"); }

using ascii::lower;

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  while (true) {
    const std::size_t at = text.find(separator);
    parts.push_back(trim(text.substr(0, at)));
    if (at == std::string_view::npos) {
      return parts;
    }
    text.remove_prefix(at + 1);
  }
}

std::optional<unsigned> parse_unsigned(std::string_view text, std::size_t max_digits) {
  if (text.empty() || text.size() > max_digits ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  unsigned long long value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  if (value > 0xFFFFFFFFULL) {
    return std::nullopt;
  }
  return static_cast<unsigned>(value);
}

std::optional<Policy> parse_policy(std::string_view text) { return lookup_name(k_policy_names, lower(text)); }

std::optional<Alignment> parse_alignment(std::string_view text) {
  const std::string value = lower(text);
  if (value == "r") {
    return Alignment::relaxed;
  }
  if (value == "s") {
    return Alignment::strict;
  }
  return std::nullopt;
}

// RFC 7489 6.4 dmarc-uri: an RFC 3986 URI, then an optional "!" size with a k/m/g/t unit.
bool is_valid_report_uri(std::string_view text) {
  const std::size_t bang = text.find('!');
  if (bang != std::string_view::npos) {
    std::string_view size = text.substr(bang + 1);
    if (!size.empty() && std::string_view("kmgtKMGT").find(size.back()) != std::string_view::npos) {
      size.remove_suffix(1);
    }
    if (!parse_unsigned(size, 20)) {
      return false;
    }
    text = text.substr(0, bang);
  }
  // RFC 3986 3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), then ":" and a rest.
  const std::size_t colon = text.find(':');
  if (colon == 0 || colon == std::string_view::npos || colon + 1 == text.size() ||
      !std::isalpha(static_cast<unsigned char>(text.front()))) {
    return false;
  }
  const auto scheme_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '+' || c == '-' || c == '.';
  };
  const std::string_view scheme = text.substr(0, colon);
  if (!std::all_of(scheme.begin(), scheme.end(), scheme_char)) {
    return false;
  }
  return std::none_of(text.begin(), text.end(),
                      [](char c) { return is_wsp(c) || static_cast<unsigned char>(c) < 0x21 || c == 0x7F; });
}

// The valid URIs of a rua=/ruf= list; invalid ones are dropped (no reports are sent to them).
std::vector<std::string> parse_uri_list(std::string_view text) {
  std::vector<std::string> uris;
  for (const std::string_view uri : split(text, ',')) {
    if (is_valid_report_uri(uri)) {
      uris.emplace_back(uri);
    }
  }
  return uris;
}

// RFC 7489 6.4 dmarc-fo: "0" / "1" / "d" / "s", colon separated.
bool is_valid_failure_options(std::string_view text) {
  const auto parts = split(text, ':');
  return std::all_of(parts.begin(), parts.end(),
                     [](std::string_view part) { return part == "0" || part == "1" || part == "d" || part == "s"; });
}

// RFC 7489 6.4 dmarc-rfmt: RFC 5321 Keywords (Ldh-str), colon separated.
bool is_valid_report_format(std::string_view text) {
  const auto parts = split(text, ':');
  return std::all_of(parts.begin(), parts.end(), [](std::string_view part) {
    return !part.empty() && std::isalnum(static_cast<unsigned char>(part.front())) != 0 &&
           std::isalnum(static_cast<unsigned char>(part.back())) != 0 &&
           std::all_of(part.begin(), part.end(),
                       [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-'; });
  });
}

ParsedRecord invalid(std::string error) {
  ParsedRecord parsed;
  parsed.status = ParsedRecord::Status::invalid;
  parsed.error = std::move(error);
  return parsed;
}

}  // namespace

ParsedRecord parse_record(std::string_view text) {
  std::vector<std::string_view> tags = split(text, ';');
  if (!tags.empty() && tags.back().empty()) {
    tags.pop_back();  // a trailing ";" (RFC 6376 3.2 tag-list, which RFC 7489 6.4 uses)
  }
  // RFC 7489 6.3 "v": the first tag, exactly "DMARC1"; anything else is not a DMARC record.
  if (tags.empty()) {
    return ParsedRecord{};
  }
  {
    const std::size_t equals = tags.front().find('=');
    if (equals == std::string_view::npos || lower(trim(tags.front().substr(0, equals))) != "v" ||
        trim(tags.front().substr(equals + 1)) != "DMARC1") {
      return ParsedRecord{};
    }
  }

  ParsedRecord parsed;
  parsed.status = ParsedRecord::Status::ok;
  Record& record = parsed.record;
  std::set<std::string> seen{"v"};
  bool policy_valid = false;
  bool subdomain_policy_valid = true;
  bool rua_present = false;

  for (std::size_t i = 1; i < tags.size(); ++i) {
    const std::string_view tag = tags[i];
    const std::size_t equals = tag.find('=');
    if (equals == std::string_view::npos) {
      return invalid("tag without '=': \"" + std::string(tag) + "\"");
    }
    const std::string name = lower(trim(tag.substr(0, equals)));
    const std::string_view value = trim(tag.substr(equals + 1));
    if (name.empty()) {
      return invalid("empty tag name");
    }
    if (!seen.insert(name).second) {
      return invalid("duplicate tag " + name + "=");
    }
    if (name == "p") {
      if (const auto policy = parse_policy(value)) {
        record.policy = *policy;
        policy_valid = true;
      }
    } else if (name == "sp") {
      record.subdomain_policy = parse_policy(value);
      subdomain_policy_valid = record.subdomain_policy.has_value();
    } else if (name == "adkim" || name == "aspf") {
      const auto alignment = parse_alignment(value);
      if (!alignment) {
        return invalid(name + "= must be r or s, not \"" + std::string(value) + "\"");
      }
      (name == "adkim" ? record.dkim_alignment : record.spf_alignment) = *alignment;
    } else if (name == "pct") {
      const auto percent = parse_unsigned(value, 3);
      if (!percent || *percent > 100) {
        return invalid("pct= must be an integer from 0 to 100, not \"" + std::string(value) + "\"");
      }
      record.percent = *percent;
    } else if (name == "rua") {
      rua_present = true;
      record.aggregate_report_uris = parse_uri_list(value);
    } else if (name == "ruf") {
      record.failure_report_uris = parse_uri_list(value);
    } else if (name == "fo") {
      if (!is_valid_failure_options(value)) {
        return invalid("fo= must list 0, 1, d or s separated by ':', not \"" + std::string(value) + "\"");
      }
      record.failure_options = std::string(value);
    } else if (name == "rf") {
      if (!is_valid_report_format(value)) {
        return invalid("rf= must list keywords separated by ':', not \"" + std::string(value) + "\"");
      }
      record.report_format = std::string(value);
    } else if (name == "ri") {
      const auto interval = parse_unsigned(value, 10);
      if (!interval) {
        return invalid("ri= must be a number of seconds, not \"" + std::string(value) + "\"");
      }
      record.report_interval = *interval;
    }
    // RFC 7489 6.3: "Unknown tags MUST be ignored."
  }

  // RFC 7489 6.6.3 6: no valid p=, or an invalid sp=.
  if (!policy_valid || !subdomain_policy_valid) {
    const std::string problem = !policy_valid ? (seen.count("p") != 0 ? "invalid p=" : "no p=") : "invalid sp=";
    if (!rua_present || record.aggregate_report_uris.empty()) {
      return invalid(problem + " and no valid rua= URI (RFC 7489 6.6.3)");
    }
    record.policy = Policy::none;
    record.subdomain_policy.reset();
    record.policy_defaulted = true;
  }
  return parsed;
}

}  // namespace maildog::auth::dmarc
