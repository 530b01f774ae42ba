#include "auth/ptr.hpp"

namespace maildog::auth {

std::string reversed_address(const spf::IpAddress& ip) {
  const spf::IpAddress address = ip.unmapped();
  std::string name;
  if (!address.v6) {
    for (int i = 3; i >= 0; --i) {
      name += std::to_string(address.bytes[static_cast<std::size_t>(i)]);
      if (i > 0) {
        name += '.';
      }
    }
    return name;
  }
  constexpr std::string_view digits = "0123456789abcdef";
  for (int i = 15; i >= 0; --i) {
    const unsigned byte = address.bytes[static_cast<std::size_t>(i)];
    name += digits[byte & 0x0Fu];
    name += '.';
    name += digits[byte >> 4];
    if (i > 0) {
      name += '.';
    }
  }
  return name;
}

std::string reverse_lookup_name(const spf::IpAddress& ip) {
  return reversed_address(ip) + (ip.unmapped().v6 ? ".ip6.arpa" : ".in-addr.arpa");
}

PtrResult check_ptr(const spf::IpAddress& ip, dns::Resolver& resolver) {
  PtrResult result;
  const spf::IpAddress address = ip.unmapped();
  const std::string reverse_name = reverse_lookup_name(address);
  const dns::LookupResult names = resolver.lookup(reverse_name, dns::RecordType::ptr);
  if (names.is_error()) {
    result.status = IprevStatus::temperror;
    result.reason = "PTR " + reverse_name + ": " + std::string(name_of(dns::k_lookup_status_names, names.status));
    return result;
  }
  if (names.status != dns::LookupResult::Status::ok || names.records.empty()) {
    result.reason = "no PTR record for " + address.to_string();
    return result;
  }

  const dns::RecordType forward_type = address.v6 ? dns::RecordType::aaaa : dns::RecordType::a;
  bool forward_error = false;
  unsigned looked_up = 0;
  for (const std::string& name : names.records) {
    if (looked_up == k_iprev_names_max) {
      break;
    }
    ++looked_up;
    const std::string hostname = dns::canonical_name(name);
    if (!dns::is_queryable_name(hostname)) {
      continue;
    }
    const dns::LookupResult addresses = resolver.lookup(hostname, forward_type);
    if (addresses.is_error()) {
      forward_error = true;
      continue;
    }
    for (const std::string& text : addresses.records) {
      const auto forward = spf::IpAddress::parse(text);
      if (forward && forward->unmapped() == address) {
        result.status = IprevStatus::pass;
        result.hostname = hostname;
        result.reason = hostname + " resolves to " + address.to_string();
        return result;
      }
    }
  }
  result.hostname = dns::canonical_name(names.records.front());
  if (forward_error) {
    result.status = IprevStatus::temperror;
    result.reason = "a forward lookup of the PTR names failed";
    return result;
  }
  result.status = IprevStatus::fail;
  result.reason = "no PTR name of " + address.to_string() + " resolves back to it";
  return result;
}

}  // namespace maildog::auth
