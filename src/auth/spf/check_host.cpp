#include "auth/spf/check_host.hpp"

#include <algorithm>
#include <iterator>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "auth/spf/macro.hpp"

namespace maildog::auth::spf {

namespace {

using dns::LookupResult;
using dns::RecordType;

// One level of check_host(): its result, and for fail the exp= of the record that failed, which
// is looked up only once, at the top (RFC 7208 6.2: include never uses the included exp=).
struct Outcome {
  SpfStatus status = SpfStatus::none;
  std::string mechanism;
  std::string reason;
  std::optional<std::string> explanation_spec;
  std::string explanation_domain;
};

SpfStatus status_of(Qualifier qualifier) {
  switch (qualifier) {
    case Qualifier::pass:
      return SpfStatus::pass;
    case Qualifier::fail:
      return SpfStatus::fail;
    case Qualifier::softfail:
      return SpfStatus::softfail;
    case Qualifier::neutral:
      return SpfStatus::neutral;
  }
  return SpfStatus::neutral;
}

std::string without_trailing_dot(std::string name) {
  if (!name.empty() && name.back() == '.') {
    name.pop_back();
  }
  return name;
}

// RFC 7208 4.3: a <domain> that is malformed (bad label lengths, empty labels), a single label,
// an address literal or an IPv4 address gives "none" without any query.
bool is_checkable_domain(std::string_view domain) {
  if (!dns::is_queryable_name(domain) || domain.front() == '[') {
    return false;
  }
  std::string_view name = domain;
  if (name.back() == '.') {
    name.remove_suffix(1);
  }
  const std::size_t dot = name.rfind('.');
  if (dot == std::string_view::npos) {
    return false;
  }
  const std::string_view last = name.substr(dot + 1);
  return !std::all_of(last.begin(), last.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "192.0.2.3" -> "3.2.0.192.in-addr.arpa"; IPv6 -> 32 reversed nibbles + ".ip6.arpa" (RFC 3596).
std::string reverse_name(const IpAddress& ip) {
  std::string name;
  if (!ip.v6) {
    for (int i = 3; i >= 0; --i) {
      name += std::to_string(ip.bytes[static_cast<std::size_t>(i)]) + ".";
    }
    return name + "in-addr.arpa";
  }
  static constexpr std::string_view hex = "0123456789abcdef";
  for (auto byte = ip.bytes.rbegin(); byte != ip.bytes.rend(); ++byte) {
    name += hex[*byte & 0x0F];
    name += '.';
    name += hex[*byte >> 4];
    name += '.';
  }
  return name + "ip6.arpa";
}

bool is_same_or_subdomain(std::string_view name, std::string_view domain) {
  const std::string candidate = dns::canonical_name(name);
  const std::string parent = dns::canonical_name(domain);
  return candidate == parent || (candidate.size() > parent.size() &&
                                 candidate.compare(candidate.size() - parent.size(), parent.size(), parent) == 0 &&
                                 candidate[candidate.size() - parent.size() - 1] == '.');
}

std::string lookup_text(std::string_view name, RecordType type, LookupResult::Status status) {
  return std::string(name_of(dns::k_record_type_names, type)) + " " + std::string(name) + ": " +
         std::string(name_of(dns::k_lookup_status_names, status));
}

class Evaluation {
 public:
  Evaluation(const IpAddress& ip, std::string sender, std::string helo, dns::Resolver& resolver,
             const SpfOptions& options)
      : ip_(ip.unmapped()), sender_(std::move(sender)), helo_(std::move(helo)), resolver_(resolver), options_(options) {
    const auto now = options.now.value_or(std::chrono::system_clock::now());
    timestamp_ = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  }

  Outcome check(const std::string& domain);
  std::string explanation(const Outcome& outcome);

  unsigned dns_lookups = 0;
  unsigned void_lookups = 0;

 private:
  using Matched = std::variant<bool, Outcome>;  // whether the mechanism matched, or the error

  Matched evaluate(const Mechanism& mechanism, const std::string& domain);
  Matched match_addresses(const std::string& name, const Mechanism& mechanism, bool counts_void);
  Matched match_mx(const std::string& name, const Mechanism& mechanism);
  Matched match_ptr(const std::string& target, const Mechanism& mechanism);

  // A mechanism's query: DNS errors end the check with temperror (RFC 7208 5 para 8), void
  // answers count against k_void_lookups_max. Unqueryable names are treated as NXDOMAIN.
  std::variant<LookupResult, Outcome> query(const std::string& name, RecordType type, const Mechanism& mechanism,
                                            bool counts_void);
  std::vector<std::string> validated_names();
  std::string validated_domain(const std::string& domain);
  MacroValues macro_values(const std::string& domain);
  std::variant<std::string, Outcome> target_name(const std::string& spec, const std::string& domain,
                                                 std::string_view term);
  bool address_matches(const std::string& text, const Mechanism& mechanism) const;

  IpAddress ip_;
  std::string sender_;
  std::string helo_;
  dns::Resolver& resolver_;
  const SpfOptions& options_;
  std::int64_t timestamp_ = 0;
  std::optional<std::vector<std::string>> validated_;           // PTR names that map back to ip_
  LookupResult::Status ptr_status_ = LookupResult::Status::ok;  // of the PTR query behind validated_
};

Outcome permerror(std::string mechanism, std::string reason) {
  return Outcome{SpfStatus::permerror, std::move(mechanism), std::move(reason), std::nullopt, {}};
}

Outcome temperror(std::string mechanism, std::string reason) {
  return Outcome{SpfStatus::temperror, std::move(mechanism), std::move(reason), std::nullopt, {}};
}

Outcome Evaluation::check(const std::string& domain) {
  if (!is_checkable_domain(domain)) {
    return Outcome{SpfStatus::none, {}, "\"" + domain + "\" is not a domain that can have an SPF record", {}, {}};
  }
  // RFC 7208 4.4: the record lookup itself is not one of the counted DNS mechanisms.
  const LookupResult answer = resolver_.lookup(domain, RecordType::txt);
  if (answer.is_error()) {
    return temperror({}, "DNS error looking up the SPF record: " + lookup_text(domain, RecordType::txt, answer.status));
  }
  std::vector<std::string> records;
  std::copy_if(answer.records.begin(), answer.records.end(), std::back_inserter(records), is_spf_record);
  if (records.empty()) {
    return Outcome{SpfStatus::none, {}, "no SPF record at " + domain, {}, {}};
  }
  if (records.size() > 1) {  // RFC 7208 4.5
    return permerror({}, std::to_string(records.size()) + " SPF records at " + domain);
  }
  auto parsed = parse_record(records.front());
  if (const auto* error = std::get_if<RecordError>(&parsed)) {
    return permerror({}, "SPF record of " + domain + ": " + error->message);
  }
  const Record& record = std::get<Record>(parsed);

  for (const Mechanism& mechanism : record.mechanisms) {
    if (mechanism.queries_dns() && ++dns_lookups > options_.dns_mechanisms_max) {
      return permerror(mechanism.text, "more than " + std::to_string(options_.dns_mechanisms_max) +
                                           " DNS-querying mechanisms and modifiers (RFC 7208 4.6.4)");
    }
    Matched matched = evaluate(mechanism, domain);
    if (auto* error = std::get_if<Outcome>(&matched)) {
      return std::move(*error);
    }
    if (std::get<bool>(matched)) {
      Outcome outcome{status_of(mechanism.qualifier),
                      mechanism.text,
                      "matched " + mechanism.text + " of " + domain,
                      std::nullopt,
                      {}};
      if (outcome.status == SpfStatus::fail && record.explanation) {
        outcome.explanation_spec = record.explanation;
        outcome.explanation_domain = domain;
      }
      return outcome;
    }
  }

  if (record.redirect) {  // RFC 7208 6.1
    const std::string term = "redirect=" + *record.redirect;
    if (++dns_lookups > options_.dns_mechanisms_max) {
      return permerror(term, "more than " + std::to_string(options_.dns_mechanisms_max) +
                                 " DNS-querying mechanisms and modifiers (RFC 7208 4.6.4)");
    }
    auto target = target_name(*record.redirect, domain, term);
    if (auto* error = std::get_if<Outcome>(&target)) {
      return std::move(*error);
    }
    Outcome redirected = check(std::get<std::string>(target));
    if (redirected.status == SpfStatus::none) {
      return permerror(term, "redirect target: " + redirected.reason);
    }
    return redirected;
  }
  return Outcome{
      SpfStatus::neutral, {}, "no mechanism of " + domain + " matched (default neutral, RFC 7208 4.7)", {}, {}};
}

Evaluation::Matched Evaluation::evaluate(const Mechanism& mechanism, const std::string& domain) {
  if (mechanism.kind == MechanismKind::all) {
    return true;
  }
  if (mechanism.kind == MechanismKind::ip4 || mechanism.kind == MechanismKind::ip6) {
    const unsigned prefix = mechanism.kind == MechanismKind::ip4 ? mechanism.ip4_prefix : mechanism.ip6_prefix;
    return ip_.in_network(mechanism.network, prefix);
  }
  auto target = target_name(mechanism.domain_spec.empty() ? domain : mechanism.domain_spec, domain, mechanism.text);
  if (auto* error = std::get_if<Outcome>(&target)) {
    return std::move(*error);
  }
  const std::string& name = std::get<std::string>(target);
  switch (mechanism.kind) {
    case MechanismKind::include: {  // RFC 7208 5.2 table
      Outcome included = check(name);
      switch (included.status) {
        case SpfStatus::pass:
          return true;
        case SpfStatus::fail:
        case SpfStatus::softfail:
        case SpfStatus::neutral:
          return false;
        case SpfStatus::temperror:
          return temperror(mechanism.text, mechanism.text + ": " + included.reason);
        case SpfStatus::permerror:
          return permerror(mechanism.text, mechanism.text + ": " + included.reason);
        case SpfStatus::none:
          return permerror(mechanism.text, mechanism.text + ": " + included.reason);
      }
      return false;
    }
    case MechanismKind::a:
      return match_addresses(name, mechanism, true);
    case MechanismKind::mx:
      return match_mx(name, mechanism);
    case MechanismKind::ptr:
      return match_ptr(name, mechanism);
    case MechanismKind::exists: {  // RFC 7208 5.7: an A query whatever the client's family
      auto answer = query(name, RecordType::a, mechanism, true);
      if (auto* error = std::get_if<Outcome>(&answer)) {
        return std::move(*error);
      }
      return std::get<LookupResult>(answer).status == LookupResult::Status::ok;
    }
    case MechanismKind::all:
    case MechanismKind::ip4:
    case MechanismKind::ip6:
      break;
  }
  return false;
}

std::variant<LookupResult, Outcome> Evaluation::query(const std::string& name, RecordType type,
                                                      const Mechanism& mechanism, bool counts_void) {
  LookupResult answer;
  if (dns::is_queryable_name(name)) {
    answer = resolver_.lookup(name, type);
  }
  if (answer.is_error()) {
    return temperror(mechanism.text, "DNS error in " + mechanism.text + ": " + lookup_text(name, type, answer.status));
  }
  if (answer.is_void() && counts_void && ++void_lookups > options_.void_lookups_max) {
    return permerror(mechanism.text, "more than " + std::to_string(options_.void_lookups_max) +
                                         " void lookups (RFC 7208 4.6.4), the last " +
                                         lookup_text(name, type, answer.status));
  }
  return answer;
}

bool Evaluation::address_matches(const std::string& text, const Mechanism& mechanism) const {
  const auto address = IpAddress::parse(text);
  return address && ip_.in_network(*address, ip_.v6 ? mechanism.ip6_prefix : mechanism.ip4_prefix);
}

// RFC 7208 5.3: A records for an IPv4 client, AAAA for IPv6, compared under the CIDR length.
Evaluation::Matched Evaluation::match_addresses(const std::string& name, const Mechanism& mechanism, bool counts_void) {
  auto answer = query(name, ip_.v6 ? RecordType::aaaa : RecordType::a, mechanism, counts_void);
  if (auto* error = std::get_if<Outcome>(&answer)) {
    return std::move(*error);
  }
  const auto& records = std::get<LookupResult>(answer).records;
  return std::any_of(records.begin(), records.end(),
                     [&](const std::string& record) { return address_matches(record, mechanism); });
}

// RFC 7208 5.4: the addresses of every MX host; more than k_mx_names_max names is a permerror.
Evaluation::Matched Evaluation::match_mx(const std::string& name, const Mechanism& mechanism) {
  auto answer = query(name, RecordType::mx, mechanism, true);
  if (auto* error = std::get_if<Outcome>(&answer)) {
    return std::move(*error);
  }
  const auto& records = std::get<LookupResult>(answer).records;
  if (records.size() > k_mx_names_max) {
    return permerror(mechanism.text, mechanism.text + ": " + std::to_string(records.size()) + " MX names, more than " +
                                         std::to_string(k_mx_names_max) + " (RFC 7208 4.6.4)");
  }
  for (const std::string& record : records) {
    const std::size_t space = record.find(' ');
    const std::string host = without_trailing_dot(space == std::string::npos ? record : record.substr(space + 1));
    if (host.empty()) {
      continue;  // RFC 7505 null MX: no host to look at
    }
    Matched matched = match_addresses(host, mechanism, false);
    if (!std::holds_alternative<bool>(matched) || std::get<bool>(matched)) {
      return matched;
    }
  }
  return false;
}

// RFC 7208 5.5: validated PTR names of the client that are <target> or below it. DNS errors on
// the PTR query make the mechanism not match rather than temperror. Every ptr term whose PTR
// answer is void counts, cached or not: RFC 7208 4.6.4 limits the terms with void answers.
Evaluation::Matched Evaluation::match_ptr(const std::string& target, const Mechanism& mechanism) {
  const std::vector<std::string> names = validated_names();
  if ((ptr_status_ == LookupResult::Status::nxdomain || ptr_status_ == LookupResult::Status::nodata) &&
      ++void_lookups > options_.void_lookups_max) {
    return permerror(mechanism.text, "more than " + std::to_string(options_.void_lookups_max) +
                                         " void lookups (RFC 7208 4.6.4), the last the PTR query of " + mechanism.text);
  }
  return std::any_of(names.begin(), names.end(),
                     [&](const std::string& name) { return is_same_or_subdomain(name, target); });
}

// The client's PTR names (the first k_ptr_names_max) whose A/AAAA records include the client.
// Looked up once per check, with the PTR query's status in ptr_status_.
std::vector<std::string> Evaluation::validated_names() {
  if (validated_) {
    return *validated_;
  }
  validated_.emplace();
  const LookupResult pointers = resolver_.lookup(reverse_name(ip_), RecordType::ptr);
  ptr_status_ = pointers.status;
  const std::size_t count = std::min<std::size_t>(pointers.records.size(), k_ptr_names_max);
  for (std::size_t i = 0; i < count; ++i) {
    const std::string name = without_trailing_dot(pointers.records[i]);
    if (!dns::is_queryable_name(name)) {
      continue;
    }
    const LookupResult addresses = resolver_.lookup(name, ip_.v6 ? RecordType::aaaa : RecordType::a);
    const bool validated =
        std::any_of(addresses.records.begin(), addresses.records.end(), [&](const std::string& text) {
          const auto address = IpAddress::parse(text);
          return address && *address == ip_;
        });
    if (validated) {
      validated_->push_back(name);
    }
  }
  return *validated_;
}

// RFC 7208 7.3 %{p}: <domain> itself if validated, else a validated subdomain of it, else any
// validated name, else "unknown".
std::string Evaluation::validated_domain(const std::string& domain) {
  const std::vector<std::string> names = validated_names();
  if (names.empty()) {
    return "unknown";
  }
  for (const std::string& name : names) {
    if (dns::same_name(name, domain)) {
      return name;
    }
  }
  for (const std::string& name : names) {
    if (is_same_or_subdomain(name, domain)) {
      return name;
    }
  }
  return names.front();
}

MacroValues Evaluation::macro_values(const std::string& domain) {
  MacroValues values;
  values.sender = sender_;
  values.domain = domain;
  values.ip = ip_;
  values.helo = helo_;
  values.receiver = options_.receiver;
  values.timestamp = timestamp_;
  values.validated_domain = [this, domain] { return validated_domain(domain); };
  return values;
}

std::variant<std::string, Outcome> Evaluation::target_name(const std::string& spec, const std::string& domain,
                                                           std::string_view term) {
  auto expanded = expand_macro_string(spec, macro_values(domain), MacroUse::domain);
  if (const auto* error = std::get_if<MacroError>(&expanded)) {
    return permerror(std::string(term), "macro error in " + std::string(term) + ": " + error->message);
  }
  return without_trailing_dot(std::get<std::string>(std::move(expanded)));
}

// RFC 7208 6.2: any problem with exp= (macro, DNS, not exactly one TXT record, a bad or
// non-ASCII explanation string) means no explanation, never a different result.
std::string Evaluation::explanation(const Outcome& outcome) {
  if (outcome.status != SpfStatus::fail || !outcome.explanation_spec) {
    return {};
  }
  const MacroValues values = macro_values(outcome.explanation_domain);
  auto target = expand_macro_string(*outcome.explanation_spec, values, MacroUse::domain);
  if (!std::holds_alternative<std::string>(target)) {
    return {};
  }
  const std::string name = without_trailing_dot(std::get<std::string>(target));
  if (!dns::is_queryable_name(name)) {
    return {};
  }
  const LookupResult answer = resolver_.lookup(name, RecordType::txt);
  if (answer.status != LookupResult::Status::ok || answer.records.size() != 1) {
    return {};
  }
  auto text = expand_macro_string(answer.records.front(), values, MacroUse::explanation);
  if (!std::holds_alternative<std::string>(text)) {
    return {};
  }
  return std::get<std::string>(std::move(text));
}

}  // namespace

SpfResult check_host(const IpAddress& ip, std::string_view domain, std::string_view sender, std::string_view helo,
                     dns::Resolver& resolver, const SpfOptions& options) {
  std::string effective_sender = sender.empty() ? "postmaster@" + std::string(helo) : std::string(sender);
  if (effective_sender.find('@') == std::string::npos) {
    effective_sender = "postmaster@" + effective_sender;
  } else if (effective_sender.front() == '@') {
    effective_sender = "postmaster" + effective_sender;
  }
  const std::string checked_domain = domain.empty() ? sender_domain(effective_sender) : std::string(domain);

  Evaluation evaluation(ip, effective_sender, std::string(helo), resolver, options);
  Outcome outcome = evaluation.check(checked_domain);
  SpfResult result;
  result.status = outcome.status;
  result.explanation = evaluation.explanation(outcome);
  result.mechanism = std::move(outcome.mechanism);
  result.reason = std::move(outcome.reason);
  result.dns_lookups = evaluation.dns_lookups;
  result.void_lookups = evaluation.void_lookups;
  return result;
}

}  // namespace maildog::auth::spf
