#include "auth/authentication_results.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

namespace maildog::auth {

namespace {

bool is_control(char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; }

// RFC 2045 5.1 token: printable US-ASCII except SPACE and tspecials.
bool is_token(std::string_view text) {
  constexpr std::string_view tspecials = "()<>@,;:\\\"/[]?=";
  return !text.empty() && std::all_of(text.begin(), text.end(), [&](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte > 0x20 && byte < 0x7F && tspecials.find(c) == std::string_view::npos;
  });
}

// RFC 5322 3.2.3 dot-atom.
bool is_dot_atom(std::string_view text) {
  constexpr std::string_view atext_specials = "!#$%&'*+-/=?^_`{|}~";
  if (text.empty() || text.front() == '.' || text.back() == '.' || text.find("..") != std::string_view::npos) {
    return false;
  }
  return std::all_of(text.begin(), text.end(), [&](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return c == '.' || (byte < 0x80 && std::isalnum(byte) != 0) || atext_specials.find(c) != std::string_view::npos;
  });
}

std::string quoted(std::string_view text) {
  std::string result = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      result += '\\';
    }
    result += is_control(c) ? ' ' : c;
  }
  return result + '"';
}

// RFC 5322 3.2.2 comment, with "(", ")" and "\" escaped.
std::string comment(std::string_view text) {
  std::string result = "(";
  for (const char c : text) {
    if (c == '(' || c == ')' || c == '\\') {
      result += '\\';
    }
    result += is_control(c) ? ' ' : c;
  }
  return result + ')';
}

std::string property(std::string_view name, std::string_view value) {
  return " " + std::string(name) + "=" + format_pvalue(value);
}

std::string reason(std::string_view text) { return text.empty() ? std::string() : " reason=" + quoted(text); }

std::string spf_entry(const AuthResults::Spf& spf) {
  std::string entry = "spf=" + std::string(name_of(spf::k_spf_status_names, spf.status));
  if (!spf.mail_from_domain.empty()) {
    entry += property("smtp.mailfrom", spf.mail_from_domain);
  } else if (!spf.helo.empty()) {
    entry += property("smtp.helo", spf.helo);
  }
  return entry;
}

std::string dkim_entry(const dkim::VerifyResult& signature) {
  std::string entry = "dkim=" + std::string(dkim::status_name(signature.status));
  if (signature.status != dkim::Status::pass) {
    entry += reason(signature.reason);
  }
  if (!signature.domain.empty()) {
    entry += property("header.d", signature.domain);
  }
  if (!signature.selector.empty()) {
    entry += property("header.s", signature.selector);
  }
  if (!signature.algorithm.empty()) {
    entry += property("header.a", signature.algorithm);
  }
  return entry;
}

std::string dmarc_entry(const AuthResults::Dmarc& dmarc_results) {
  const dmarc::DmarcResult& result = dmarc_results.result;
  std::string entry = "dmarc=" + std::string(name_of(dmarc::k_status_names, result.status));
  if (result.status == dmarc::Status::temperror || result.status == dmarc::Status::permerror) {
    entry += reason(result.reason);
  }
  if (result.record) {
    std::string policy = "p=" + std::string(name_of(dmarc::k_policy_names, result.requested_policy));
    if (result.status == dmarc::Status::fail) {
      policy += " dis=" + std::string(name_of(dmarc::k_policy_names, result.policy));
    }
    entry += " " + comment(policy);
  }
  if (!dmarc_results.from_domain.empty()) {
    entry += property("header.from", dmarc_results.from_domain);
  }
  return entry;
}

std::string iprev_entry(const AuthResults::Iprev& iprev) {
  const PtrResult& result = iprev.result;
  // RFC 8601 2.7.3 has no "none" for iprev: a missing PTR record is its "permerror".
  const std::string_view status =
      result.status == IprevStatus::none ? "permerror" : name_of(k_iprev_status_names, result.status);
  std::string entry = "iprev=" + std::string(status) + property("policy.iprev", iprev.ip.to_string());
  if (!result.hostname.empty()) {
    entry += " " + comment(result.hostname);
  } else if (result.status == IprevStatus::none) {
    entry += " " + comment("no PTR record");
  }
  return entry;
}

}  // namespace

std::string format_pvalue(std::string_view text) {
  if (is_token(text)) {
    return std::string(text);
  }
  // RFC 8601 2.2: pvalue = [CFWS] ( value / [ [ local-part ] "@" ] domain-name ) [CFWS]
  const std::size_t at = text.rfind('@');
  if (at != std::string_view::npos) {
    const std::string_view local = text.substr(0, at);
    const std::string_view domain = text.substr(at + 1);
    if ((local.empty() || is_dot_atom(local)) && is_dot_atom(domain) && is_token(domain)) {
      return std::string(text);
    }
  }
  return quoted(text);
}

std::string format_authentication_results(const AuthResults& results) {
  std::vector<std::string> entries;
  if (results.spf) {
    entries.push_back(spf_entry(*results.spf));
  }
  if (results.dkim) {
    if (results.dkim->empty()) {
      entries.emplace_back("dkim=none");
    }
    for (const dkim::VerifyResult& signature : *results.dkim) {
      entries.push_back(dkim_entry(signature));
    }
  }
  if (results.dmarc) {
    entries.push_back(dmarc_entry(*results.dmarc));
  }
  if (results.iprev) {
    entries.push_back(iprev_entry(*results.iprev));
  }
  std::string value = format_pvalue(results.authserv_id);
  if (entries.empty()) {
    return value + "; none";
  }
  for (const std::string& entry : entries) {
    value += "; " + entry;
  }
  return value;
}

}  // namespace maildog::auth
