// Semantic checks the schema cannot express (reply grammar, regexes, durations, ranges, step
// shapes, template names) and the Scenario model, built from a document's JSON in one walk.
// Every accessor tolerates values of the wrong type: the schema has reported those already.
#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <limits>
#include <map>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/ascii.hpp"
#include "core/signals.hpp"
#include "scenario/addresses.hpp"
#include "scenario/document.hpp"
#include "scenario/profiles.hpp"

namespace maildog::scenario::detail {

namespace {

using nlohmann::json;
using std::chrono::milliseconds;

// A value and its diagnostic path; missing members are nodes without a value.
struct Node {
  const json* value = nullptr;
  std::string path;

  Node operator[](const std::string& key) const {
    const json* child = nullptr;
    if (value && value->is_object()) {
      if (auto found = value->find(key); found != value->end()) {
        child = &*found;
      }
    }
    return {child, child_path(path, key)};
  }
  bool present() const { return value && !value->is_null(); }
  bool is_string() const { return value && value->is_string(); }
  bool is_array() const { return value && value->is_array(); }
  bool is_object() const { return value && value->is_object(); }
  std::vector<Node> items() const {
    std::vector<Node> out;
    if (is_array()) {
      for (std::size_t i = 0; i < value->size(); ++i) {
        out.push_back({&(*value)[i], index_path(path, i)});
      }
    }
    return out;
  }
  std::vector<std::pair<std::string, Node>> members() const {
    std::vector<std::pair<std::string, Node>> out;
    if (is_object()) {
      for (const auto& item : value->items()) {
        out.emplace_back(item.key(), Node{&item.value(), child_path(path, item.key())});
      }
    }
    return out;
  }
};

std::optional<std::string> as_string(const Node& node) {
  if (node.is_string()) {
    return node.value->get<std::string>();
  }
  return std::nullopt;
}

std::optional<std::int64_t> as_integer(const Node& node) {
  if (!node.value) {
    return std::nullopt;
  }
  if (node.value->is_number_unsigned()) {
    auto value = node.value->get<std::uint64_t>();
    if (value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return std::nullopt;
    }
    return static_cast<std::int64_t>(value);
  }
  if (node.value->is_number_integer()) {
    return node.value->get<std::int64_t>();
  }
  return std::nullopt;
}

std::optional<bool> as_bool(const Node& node) {
  if (node.value && node.value->is_boolean()) {
    return node.value->get<bool>();
  }
  return std::nullopt;
}

// "one string or a list of strings"
std::vector<std::string> as_strings(const Node& node) {
  std::vector<std::string> out;
  if (auto single = as_string(node)) {
    out.push_back(*single);
  }
  for (const auto& item : node.items()) {
    if (auto text = as_string(item)) {
      out.push_back(*text);
    }
  }
  return out;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (true) {
    auto end = text.find('\n', start);
    std::string line = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    lines.push_back(std::move(line));
    if (end == std::string::npos) {
      break;
    }
    start = end + 1;
  }
  while (lines.size() > 1 && lines.back().empty()) {
    lines.pop_back();  // a YAML block scalar ends in a newline
  }
  return lines;
}

bool looks_like_enhanced(std::string_view token) {
  int dots = 0;
  bool digit_run = false;
  for (char c : token) {
    if (c == '.') {
      if (!digit_run) {
        return false;
      }
      ++dots;
      digit_run = false;
    } else if (c >= '0' && c <= '9') {
      digit_run = true;
    } else {
      return false;
    }
  }
  return dots == 2 && digit_run;
}

std::string bad_enhanced_message(std::string_view text) {
  return "bad enhanced code '" + std::string(text) +
         "' (class.subject.detail: class 2, 4 or 5, subject and detail 0-999, e.g. 5.1.1)";
}

std::string class_mismatch_message(const smtp::EnhancedCode& enhanced, int code) {
  return "enhanced code " + enhanced.str() + " does not match reply code " + std::to_string(code) +
         " (its class must be " + std::to_string(code / 100) + ")";
}

std::string code_range_message(std::int64_t code) {
  return "reply code " + std::to_string(code) + " is out of range 200-599";
}

// "550 5.1.1 text" (or a multi-line wire reply): the reply, or why it is not one.
std::pair<std::optional<smtp::Reply>, std::string> parse_reply_line(const std::string& text) {
  const std::string usage =
      "not an SMTP reply: \"" + text + "\" (expected \"CODE [X.Y.Z] text\", e.g. \"550 5.1.1 User unknown\")";
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
    ++digits;
  }
  if (digits != 3 || (text.size() > 3 && text[3] != ' ' && text[3] != '-' && text[3] != '\r' && text[3] != '\n')) {
    return {std::nullopt, usage};
  }
  int code = (text[0] - '0') * 100 + (text[1] - '0') * 10 + (text[2] - '0');
  if (code < 200 || code > 599) {
    return {std::nullopt, code_range_message(code)};
  }
  if (text.size() > 4) {
    std::string_view rest = std::string_view(text).substr(4);
    std::string_view token = rest.substr(0, rest.find_first_of(" \r\n"));
    if (looks_like_enhanced(token) && !smtp::EnhancedCode::parse(token)) {
      return {std::nullopt, bad_enhanced_message(token)};
    }
  }
  auto reply = smtp::Reply::parse(text);
  if (!reply) {
    return {std::nullopt, usage};
  }
  if (reply->enhanced && reply->enhanced->cls != reply->code / 100) {
    return {std::nullopt, class_mismatch_message(*reply->enhanced, reply->code)};
  }
  return {reply, std::string()};
}

// "20s", "500ms", "2m", "1h"
// Faults that change how an answer is sent rather than replacing it.
bool shapes_the_reply(rules::Fault::Kind kind) {
  return kind == rules::Fault::Kind::delay || kind == rules::Fault::Kind::tarpit || kind == rules::Fault::Kind::split;
}

std::optional<milliseconds> parse_duration(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
    ++digits;
  }
  if (digits == 0 || digits > 9) {
    return std::nullopt;
  }
  std::int64_t amount = 0;
  std::from_chars(text.data(), text.data() + digits, amount);
  std::string_view unit = text.substr(digits);
  if (unit == "ms") return milliseconds(amount);
  if (unit == "s") return milliseconds(amount * 1000);
  if (unit == "m") return milliseconds(amount * 60 * 1000);
  if (unit == "h") return milliseconds(amount * 60 * 60 * 1000);
  return std::nullopt;
}

// "10MB", "512KiB", "1000" -> bytes
std::optional<std::uint64_t> parse_size(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
    ++digits;
  }
  std::uint64_t amount = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + digits, amount);
  if (digits == 0 || ec != std::errc{}) {
    return std::nullopt;
  }
  std::string_view unit = text.substr(digits);
  if (unit.starts_with(' ')) {
    unit.remove_prefix(1);
  }
  constexpr std::pair<std::string_view, std::uint64_t> k_units[] = {
      {"", 1},
      {"B", 1},
      {"KB", 1000},
      {"MB", 1000 * 1000},
      {"GB", 1000 * 1000 * 1000},
      {"KiB", 1 << 10},
      {"MiB", 1 << 20},
      {"GiB", std::uint64_t{1} << 30},
  };
  for (const auto& [name, factor] : k_units) {
    if (unit == name) {
      if (amount > std::numeric_limits<std::uint64_t>::max() / factor) {
        return std::nullopt;
      }
      return amount * factor;
    }
  }
  return std::nullopt;
}

class Builder {
 public:
  Builder(const Document& document, Reporter& reporter, Purpose purpose)
      : m_document(document), m_reporter(reporter), m_purpose(purpose) {}

  void build(Scenario& scenario) {
    Node root{&m_document.value, ""};
    if (!root.is_object()) {
      m_reporter.error_at(m_document.start, "",
                          "a scenario is a map (name:, server:, app: or client:, expect:), found " +
                              std::string(root.is_array() ? "a list" : "a single value"));
      return;
    }
    scenario.name = as_string(root["name"]).value_or("");
    scenario.line = root["name"].present() ? key_line(root["name"]) : m_document.start.line;
    scenario.tags = as_strings(root["tags"]);
    build_dns(root["dns"], scenario.dns);
    build_server(root["server"], scenario);
    warn_forward_dnsbl_names(root["dns"], scenario);
    if (root["app"].is_object()) {
      scenario.app = build_app(root["app"]);
    }
    if (root["client"].is_object()) {
      scenario.client = build_client(root["client"]);
    }
    if (root["app"].present() && root["client"].present()) {
      error_at_key(root["client"], "a scenario runs either an app or a client, not both");
    } else if (!root["app"].present() && !root["client"].present() && m_purpose == Purpose::run) {
      error(root, "a scenario needs an app or a client to run");
    }
    build_expect(root["expect"], scenario);
    scenario.services = build_services(root["services"]);
    scenario.port_names = m_port_names;
  }

 private:
  void error(const Node& node, std::string message) { m_reporter.error(node.path, std::move(message)); }
  void error_at_key(const Node& node, std::string message) { m_reporter.error(node.path, std::move(message), true); }
  void warn_at_key(const Node& node, std::string message) { m_reporter.warn(node.path, std::move(message), true); }
  std::size_t key_line(const Node& node) const { return m_document.positions.find(node.path).key.line; }

  std::optional<rules::TextMatch> pattern(const Node& node) {
    auto text = as_string(node);
    if (!text) {
      return std::nullopt;
    }
    try {
      return rules::TextMatch::parse(*text);
    } catch (const std::invalid_argument& bad) {
      error(node, bad.what());
      return std::nullopt;
    }
  }

  // Address and domain fields must be able to match one: a typo would otherwise match nothing, silently.
  void check_address(const Node& node, AddressField field) {
    if (auto text = as_string(node)) {
      if (auto problem = address_problem(*text, field)) {
        error(node, std::move(*problem));
      }
    }
  }

  void check_addresses(const Node& node, AddressField field) {
    check_address(node, field);
    for (const auto& item : node.items()) {
      check_address(item, field);
    }
  }

  std::optional<rules::TextMatch> address_pattern(const Node& node, AddressField field) {
    check_address(node, field);
    return pattern(node);
  }

  std::optional<milliseconds> duration(const Node& node) {
    auto text = as_string(node);
    if (!text) {
      return std::nullopt;
    }
    auto parsed = parse_duration(*text);
    if (!parsed) {
      error(node, "bad duration '" + *text + "' (a whole number and a unit: ms, s, m or h, e.g. 500ms, 20s, 2m)");
    }
    return parsed;
  }

  std::optional<int> reply_code(const Node& node) {
    auto code = as_integer(node);
    if (!code) {
      return std::nullopt;
    }
    if (*code < 200 || *code > 599) {
      error(node, code_range_message(*code));
      return std::nullopt;
    }
    return static_cast<int>(*code);
  }

  // An enhanced code, checked against `code` when both are known.
  std::optional<smtp::EnhancedCode> enhanced_code(const Node& node, std::optional<int> code) {
    auto text = as_string(node);
    if (!text) {
      return std::nullopt;
    }
    auto parsed = smtp::EnhancedCode::parse(*text);
    if (!parsed) {
      error(node, bad_enhanced_message(*text));
    } else if (code && parsed->cls != *code / 100) {
      error(node, class_mismatch_message(*parsed, *code));
    }
    return parsed;
  }

  std::optional<unsigned> count_value(const Node& node) {
    auto value = as_integer(node);
    if (!value || *value < 0) {
      return std::nullopt;
    }
    if (*value > std::numeric_limits<unsigned>::max()) {
      error(node, std::to_string(*value) + " is too large");
      return std::nullopt;
    }
    return static_cast<unsigned>(*value);
  }

  void check_templates(const Node& node) {
    auto text = as_string(node);
    if (!text) {
      return;
    }
    auto known = template_names();
    for (const auto& name : template_references(*text)) {
      if (std::find(known.begin(), known.end(), name) != known.end()) {
        continue;
      }
      if (name.starts_with(k_port_template_prefix)) {
        check_port_template(node, name.substr(k_port_template_prefix.size()));
        continue;
      }
      std::string list;
      for (auto known_name : known) {
        list += list.empty() ? "" : ", ";
        list += "{{" + std::string(known_name) + "}}";
      }
      error(node, "unknown template {{" + name + "}} (known: " + list + ", {{port.NAME}})");
    }
  }

  // {{port.NAME}}: the runner allocates one free port per NAME used anywhere in the scenario.
  void check_port_template(const Node& node, const std::string& port_name) {
    if (valid_name(port_name)) {
      m_port_names.insert(port_name);
    } else {
      error(node, "bad port name in {{port." + port_name +
                      "}} (a name is a lower-case letter, then letters, digits, _ or -, e.g. {{port.web}})");
    }
  }

  void build_dns(const Node& node, DnsSpec& dns) {
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
  void warn_forward_dnsbl_names(const Node& dns, const Scenario& scenario) {
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

  static std::string dns_name(std::string_view written) {
    std::string name = ascii::lower(written);
    while (name.ends_with('.')) {
      name.pop_back();
    }
    return name;
  }

  static std::optional<std::array<int, 4>> ipv4_octets(std::string_view text) {
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

  static std::string joined_octets(std::array<int, 4> octets) {
    return std::to_string(octets[0]) + "." + std::to_string(octets[1]) + "." + std::to_string(octets[2]) + "." +
           std::to_string(octets[3]);
  }

  // Loopback, private, link-local, shared and documentation ranges: what test fixtures use.
  static bool is_reserved_ipv4(const std::array<int, 4>& o) {
    return o[0] == 127 || o[0] == 10 || (o[0] == 192 && o[1] == 168) || (o[0] == 172 && o[1] >= 16 && o[1] <= 31) ||
           (o[0] == 169 && o[1] == 254) || (o[0] == 100 && o[1] >= 64 && o[1] <= 127) ||
           (o[0] == 192 && o[1] == 0 && o[2] == 2) || (o[0] == 198 && o[1] == 51 && o[2] == 100) ||
           (o[0] == 203 && o[1] == 0 && o[2] == 113);
  }

  // `server.profile`: a name, or {name, bulk_sender}. Unknown names are the schema's to report.
  const Profile* build_profile(const Node& node, ServerExtras& extras) {
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

  // A profile's value for what the scenario leaves out; the scenario's own value wins.
  static std::optional<std::string> checked(std::optional<std::string> written,
                                            std::initializer_list<std::optional<std::string_view>> preset) {
    if (written) {
      return written;
    }
    for (const auto& value : preset) {
      if (value) {
        written = std::string(*value);
      }
    }
    return written;
  }

  ChecksSpec build_checks(const Node& checks, const Profile* profile, bool bulk) {
    const ProfileChecks none;
    const ProfileChecks& base = profile ? profile->checks : none;
    const ProfileChecks& extra = profile && bulk ? profile->bulk_checks : none;
    ChecksSpec spec;
    spec.spf = checked(as_string(checks["spf"]), {base.spf, extra.spf});
    spec.dkim = checked(as_string(checks["dkim"]), {base.dkim, extra.dkim});
    spec.dmarc = checked(as_string(checks["dmarc"]), {base.dmarc, extra.dmarc});
    spec.ptr = checked(as_string(checks["ptr"]), {base.ptr, extra.ptr});
    spec.authentication = checked(as_string(checks["authentication"]), {base.authentication, extra.authentication});
    spec.rfc5322 = checked(as_string(checks["rfc5322"]), {base.rfc5322, extra.rfc5322});
    spec.unsubscribe = checked(as_string(checks["unsubscribe"]), {base.unsubscribe, extra.unsubscribe});
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

  static void add_profile_replies(const std::vector<ProfileReply>& replies, std::map<std::string, smtp::Reply>& out) {
    for (const auto& [key, text] : replies) {
      // Profiles are source code, tested to parse: a failure here is a bug, not bad input.
      auto [reply, problem] = parse_reply_line(std::string(text));
      if (!reply) {
        throw std::logic_error("profile reply " + std::string(key) + ": " + problem);
      }
      out[std::string(key)] = std::move(*reply);
    }
  }

  // `tls: starttls`, or `tls: {mode: starttls, certificate: expired}` (schema-checked values).
  void build_tls(const Node& node, Scenario& scenario) {
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

  void build_server(const Node& node, Scenario& scenario) {
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
        {"greeting", 220}, {"ehlo", 250}, {"starttls", 220}, {"auth", 235}, {"mail", 250}, {"rcpt", 250},
        {"data", 354},     {"queued", 250}, {"rset", 250},  {"noop", 250}, {"quit", 221},
        {"auth_username", 334}, {"auth_password", 334}};
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
      scenario.server_extras.peer =
          PeerSpec{as_string(node["peer"]["ip"]).value_or(""), as_string(node["peer"]["helo"])};
    }
    Node checks = node["checks"];
    scenario.server_extras.checks = build_checks(checks, profile, scenario.server_extras.bulk_sender);
    const ChecksSpec& spec = scenario.server_extras.checks;
    auto on = [](const std::optional<std::string>& mode) { return mode && *mode != "off"; };
    const bool any_check = on(spec.spf) || on(spec.dkim) || on(spec.dmarc) || spec.ptr == "require" ||
                           on(spec.authentication) || on(spec.rfc5322) || on(spec.unsubscribe) ||
                           !spec.dnsbl.empty();
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

  static MimeExpect build_mime_expect(const Node& node) {
    MimeExpect mime;
    for (const auto& type : as_strings(node["types"])) {
      mime.types.push_back(ascii::lower(type));
    }
    mime.attachments = as_strings(node["attachments"]);
    mime.text_contains = as_strings(node["text_contains"]);
    mime.problems = as_bool(node["problems"]);
    return mime;
  }

  smtp::AuthConfig build_auth(const Node& node) {
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

  rules::Rule build_rule(const Node& node) {
    rules::Rule rule;
    rule.source_line = m_document.positions.find(node.path).value.line;
    if (auto stage = as_string(node["at"])) {
      rule.at = rules::parse_stage(*stage).value_or(rules::Stage::rcpt);
    }
    build_match(node["match"], rule.match);
    if (node["reply"].present()) {
      rule.reply = build_reply(node["reply"]);
      check_address_placeholder(node["reply"], rule.at);
    }
    if (node["fault"].present()) {
      rule.fault = build_fault(node["fault"]);
    }
    if (node["times"].present()) {
      rule.times = count_value(node["times"]);  // the schema holds it to integers >= 1
    }
    if (!node["reply"].present() && !node["fault"].present()) {
      error(node, "a rule needs a reply, a fault, or both (a delay, tarpit or split fault and a reply)");
    }
    if (rule.fault && rule.fault->kind == rules::Fault::Kind::drop && rule.at != rules::Stage::data) {
      error(node["fault"], "a drop fault happens during the message: use it at: data");
    }
    if (rule.fault && rule.fault->kind == rules::Fault::Kind::tls_failure && rule.at != rules::Stage::starttls) {
      error(node["fault"], "a tls_failure fault breaks the STARTTLS handshake: use it at: starttls");
    }
    if (node["reply"].present() && rule.fault && !shapes_the_reply(rule.fault->kind)) {
      error(node["fault"], "a reply can only be combined with a delay, tarpit or split fault (" +
                               std::string(rules::to_string(rule.fault->kind)) + " sends no reply of the rule's)");
    }
    return rule;
  }

  // {address} where the stage knows no address (rules::stage_has_address) would reach clients
  // literally, so it is an error at the line that says it; any other braces are reply text.
  void check_address_placeholder(const Node& reply, rules::Stage stage) {
    if (rules::stage_has_address(stage)) {
      return;
    }
    const std::string token = "{" + std::string(rules::k_address_placeholder) + "}";
    if (auto saying = string_saying(reply, token)) {
      error(*saying, token + " has no value in a reply at " + std::string(rules::to_string(stage)) +
                         ": only mail (the sender), rcpt (the recipient), data and end_of_data (the sender) "
                         "rules know an address");
    }
  }

  // The first string of a reply (the line, a list item, or its `text`) that contains `token`.
  static std::optional<Node> string_saying(const Node& node, const std::string& token) {
    if (auto text = as_string(node)) {
      return text->find(token) == std::string::npos ? std::nullopt : std::optional<Node>(node);
    }
    if (node.is_object()) {
      return string_saying(node["text"], token);
    }
    for (const auto& item : node.items()) {
      if (auto found = string_saying(item, token)) {
        return found;
      }
    }
    return std::nullopt;
  }

  void build_match(const Node& node, rules::Match& match) {
    match.mail_from = address_pattern(node["mail_from"], AddressField::sender_match);
    match.rcpt = address_pattern(node["rcpt"], AddressField::address_match);
    match.helo = pattern(node["helo"]);
    match.client_ip = pattern(node["client_ip"]);
    match.auth_user = pattern(node["auth_user"]);
    for (const auto& [name, value] : node["header"].members()) {
      if (auto header = pattern(value)) {
        match.headers.push_back({name, *header});
      }
    }
    Node attempt = node["attempt"];
    if (auto single = as_integer(attempt); single && *single >= 1) {
      auto value = static_cast<unsigned>(std::min<std::int64_t>(*single, std::numeric_limits<unsigned>::max()));
      match.attempt = rules::AttemptRange{value, value};
    } else if (attempt.is_object()) {
      rules::AttemptRange range{1, std::numeric_limits<unsigned>::max()};
      if (auto low = count_value(attempt["min"])) {
        range.min = *low;
      }
      if (auto high = count_value(attempt["max"])) {
        range.max = *high;
      }
      if (range.min > range.max) {
        error(attempt, "attempt range is empty: min " + std::to_string(range.min) + " is greater than max " +
                           std::to_string(range.max));
      }
      match.attempt = range;
    }
    Node probability = node["probability"];
    if (probability.value && probability.value->is_number()) {
      double value = probability.value->get<double>();
      if (value < 0.0 || value > 1.0) {
        error(probability, "probability must be between 0 and 1, found " + probability.value->dump());
      } else {
        match.probability = value;
      }
    }
    if (Node rate = node["rate"]; rate.is_object()) {
      rules::RateLimit limit;
      if (auto max = as_integer(rate["max"]); max && *max >= 0) {
        limit.max = static_cast<unsigned>(*max);
      }
      if (auto window = duration(rate["window"])) {
        limit.window = *window;
      }
      if (limit.window.count() <= 0) {
        error(rate["window"], "a rate window must be longer than 0");
      }
      match.rate = limit;
    }
  }

  // Each check's refusal text, as receivers word it differently; a refusal must be 4xx or 5xx.
  // `server.replies` and `checks.replies`: refusals only, so each must be 4xx or 5xx.
  std::map<std::string, smtp::Reply> build_refusal_replies(const Node& node, const std::string& label) {
    std::map<std::string, smtp::Reply> replies;
    for (const auto& [name, value] : node.members()) {
      auto reply = build_reply(value);
      if (!reply) {
        continue;
      }
      if (reply->code < 400) {
        error(value, label + name + " must refuse (4xx or 5xx), found " + std::to_string(reply->code));
        continue;
      }
      replies.emplace(name, std::move(*reply));
    }
    return replies;
  }

  std::optional<smtp::Reply> build_reply(const Node& node) {
    if (auto text = as_string(node)) {
      auto [reply, problem] = parse_reply_line(*text);
      if (!reply) {
        error(node, problem);
      }
      return reply;
    }
    if (node.is_array()) {
      std::optional<smtp::Reply> combined;
      for (const auto& item : node.items()) {
        auto text = as_string(item);
        if (!text) {
          continue;
        }
        auto [line, problem] = parse_reply_line(*text);
        if (!line) {
          error(item, problem);
          continue;
        }
        if (!combined) {
          combined = line;
          continue;
        }
        if (line->code != combined->code) {
          error(item, "every line of a reply has the same code: " + std::to_string(line->code) + " after " +
                          std::to_string(combined->code));
        } else if (line->enhanced != combined->enhanced) {
          error(item, "every line of a reply has the same enhanced code");
        }
        combined->lines.insert(combined->lines.end(), line->lines.begin(), line->lines.end());
      }
      return combined;
    }
    if (!node.is_object()) {
      return std::nullopt;
    }
    auto code = reply_code(node["code"]);
    auto enhanced = enhanced_code(node["enhanced"], code);
    if (!code) {
      return std::nullopt;
    }
    smtp::Reply reply{*code, enhanced, {}};
    for (const auto& text : as_strings(node["text"])) {
      for (auto& line : split_lines(text)) {
        reply.lines.push_back(std::move(line));
      }
    }
    return reply;
  }

  std::optional<rules::Fault> build_fault(const Node& node) {
    Node kind_node = node.is_object() ? node["kind"] : node;
    std::optional<std::string> kind_text = as_string(kind_node);
    if (auto number = as_integer(kind_node)) {
      kind_text = std::to_string(*number);
    }
    auto kind = kind_text ? rules::parse_fault_kind(*kind_text) : std::nullopt;
    if (!kind) {
      return std::nullopt;  // the schema names the allowed kinds
    }
    rules::Fault fault{*kind, milliseconds(0)};
    Node duration_node = node["duration"];
    if (auto wait = duration(duration_node)) {
      fault.duration = *wait;
    }
    const bool timed = *kind == rules::Fault::Kind::delay || *kind == rules::Fault::Kind::tarpit;
    const std::string name(rules::to_string(*kind));
    if (timed && !duration_node.present()) {
      error(node, "a " + name + " fault needs a duration, e.g. {kind: " + name + ", duration: 5s}");
    } else if (!timed && duration_node.present()) {
      error(duration_node, "only delay and tarpit faults take a duration");
    }
    return fault;
  }

  void build_limits(const Node& node, smtp::ServerLimits& limits) {
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

  AppSpec build_app(const Node& node) {
    AppSpec app = build_command(node);
    app.line = key_line(node);
    for (const auto& step : node["then"].items()) {
      if (step.is_object()) {
        app.then.push_back(build_then_step(step));
      }
    }
    return app;
  }

  // `app.then[i]`: wait_for (within), then run (env, cwd, timeout, expect_exit).
  ThenStep build_then_step(const Node& node) {
    ThenStep step;
    step.line = m_document.positions.find(node.path).value.line;
    if (Node wait_for = node["wait_for"]; wait_for.is_object()) {
      step.wait_for.emplace();
      build_mail_expectations(wait_for, *step.wait_for, true);
      step.wait_for->line = key_line(wait_for);
    }
    if (auto within = duration(node["within"])) {
      step.within = *within;
    }
    if (node["within"].present() && !node["wait_for"].present()) {
      error_at_key(node["within"], "within says how long wait_for may take, and this step has no wait_for");
    }
    if (node["run"].present()) {
      step.run = build_command(node);
      step.run->line = step.line;
    } else if (!node["wait_for"].present()) {
      error(node, "a then step needs run, wait_for or both, e.g. {wait_for: {replies: [{code: 451}]}, run: ...}");
    }
    for (const char* key : {"env", "cwd", "timeout", "expect_exit"}) {
      if (node[key].present() && !node["run"].present()) {
        error_at_key(node[key], std::string(key) + " belongs to run, and this step has no run");
      }
    }
    if (auto code = as_integer(node["expect_exit"]); code && *code >= 0 && *code <= 255) {
      step.expect_exit = static_cast<int>(*code);
    } else if (as_string(node["expect_exit"]) == "any") {
      step.exit_any = true;
    }
    return step;
  }

  // run / env / timeout / cwd of the app or a then step.
  AppSpec build_command(const Node& node) {
    AppSpec app;
    Node run = node["run"];
    if (auto command = as_string(run)) {
      app.shell = *command;
      check_templates(run);
    }
    for (const auto& item : run.items()) {
      if (auto argument = as_string(item)) {
        app.argv.push_back(*argument);
        check_templates(item);
      }
    }
    for (const auto& [name, value] : node["env"].members()) {
      if (node.path == "app") {  // build_service reads run, env and cwd through here too
        warn_app_field_in_env(name, value);
      }
      if (auto text = as_string(value)) {
        app.env[name] = *text;
        check_templates(value);
      } else if (auto number = as_integer(value)) {
        app.env[name] = std::to_string(*number);
      } else if (auto flag = as_bool(value)) {
        app.env[name] = *flag ? "true" : "false";
      }
    }
    app.timeout = duration(node["timeout"]);
    app.cwd = as_string(node["cwd"]);
    check_templates(node["cwd"]);
    return app;
  }

  // `timeout: 20s` under `env:` instead of beside it is valid YAML and a valid variable, and the
  // app then runs without its timeout: almost always an indentation mistake.
  void warn_app_field_in_env(const std::string& name, const Node& value) {
    constexpr std::string_view k_app_fields[] = {"run", "env", "timeout", "cwd"};
    if (std::find(std::begin(k_app_fields), std::end(k_app_fields), name) == std::end(k_app_fields)) {
      return;
    }
    warn_at_key(value, "app.env." + name + " sets an environment variable named like the app field '" + name +
                           "': if it is meant as app." + name + ", indent it as deep as env:, not under it");
  }

  // `services:` — see scenario/service.hpp.
  std::vector<ServiceSpec> build_services(const Node& node) {
    std::vector<ServiceSpec> services;
    std::map<std::string, std::size_t> first_line;
    for (const auto& item : node.items()) {
      if (!item.is_object()) {
        continue;
      }
      ServiceSpec service = build_service(item);
      if (!service.name.empty()) {
        auto [first, inserted] = first_line.emplace(service.name, service.line);
        if (!inserted) {
          error(item["name"], "duplicate service name '" + service.name + "' (first at line " +
                                  std::to_string(first->second) + ")");
        }
      }
      services.push_back(std::move(service));
    }
    return services;
  }

  ServiceSpec build_service(const Node& node) {
    ServiceSpec service;
    service.line = m_document.positions.find(node.path).value.line;
    if (auto name = as_string(node["name"])) {
      if (valid_name(*name)) {
        service.name = *name;
      } else {
        error(node["name"], "bad service name '" + *name +
                                "' (a lower-case letter, then letters, digits, _ or -, e.g. web or queue_worker)");
      }
    }
    // run, env and cwd read like the app's.
    AppSpec like_app = build_app(node);
    service.argv = std::move(like_app.argv);
    service.shell = std::move(like_app.shell);
    service.env = std::move(like_app.env);
    service.cwd = std::move(like_app.cwd);
    if (auto grace = duration(node["stop_timeout"])) {
      service.stop_timeout = *grace;
    }
    service.ready = build_ready(node["ready"]);
    return service;
  }

  ReadySpec build_ready(const Node& node) {
    ReadySpec ready;
    if (!node.is_object()) {
      return ready;
    }
    ready.line = key_line(node);
    if (auto timeout = duration(node["timeout"])) {
      ready.timeout = *timeout;
    }
    constexpr std::pair<const char*, ReadySpec::Kind> k_kinds[] = {
        {"port", ReadySpec::Kind::port}, {"http", ReadySpec::Kind::http}, {"log", ReadySpec::Kind::log}};
    bool unknown = false;
    for (const auto& [key, value] : node.members()) {
      if (key != "port" && key != "http" && key != "log" && key != "timeout") {
        error_at_key(value, "unknown ready kind '" + key + "' (ready waits for one of port, http or log)");
        unknown = true;
      }
    }
    std::vector<std::string> kinds;
    for (const auto& [key, kind] : k_kinds) {
      Node target = node[key];
      if (!target.present()) {
        continue;
      }
      kinds.emplace_back(key);
      ready.kind = kind;
      if (auto number = as_integer(target)) {
        ready.target = std::to_string(*number);
      } else if (auto text = as_string(target)) {
        ready.target = *text;
        check_templates(target);
      }
      check_ready_target(target, kind, ready.target);
    }
    if (kinds.size() > 1) {
      error_at_key(node[kinds[1]], "ready waits for one thing, found " + kinds[0] + " and " + kinds[1] +
                                       " (keep one of port, http or log)");
    } else if (kinds.empty() && !unknown) {
      error_at_key(node, "ready needs one of port, http or log (leave ready out to count a service ready once started)");
    }
    return ready;
  }

  // What can be judged before the run: targets without templates.
  void check_ready_target(const Node& node, ReadySpec::Kind kind, const std::string& target) {
    if (!template_references(target).empty()) {
      return;
    }
    if (kind == ReadySpec::Kind::port) {
      std::int64_t number = 0;
      auto [end, ec] = std::from_chars(target.data(), target.data() + target.size(), number);
      if (target.empty() || ec != std::errc{} || end != target.data() + target.size() || number < 1 ||
          number > 65535) {
        error(node, "ready.port \"" + target + "\" is not a port from 1 to 65535 or a {{port.NAME}}");
      }
    } else if (kind == ReadySpec::Kind::http) {
      if (!target.starts_with("http://")) {
        error(node, "ready.http \"" + target + "\" is not an http:// URL (e.g. http://127.0.0.1:{{port.web}}/healthz)");
      }
    } else if (kind == ReadySpec::Kind::log) {
      try {
        std::regex compiled(target);
      } catch (const std::regex_error&) {
        error(node, "ready.log \"" + target + "\" is not a valid regular expression (ECMAScript)");
      }
    }
  }

  ClientSpec build_client(const Node& node) {
    ClientSpec client;
    client.line = key_line(node);
    Node target = node["target"];
    if (auto tls = as_string(target["tls"])) {
      client.target.tls = smtp::parse_tls_mode(*tls);
    }
    if (target["host"].present() != target["port"].present()) {
      error(target, "target.host and target.port go together (without both, the client talks to the sandbox)");
    } else if (auto host = as_string(target["host"])) {
      client.target.sandbox = false;
      client.target.host = *host;
      const auto port_text = as_string(target["port"]);
      if (port_text && !template_references(*port_text).empty()) {
        // A service started by the scenario, e.g. "{{port.mx}}": known only when it runs.
        const auto names = template_references(*port_text);
        const bool one_port = names.size() == 1 && port_text->starts_with("{{") && port_text->ends_with("}}") &&
                              (names[0].starts_with(k_port_template_prefix) || names[0] == "smtp.port");
        if (one_port) {
          check_templates(target["port"]);
          client.target.port_template = *port_text;
        } else {
          error(target["port"], "target.port \"" + *port_text + "\" is not a port: write a number or \"{{port.NAME}}\"");
        }
      } else if (auto port = port_value(target["port"])) {
        client.target.port = *port;
      }
    }
    for (const auto& step : node["steps"].items()) {
      if (step.is_object()) {
        client.steps.push_back(build_step(step));
      }
    }
    return client;
  }

  // CI hands ports in from outside, `port: "${MX_PORT:-2525}"`: a string that is a whole number
  // after ${} expansion counts as that number. Numbers out of range are the schema's to report.
  std::optional<std::uint16_t> port_value(const Node& node) {
    std::optional<std::int64_t> port = as_integer(node);
    if (auto text = as_string(node)) {
      std::int64_t number = 0;
      auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), number);
      if (text->empty() || ec != std::errc{} || end != text->data() + text->size() || number < 1 || number > 65535) {
        error(node, "port \"" + *text + "\" is not a whole number from 1 to 65535");
        return std::nullopt;
      }
      port = number;
    }
    if (!port || *port < 1 || *port > 65535) {
      return std::nullopt;
    }
    return static_cast<std::uint16_t>(*port);
  }

  ClientStep build_step(const Node& node) {
    ClientStep step;
    step.line = m_document.positions.find(node.path).value.line;
    constexpr std::pair<const char*, ClientStep::Kind> k_actions[] = {
        {"send", ClientStep::Kind::send}, {"starttls", ClientStep::Kind::starttls}, {"auth", ClientStep::Kind::auth},
        {"data", ClientStep::Kind::data}, {"connect", ClientStep::Kind::connect},   {"quit", ClientStep::Kind::quit},
    };
    std::vector<std::string> actions;
    for (const auto& [key, kind] : k_actions) {
      if (node[key].value) {
        actions.emplace_back(key);
        step.kind = kind;
      }
    }
    if (actions.size() > 1) {
      error(node, "a step does one thing, found " + actions[0] + " and " + actions[1] + " (split them into two steps)");
    }
    if (auto text = as_string(node["send"])) {
      step.text = *text;
      check_templates(node["send"]);
    }
    if (auto body = as_string(node["data"])) {
      step.text = *body;
      check_templates(node["data"]);
    }
    if (Node auth = node["auth"]; auth.is_object()) {
      step.auth = AuthStep{};
      if (auto mechanism = as_string(auth["mechanism"])) {
        step.auth->mechanism = smtp::parse_auth_mechanism(*mechanism).value_or(smtp::AuthMechanism::plain);
      }
      step.auth->user = as_string(auth["user"]).value_or("");
      step.auth->password = as_string(auth["password"]).value_or("");
      check_templates(auth["user"]);
      check_templates(auth["password"]);
    }
    if (Node expect = node["expect"]; expect.is_object()) {
      StepExpect checks;
      checks.code = reply_code(expect["code"]);
      checks.enhanced = enhanced_code(expect["enhanced"], checks.code);
      checks.text = pattern(expect["text"]);
      check_templates(expect["text"]);
      step.expect = std::move(checks);
    }
    return step;
  }

  OutputExpect build_output(const Node& node) {
    OutputExpect output;
    output.contains = as_strings(node["contains"]);
    output.not_contains = as_strings(node["not_contains"]);
    if (auto regex = as_string(node["regex"])) {
      std::string written = regex->starts_with('/') ? *regex : "/" + *regex + "/";
      try {
        auto match = rules::TextMatch::parse(written);
        if (match.kind() != rules::TextMatch::Kind::regex) {
          error(node["regex"], "not a regex: '" + *regex + "' (write /regex/ or /regex/i)");
        } else {
          output.regex = std::move(match);
        }
      } catch (const std::invalid_argument& bad) {
        error(node["regex"], bad.what());
      }
    }
    return output;
  }

  // `exit`, `timed_out` and `signal` of `expect.app`: the schema has checked the types and the
  // ranges; names of signals and outcomes that cannot happen together are checked here.
  void build_app_outcome(const Node& app, AppExpect& result) {
    if (auto code = as_integer(app["exit"]); code && *code >= 0 && *code <= 255) {
      result.exit = static_cast<int>(*code);
    } else if (as_string(app["exit"]) == "any") {
      result.exit_any = true;
    }
    result.timed_out = as_bool(app["timed_out"]);
    if (auto number = as_integer(app["signal"]); number && signals::known(*number)) {
      result.signal = static_cast<int>(*number);
    } else if (auto name = as_string(app["signal"])) {
      result.signal = signals::number_of(*name);
      if (!result.signal) {
        error(app["signal"],
              "'" + *name + "' is not a signal name (write TERM, KILL, INT, HUP, ..., SIGTERM or a number)");
      }
    }
    const bool exits = app["exit"].present();
    if (result.timed_out.value_or(false) && (exits || app["signal"].present())) {
      error_at_key(app["timed_out"],
                   "a timed-out app is killed by the runner: 'timed_out: true' cannot go with 'exit' or 'signal'");
    } else if (exits && app["signal"].present()) {
      error_at_key(app["signal"], "an app either exits or is killed by a signal: 'signal' cannot go with 'exit'");
    }
  }

  void build_expect(const Node& node, Scenario& scenario) {
    Expectations& expect = scenario.expect;
    if (!node.is_object()) {
      return;
    }
    expect.line = key_line(node);
    if (Node app = node["app"]; app.is_object()) {
      AppExpect result;
      result.line = key_line(app);
      build_app_outcome(app, result);
      if (app["stdout"].is_object()) {
        result.stdout_expect = build_output(app["stdout"]);
      }
      if (app["stderr"].is_object()) {
        result.stderr_expect = build_output(app["stderr"]);
      }
      expect.app = std::move(result);
    }
    build_mail_expectations(node, expect, false);
    expect.within = duration(node["within"]);
    if (Node transcript = node["transcript"]; transcript.is_object()) {
      TranscriptExpect result;
      result.line = key_line(transcript);
      if (auto golden = as_string(transcript["golden"])) {
        std::filesystem::path path(*golden);
        result.golden = path.is_absolute() ? path : scenario.dir / path;
      }
      result.contains = as_strings(transcript["contains"]);
      expect.transcript = std::move(result);
    }
    for (const auto& [finding, occurs] : node["lint"].members()) {
      if (auto value = as_bool(occurs)) {
        expect.lint.push_back({finding, *value, key_line(occurs)});
      }
    }
  }

  // `within` of one expectation; a `then` step's wait_for has one window, the step's.
  std::optional<milliseconds> item_within(const Node& item, bool in_wait_for) {
    if (in_wait_for && item["within"].present()) {
      error_at_key(item["within"], "an expectation in wait_for takes no within: the step's within (default 10s) "
                                   "bounds the whole wait");
      return std::nullopt;
    }
    return duration(item["within"]);
  }

  // replies, delivered, not_delivered, rejected and retries: what expect: and a then step's
  // wait_for have in common.
  void build_mail_expectations(const Node& node, Expectations& expect, bool in_wait_for) {
    for (const auto& item : node["replies"].items()) {
      if (item.is_object()) {
        expect.replies.push_back(build_reply_expect(item));
        expect.replies.back().within = item_within(item, in_wait_for);
      }
    }
    for (const auto& item : node["delivered"].items()) {
      if (!item.is_object()) {
        continue;
      }
      DeliveredExpect delivered;
      delivered.line = m_document.positions.find(item.path).value.line;
      delivered.to = address_pattern(item["to"], AddressField::address_match);
      delivered.from = address_pattern(item["from"], AddressField::sender_match);
      delivered.count = count_value(item["count"]);
      for (const auto& [name, value] : item["headers"].members()) {
        if (auto header = pattern(value)) {
          delivered.headers.emplace(name, std::move(*header));
        }
      }
      for (const auto& [method, result] : item["auth"].members()) {
        if (auto value = as_string(result)) {
          delivered.auth.emplace(method, *value);
        }
      }
      if (Node mime = item["mime"]; mime.is_object()) {
        delivered.mime = build_mime_expect(mime);
      }
      delivered.within = item_within(item, in_wait_for);
      expect.delivered.push_back(std::move(delivered));
    }
    expect.not_delivered = as_strings(node["not_delivered"]);
    check_addresses(node["not_delivered"], AddressField::address);
    if (node["not_delivered"].present()) {
      expect.not_delivered_line = key_line(node["not_delivered"]);
    }
    for (const auto& item : node["rejected"].items()) {
      if (!item.is_object()) {
        continue;
      }
      RejectedExpect rejected;
      rejected.line = m_document.positions.find(item.path).value.line;
      rejected.reason = as_string(item["reason"]).value_or("");
      rejected.to = address_pattern(item["to"], AddressField::address_match);
      rejected.code = reply_code(item["code"]);
      rejected.enhanced = enhanced_code(item["enhanced"], rejected.code);
      rejected.count = count_value(item["count"]);
      if (rejected.code && *rejected.code < 400) {
        error(item["code"], "a refusal is 4xx or 5xx, found " + std::to_string(*rejected.code));
      }
      rejected.within = item_within(item, in_wait_for);
      expect.rejected.push_back(std::move(rejected));
    }
    for (const auto& item : node["retries"].items()) {
      if (!item.is_object()) {
        continue;
      }
      RetryExpect retry;
      retry.line = m_document.positions.find(item.path).value.line;
      retry.rcpt = as_string(item["rcpt"]).value_or("");
      check_address(item["rcpt"], AddressField::address);
      retry.max_attempts = count_value(item["max_attempts"]);
      retry.min_attempts = count_value(item["min_attempts"]);
      if (retry.min_attempts && retry.max_attempts && *retry.min_attempts > *retry.max_attempts) {
        error(item, "min_attempts " + std::to_string(*retry.min_attempts) + " is greater than max_attempts " +
                        std::to_string(*retry.max_attempts));
      }
      retry.within = item_within(item, in_wait_for);
      expect.retries.push_back(std::move(retry));
    }
  }

  ReplyExpect build_reply_expect(const Node& node) {
    ReplyExpect expect;
    expect.line = m_document.positions.find(node.path).value.line;
    expect.command = as_string(node["command"]).value_or("");
    expect.arg = pattern(node["arg"]);
    expect.code = reply_code(node["code"]);
    expect.enhanced = enhanced_code(node["enhanced"], expect.code);
    expect.text = pattern(node["text"]);
    expect.count = count_value(node["count"]);
    expect.min = count_value(node["min"]);
    expect.max = count_value(node["max"]);
    if (expect.count && (expect.min || expect.max)) {
      error(node["count"], "count is exact: it cannot be combined with min or max");
    }
    if (expect.min && expect.max && *expect.min > *expect.max) {
      error(node["min"], "min " + std::to_string(*expect.min) + " is greater than max " + std::to_string(*expect.max));
    }
    return expect;
  }

  const Document& m_document;
  std::set<std::string> m_port_names;
  Reporter& m_reporter;
  Purpose m_purpose;
};

}  // namespace

void build_scenario(const Document& document, Reporter& reporter, Scenario& scenario, Purpose purpose) {
  Builder(document, reporter, purpose).build(scenario);
}

}  // namespace maildog::scenario::detail
