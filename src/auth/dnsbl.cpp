#include "auth/dnsbl.hpp"

#include "auth/ptr.hpp"

namespace maildog::auth {

namespace {

// RFC 5782 2.1: entries are A records in 127.0.0.0/8; this tool counts 127.0.0.x as listed.
bool is_listing_answer(const std::string& text) {
  const auto address = spf::IpAddress::parse(text);
  return address && !address->v6 && address->bytes[0] == 127 && address->bytes[1] == 0 && address->bytes[2] == 0;
}

}  // namespace

std::vector<DnsblResult> check_dnsbl(const spf::IpAddress& ip, const std::vector<std::string>& zones,
                                     dns::Resolver& resolver) {
  std::vector<DnsblResult> results;
  const std::string reversed = reversed_address(ip);
  for (const std::string& zone : zones) {
    DnsblResult result;
    result.zone = dns::canonical_name(zone);
    const std::string name = reversed + "." + result.zone;
    if (!dns::is_queryable_name(name)) {
      result.reason = "cannot query " + name;
      results.push_back(std::move(result));
      continue;
    }
    const dns::LookupResult answer = resolver.lookup(name, dns::RecordType::a);
    if (answer.is_error()) {
      result.temperror = true;
      result.reason = "DNS " + std::string(name_of(dns::k_lookup_status_names, answer.status)) + " for " + name;
    } else if (answer.status != dns::LookupResult::Status::ok) {
      result.reason = "not listed";
    } else {
      for (const std::string& record : answer.records) {
        result.answer += (result.answer.empty() ? "" : ",") + record;
        result.listed = result.listed || is_listing_answer(record);
      }
      if (!result.listed) {
        result.reason = "answer outside 127.0.0.0/24 ignored";
      } else {
        const dns::LookupResult text = resolver.lookup(name, dns::RecordType::txt);
        result.reason = text.status == dns::LookupResult::Status::ok && !text.records.empty()
                            ? text.records.front()
                            : "listed in " + result.zone;
      }
    }
    results.push_back(std::move(result));
  }
  return results;
}

}  // namespace maildog::auth
