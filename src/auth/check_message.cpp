#include "auth/check_message.hpp"

#include <algorithm>
#include <cctype>

#include "auth/authentication_results.hpp"
#include "core/ascii.hpp"
#include "message/headers.hpp"

namespace maildog::auth {

namespace {

std::string_view trim(std::string_view text) { return ascii::trim(text, " \t\r\n"); }

using ascii::iequals;

// An address header value with RFC 5322 comments dropped and quoted-string contents blanked,
// so that "@", "<", "," inside them are not taken for syntax. nullopt when unbalanced.
std::optional<std::string> without_comments_and_quotes(std::string_view value) {
  std::string result;
  int comment_depth = 0;
  bool in_quotes = false;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (c == '\\' && (in_quotes || comment_depth > 0)) {
      ++i;  // quoted-pair
      if (in_quotes) {
        result += 'q';
      }
      continue;
    }
    if (in_quotes) {
      result += c == '"' ? '"' : 'q';
      in_quotes = c != '"';
    } else if (comment_depth > 0) {
      comment_depth += c == '(' ? 1 : (c == ')' ? -1 : 0);
    } else if (c == '(') {
      comment_depth = 1;
      result += ' ';
    } else {
      in_quotes = c == '"';
      result += c;
    }
  }
  if (in_quotes || comment_depth > 0) {
    return std::nullopt;
  }
  return result;
}

std::string mail_from_domain(std::string_view mail_from) {
  mail_from = trim(mail_from);
  if (mail_from.size() >= 2 && mail_from.front() == '<' && mail_from.back() == '>') {
    mail_from = mail_from.substr(1, mail_from.size() - 2);
  }
  const std::size_t at = mail_from.rfind('@');
  return dns::canonical_name(at == std::string_view::npos ? mail_from : mail_from.substr(at + 1));
}

std::string bare_mail_from(std::string_view mail_from) {
  mail_from = trim(mail_from);
  if (mail_from.size() >= 2 && mail_from.front() == '<' && mail_from.back() == '>') {
    mail_from = mail_from.substr(1, mail_from.size() - 2);
  }
  return std::string(mail_from);
}

}  // namespace

dkim::KeyLookup dkim_key_lookup(dns::Resolver& resolver) {
  return [&resolver](const std::string& name) {
    dkim::KeyLookupResult result;
    if (!dns::is_queryable_name(name)) {
      return result;
    }
    dns::LookupResult answer = resolver.lookup(name, dns::RecordType::txt);
    if (answer.is_error()) {
      result.status = dkim::KeyLookupResult::temp_error;
    } else if (answer.status == dns::LookupResult::Status::ok) {
      result.status = dkim::KeyLookupResult::found;
      result.txt = std::move(answer.records);
    }
    return result;
  };
}

FromDomain from_header_domain(std::string_view message) {
  FromDomain from;
  std::vector<std::string> values;
  for (const auto& header : message::parse_headers(message)) {
    if (iequals(trim(header.name), "from")) {
      values.push_back(header.value);
    }
  }
  if (values.size() != 1) {
    from.error = values.empty() ? "no From header field" : std::to_string(values.size()) + " From header fields";
    return from;
  }
  const auto cleaned = without_comments_and_quotes(values.front());
  if (!cleaned) {
    from.error = "From: unbalanced quotes or comment";
    return from;
  }
  // Only the top level counts: a "," there separates addresses (RFC 5322 3.4).
  std::string_view address = trim(*cleaned);
  const std::size_t open = address.find('<');
  if (open != std::string_view::npos) {
    const std::size_t close = address.find('>', open);
    if (close == std::string_view::npos) {
      from.error = "From: '<' without '>'";
      return from;
    }
    if (address.find(',', close) != std::string_view::npos ||
        address.substr(0, open).find(',') != std::string_view::npos) {
      from.error = "From: several addresses";
      return from;
    }
    address = trim(address.substr(open + 1, close - open - 1));
  } else if (address.find(',') != std::string_view::npos) {
    from.error = "From: several addresses";
    return from;
  }
  const std::size_t at = address.rfind('@');
  if (at == std::string_view::npos) {
    from.error = "From: no address with a domain";
    return from;
  }
  const std::string domain = dns::canonical_name(trim(address.substr(at + 1)));
  if (domain.empty() || domain.front() == '[' || !dns::is_queryable_name(domain)) {
    from.error = "From: \"" + domain + "\" is not a domain name";
    return from;
  }
  from.domain = domain;
  return from;
}

AuthVerdict check_message(std::string_view message, const CheckInput& input, dns::Resolver& resolver,
                          const CheckOptions& options) {
  AuthVerdict verdict;

  // SPF (RFC 7208 2.4): the MAIL FROM domain, or the HELO name for the null reverse-path.
  const std::string sender = bare_mail_from(input.mail_from);
  verdict.spf_used_helo = sender.empty();
  verdict.spf_identity.domain = verdict.spf_used_helo ? dns::canonical_name(input.helo) : mail_from_domain(sender);
  spf::SpfOptions spf_options;
  spf_options.receiver = input.receiver;
  if (options.now) {
    spf_options.now = *options.now;
  }
  verdict.spf =
      spf::check_host(input.client_ip, verdict.spf_identity.domain, sender, input.helo, resolver, spf_options);
  verdict.spf_identity.status = verdict.spf.status;

  dkim::VerifyOptions dkim_options;
  if (options.now) {
    dkim_options.now = *options.now;
  }
  verdict.dkim = dkim::verify(message, dkim_key_lookup(resolver), dkim_options);

  verdict.from = from_header_domain(message);
  if (verdict.from.error.empty()) {
    verdict.dmarc = dmarc::evaluate(verdict.from.domain, verdict.spf_identity, verdict.dkim, resolver, options.dmarc);
  } else {
    verdict.dmarc.status = dmarc::Status::permerror;
    verdict.dmarc.reason = verdict.from.error;
  }

  if (input.check_ptr) {
    verdict.ptr = check_ptr(input.client_ip, resolver);
  }
  verdict.dnsbl = check_dnsbl(input.client_ip, input.dnsbl_zones, resolver);

  AuthResults results;
  results.authserv_id = input.receiver;
  results.spf =
      AuthResults::Spf{verdict.spf.status, verdict.spf_used_helo ? std::string() : verdict.spf_identity.domain,
                       dns::canonical_name(input.helo)};
  results.dkim = verdict.dkim;
  results.dmarc = AuthResults::Dmarc{verdict.dmarc, verdict.from.domain};
  if (verdict.ptr) {
    results.iprev = AuthResults::Iprev{*verdict.ptr, input.client_ip.unmapped()};
  }
  verdict.authentication_results = format_authentication_results(results);
  return verdict;
}

}  // namespace maildog::auth
