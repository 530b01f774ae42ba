#include "dns/fixture_resolver.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <array>
#include <cctype>
#include <charconv>
#include <stdexcept>

namespace maildog::dns {

namespace {

std::string upper(std::string_view text) {
  std::string result(text);
  for (char& c : result) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return result;
}

std::string where(std::string_view name, std::string_view type, std::string_view value) {
  return std::string(name) + " " + std::string(type) + " \"" + std::string(value) + "\"";
}

// The address as inet_ntop prints it, so fixture answers look like live ones.
std::string canonical_address(int family, const std::string& text, std::string_view name, std::string_view type) {
  std::array<unsigned char, sizeof(in6_addr)> bytes{};
  std::array<char, INET6_ADDRSTRLEN> printed{};
  if (inet_pton(family, text.c_str(), bytes.data()) != 1 ||
      inet_ntop(family, bytes.data(), printed.data(), printed.size()) == nullptr) {
    throw std::invalid_argument("dns fixture: not an address: " + where(name, type, text));
  }
  return printed.data();
}

// "10 mail.example.com" -> the same, checked: a preference 0..65535, one space, a host ("" or
// "." for RFC 7505 null MX).
std::string checked_mx(const std::string& text, std::string_view name) {
  const std::size_t space = text.find(' ');
  unsigned preference = 0;
  const char* end = space == std::string::npos ? text.data() + text.size() : text.data() + space;
  const auto [stop, error] = std::from_chars(text.data(), end, preference);
  if (error != std::errc() || stop != end || stop == text.data() || preference > 65535) {
    throw std::invalid_argument("dns fixture: MX is not \"preference host\": " + where(name, "MX", text));
  }
  const std::string host = space == std::string::npos ? std::string() : text.substr(space + 1);
  return std::to_string(preference) + " " + (host.empty() ? std::string(".") : host);
}

std::optional<LookupResult::Status> failure_named(std::string_view type) {
  if (type == "NXDOMAIN") {
    return LookupResult::Status::nxdomain;
  }
  if (type == "SERVFAIL") {
    return LookupResult::Status::servfail;
  }
  if (type == "TIMEOUT") {
    return LookupResult::Status::timeout;
  }
  return std::nullopt;
}

}  // namespace

FixtureResolver::FixtureResolver(const Records& records) {
  for (const auto& [name, types] : records) {
    Node& node = nodes_[canonical_name(name)];
    for (const auto& [type_text, values] : types) {
      const std::string type_name = upper(type_text);
      if (const auto failure = failure_named(type_name)) {
        node.failure = failure;
        continue;
      }
      const auto type = lookup_name(k_record_type_names, type_name);
      if (!type) {
        continue;  // NS, SPF, ...: the name exists
      }
      std::vector<std::string>& stored = node.records[*type];
      for (const std::string& value : values) {
        switch (*type) {
          case RecordType::a:
            stored.push_back(canonical_address(AF_INET, value, name, type_name));
            break;
          case RecordType::aaaa:
            stored.push_back(canonical_address(AF_INET6, value, name, type_name));
            break;
          case RecordType::mx:
            stored.push_back(checked_mx(value, name));
            break;
          case RecordType::txt:
          case RecordType::ptr:
          case RecordType::cname:
            stored.push_back(value);
            break;
        }
      }
      if (*type == RecordType::cname && stored.size() > 1) {
        throw std::invalid_argument("dns fixture: more than one CNAME for " + name);
      }
      if (stored.empty()) {
        node.records.erase(*type);
      }
    }
  }
}

LookupResult FixtureResolver::lookup(std::string_view name, RecordType type) {
  std::string current = canonical_name(name);
  // Follows CNAMEs as a recursive resolver does (RFC 1034 3.6.2), at most k_cname_chain_max.
  for (unsigned step = 0; step <= k_cname_chain_max; ++step) {
    const auto found = nodes_.find(current);
    if (found == nodes_.end()) {
      return {LookupResult::Status::nxdomain, {}};
    }
    const Node& node = found->second;
    if (const auto records = node.records.find(type); records != node.records.end()) {
      return {LookupResult::Status::ok, records->second};
    }
    if (const auto alias = node.records.find(RecordType::cname); alias != node.records.end()) {
      current = canonical_name(alias->second.front());
      continue;
    }
    return {node.failure.value_or(LookupResult::Status::nodata), {}};
  }
  return {LookupResult::Status::servfail, {}};
}

}  // namespace maildog::dns
