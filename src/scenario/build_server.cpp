// The Builder's dns: and server: sections: records as written, the provider profile and what it
// fills in, the sender checks and their modes, TLS, AUTH and limits (server.rules: build_rules.cpp).
#include "scenario/build_context.hpp"

namespace maildog::scenario::detail {

namespace {

std::string dns_name(std::string_view written) {
  std::string name = ascii::lower(written);
  while (name.ends_with('.')) {
    name.pop_back();
  }
  return name;
}

std::optional<std::array<int, 4>> ipv4_octets(std::string_view text) {
  std::array<int, 4> octets{};
  for (std::size_t i = 0; i < 4; ++i) {
    const auto dot = i < 3 ? text.find('.') : text.size();
    if (dot == std::string_view::npos || dot == 0 || dot > 3) {
      return std::nullopt;
    }
    auto [end, ec] = std::from_chars(text.data(), text.data() + dot, octets[i]);
    if (ec != std::errc{} || end != text.data() + dot || octets[i] > 255) {
      return std::nullopt;
    }
    text.remove_prefix(i < 3 ? dot + 1 : dot);
  }
  return octets;
}

std::string joined_octets(std::array<int, 4> octets) {
  return std::to_string(octets[0]) + "." + std::to_string(octets[1]) + "." + std::to_string(octets[2]) + "." +
         std::to_string(octets[3]);
}

// Loopback, private, link-local, shared and documentation ranges: what test fixtures use.
bool is_reserved_ipv4(const std::array<int, 4>& o) {
  return o[0] == 127 || o[0] == 10 || (o[0] == 192 && o[1] == 168) || (o[0] == 172 && o[1] >= 16 && o[1] <= 31) ||
         (o[0] == 169 && o[1] == 254) || (o[0] == 100 && o[1] >= 64 && o[1] <= 127) ||
         (o[0] == 192 && o[1] == 0 && o[2] == 2) || (o[0] == 198 && o[1] == 51 && o[2] == 100) ||
         (o[0] == 203 && o[1] == 0 && o[2] == 113);
}

// A profile's value for what the scenario leaves out; the scenario's own value wins, and a
// check neither sets is off.
template <typename Mode>
Mode checked(std::optional<Mode> written, std::initializer_list<std::optional<Mode>> preset) {
  for (const auto& value : preset) {
    if (!written && value) {
      written = value;
    }
  }
  return written.value_or(Mode::off);
}

void add_profile_replies(const std::vector<ProfileReply>& replies, std::map<std::string, smtp::Reply>& out) {
  for (const auto& [key, text] : replies) {
    // Profiles are source code, tested to parse: a failure here is a bug, not bad input.
    auto [reply, problem] = parse_reply_line(std::string(text));
    if (!reply) {
      throw std::logic_error("profile reply " + std::string(key) + ": " + problem);
    }
    out[std::string(key)] = std::move(*reply);
  }
}

}  // namespace

void Builder::build_dns(const Node& node, DnsSpec& dns) {
  if (node.is_string()) {
    dns.live = node.value->get<std::string>() == "live";
    return;
  }
  for (const auto& [name, records] : node.members()) {
    auto& by_type = dns.records[name];
    for (const auto& [type, values] : records.members()) {
      by_type[type] = as_strings(values);
    }
  }
}

// A DNSBL is asked for 1.2.0.192.zone to learn whether 192.0.2.1 is listed (RFC 5782 2.1). A
// fixture name under a checked zone that reads as the peer's address forward, or as a reserved
// address only forward, lists nobody the scenario sends from: say which name to write.
void Builder::warn_forward_dnsbl_names(const Node& dns, const Scenario& scenario) {
  const auto& peer = scenario.server_extras.peer;
  const std::string peer_ip = peer ? peer->ip : std::string();
  for (const auto& zone_written : scenario.server_extras.checks.dnsbl) {
    const std::string zone = dns_name(zone_written);
    for (const auto& [name_written, records] : dns.members()) {
      const std::string name = dns_name(name_written);
      if (zone.empty() || !name.ends_with("." + zone)) {
        continue;
      }
      const std::string key = name.substr(0, name.size() - zone.size() - 1);
      auto octets = ipv4_octets(key);
      if (!octets) {
        continue;
      }
      const std::string reversed = joined_octets({(*octets)[3], (*octets)[2], (*octets)[1], (*octets)[0]});
      if (reversed == key || reversed == peer_ip) {
        continue;
      }
      const bool forward = key == peer_ip || (is_reserved_ipv4(*octets) && !is_reserved_ipv4(*ipv4_octets(reversed)));
      if (forward) {
        warn_at_key(records, name_written + " lists " + reversed + " in " + zone + ", not " + key +
                                 ": a DNSBL is queried with the octets reversed, so write " + reversed + "." + zone +
                                 " to list " + key);
      }
    }
  }
}

// `server.profile`: a name, or {name, bulk_sender}. Unknown names are the schema's to report.
const Profile* Builder::build_profile(const Node& node, ServerExtras& extras) {
  auto name = node.is_object() ? as_string(node["name"]) : as_string(node);
  if (!name) {
    return nullptr;
  }
  extras.profile = *name;
  extras.bulk_sender = node.is_object() && as_bool(node["bulk_sender"]).value_or(false);
  const Profile* profile = find_profile(*name);
  if (!profile && node.is_string()) {
    std::string known;
    for (const auto& each : profiles()) {
      known += (known.empty() ? "" : ", ") + std::string(each.name);
    }
    error(node, "unknown profile '" + *name + "': one of " + known);
  }
  return profile;
}

// A `server.checks` mode: one of the words `table` allows, else a load error (never off).
template <typename Mode, std::size_t N>
std::optional<Mode> Builder::check_mode(const Node& node, const NameTable<Mode, N>& table) {
  auto text = as_string(node);
  if (!text) {
    return std::nullopt;
  }
  if (auto mode = lookup_name(table, *text)) {
    return mode;
  }
  std::vector<std::string> words;
  for (const auto& [mode, name] : table) {
    words.emplace_back(name);
  }
  error(node, not_one_of(*text, words));
  return std::nullopt;
}

ChecksSpec Builder::build_checks(const Node& checks, const Profile* profile, bool bulk) {
  const ProfileChecks none;
  const ProfileChecks& base = profile ? profile->checks : none;
  const ProfileChecks& extra = profile && bulk ? profile->bulk_checks : none;
  ChecksSpec spec;
  spec.spf = checked(check_mode(checks["spf"], k_spf_modes), {extra.spf, base.spf});
  spec.dkim = checked(check_mode(checks["dkim"], k_dkim_modes), {extra.dkim, base.dkim});
  spec.dmarc = checked(check_mode(checks["dmarc"], k_dmarc_modes), {extra.dmarc, base.dmarc});
  spec.ptr = checked(check_mode(checks["ptr"], k_ptr_modes), {extra.ptr, base.ptr});
  spec.authentication = checked(check_mode(checks["authentication"], k_authentication_floors),
                                {extra.authentication, base.authentication});
  spec.rfc5322 = checked(check_mode(checks["rfc5322"], k_rfc5322_modes), {extra.rfc5322, base.rfc5322});
  spec.unsubscribe =
      checked(check_mode(checks["unsubscribe"], k_unsubscribe_modes), {extra.unsubscribe, base.unsubscribe});
  spec.dnsbl = as_strings(checks["dnsbl"]);
  if (profile) {
    add_profile_replies(profile->check_replies, spec.replies);
    if (bulk) {
      add_profile_replies(profile->bulk_check_replies, spec.replies);
    }
  }
  for (auto& [key, reply] : build_refusal_replies(checks["replies"], "checks.replies.")) {
    spec.replies[key] = std::move(reply);
  }
  return spec;
}

// `tls: starttls`, or `tls: {mode: starttls, certificate: expired}` (schema-checked values).
void Builder::build_tls(const Node& node, Scenario& scenario) {
  const Node tls = node["tls"];
  const Node mode = tls.is_object() ? tls["mode"] : tls;
  std::optional<smtp::TlsMode> written;  // absent, or not a mode: the schema reports it
  if (auto text = as_string(mode)) {
    written = smtp::parse_tls_mode(*text);
    scenario.server.tls = written.value_or(smtp::TlsMode::none);
  }
  if (auto certificate = as_string(tls["certificate"])) {
    scenario.server_extras.certificate =
        smtp::parse_certificate_kind(*certificate).value_or(smtp::CertificateKind::trusted);
    if (written == smtp::TlsMode::none) {
      error_at_key(tls["certificate"],
                   "a certificate needs TLS: mode none offers none (use starttls, required or implicit)");
    }
  }
}

void Builder::build_server(const Node& node, Scenario& scenario) {
  smtp::ServerConfig& config = scenario.server;
  const Profile* profile = build_profile(node["profile"], scenario.server_extras);
  if (profile) {
    if (!profile->hostname.empty()) {
      config.hostname = std::string(profile->hostname);
    }
    config.tls = profile->tls;
    config.limits.message_size = profile->message_size.value_or(config.limits.message_size);
    config.limits.recipients = profile->recipients.value_or(config.limits.recipients);
    config.limits.reject_bare_lf = profile->reject_bare_lf.value_or(config.limits.reject_bare_lf);
    add_profile_replies(profile->server_replies, config.replies);
  }
  if (auto hostname = as_string(node["hostname"])) {
    config.hostname = *hostname;
  }
  build_tls(node, scenario);
  auto resolve = [&](const std::string& file) {
    std::filesystem::path path(file);
    return (path.is_absolute() ? path : scenario.dir / path).string();
  };
  if (auto cert = as_string(node["tls_cert"])) {
    config.tls_cert_file = resolve(*cert);
  }
  if (auto key = as_string(node["tls_key"])) {
    config.tls_key_file = resolve(*key);
  }
  if (node["tls_cert"].present() != node["tls_key"].present()) {
    error_at_key(node["tls_cert"].present() ? node["tls_cert"] : node["tls_key"],
                 "tls_cert and tls_key go together: give both or neither");
  }
  if (node["tls"]["certificate"].present() && node["tls_cert"].present()) {
    error_at_key(node["tls"]["certificate"],
                 "certificate chooses the sandbox's own certificate, tls_cert and tls_key give yours: use one");
  }
  if (node["auth"].is_object()) {
    config.auth = build_auth(node["auth"]);
  }
  config.domains = as_strings(node["domains"]);
  config.mailboxes = as_strings(node["mailboxes"]);
  check_addresses(node["domains"], AddressField::domain_glob);
  check_addresses(node["mailboxes"], AddressField::address_glob);
  for (auto& [reason, reply] : build_refusal_replies(node["replies"], "server.replies.")) {
    config.replies[reason] = std::move(reply);
  }
  // A recorded server's own words (`maildog-ci record`), each with the code the sandbox sends there.
  static const std::map<std::string, int, std::less<>> k_ok_codes{
      {"greeting", 220}, {"ehlo", 250},          {"starttls", 220},     {"auth", 235}, {"mail", 250},
      {"rcpt", 250},     {"data", 354},          {"queued", 250},       {"rset", 250}, {"noop", 250},
      {"quit", 221},     {"auth_username", 334}, {"auth_password", 334}};
  for (const auto& [key, value] : node["ok_replies"].members()) {
    auto reply = build_reply(value);
    auto code = k_ok_codes.find(key);
    if (reply && code != k_ok_codes.end() && reply->code != code->second) {
      error(value, "server.ok_replies." + key + " must be a " + std::to_string(code->second) + " reply, found " +
                       std::to_string(reply->code));
    } else if (reply) {
      config.ok_replies[key] = std::move(*reply);
    }
  }
  config.ehlo_keywords = as_strings(node["ehlo_keywords"]);
  if (node["peer"].is_object()) {
    scenario.server_extras.peer = PeerSpec{as_string(node["peer"]["ip"]).value_or(""), as_string(node["peer"]["helo"])};
  }
  Node checks = node["checks"];
  scenario.server_extras.checks = build_checks(checks, profile, scenario.server_extras.bulk_sender);
  const bool any_check = scenario.server_extras.checks.any_on();
  const auto& peer = scenario.server_extras.peer;
  if (any_check && (!peer || peer->ip.empty())) {
    if (profile && !checks.present()) {
      error_at_key(node["profile"], "profile " + std::string(profile->name) +
                                        " checks the sender: set server.peer.ip (the address your mail "
                                        "would come from) and dns: records for it, or turn the checks off in "
                                        "server.checks");
    } else {
      error_at_key(checks, "checks need server.peer.ip: the client address SPF, PTR and DNSBL judge");
    }
  }
  for (const auto& rule : node["rules"].items()) {
    if (rule.is_object()) {
      config.rules.push_back(build_rule(rule));
    }
  }
  build_limits(node["limits"], config.limits);
  if (node["seed"].value && node["seed"].value->is_number_unsigned()) {
    config.seed = node["seed"].value->get<std::uint64_t>();
  } else if (auto seed = as_integer(node["seed"]); seed && *seed >= 0) {
    config.seed = static_cast<std::uint64_t>(*seed);
  }
  scenario.server_extras.seed_written = node["seed"].present();
}

smtp::AuthConfig Builder::build_auth(const Node& node) {
  smtp::AuthConfig auth;
  if (node["mechanisms"].is_array()) {
    auth.mechanisms.clear();
    for (const auto& name : as_strings(node["mechanisms"])) {
      if (auto mechanism = smtp::parse_auth_mechanism(name)) {
        auth.mechanisms.push_back(*mechanism);
      }
    }
  }
  for (const auto& [user, password] : node["users"].members()) {
    auth.users[user] = as_string(password).value_or("");
  }
  auth.required = as_bool(node["required"]).value_or(auth.required);
  auth.allow_plaintext_without_tls =
      as_bool(node["allow_plaintext_without_tls"]).value_or(auth.allow_plaintext_without_tls);
  return auth;
}

void Builder::build_limits(const Node& node, smtp::ServerLimits& limits) {
  auto positive = [&](const char* key, std::size_t& target) {
    if (auto value = as_integer(node[key]); value && *value >= 1) {
      target = static_cast<std::size_t>(*value);
    }
  };
  positive("line_length", limits.line_length);
  positive("recipients", limits.recipients);
  positive("errors", limits.errors);
  positive("connections", limits.connections);
  Node size = node["message_size"];
  if (auto bytes = as_integer(size); bytes && *bytes >= 1) {
    limits.message_size = static_cast<std::size_t>(*bytes);
  } else if (auto text = as_string(size)) {
    if (auto parsed = parse_size(*text)) {
      limits.message_size = static_cast<std::size_t>(*parsed);
    } else {
      error(size, "bad size '" + *text + "' (bytes, or a number and B, KB, MB, GB, KiB, MiB or GiB, e.g. 10MB)");
    }
  }
  if (auto idle = duration(node["idle_timeout"])) {
    limits.idle_timeout = *idle;
  }
  if (auto deadline = duration(node["session_deadline"])) {
    limits.session_deadline = *deadline;
  }
  if (auto bare_lf = as_string(node["bare_lf"])) {
    limits.reject_bare_lf = *bare_lf != "accept";
  }
}

}  // namespace maildog::scenario::detail
