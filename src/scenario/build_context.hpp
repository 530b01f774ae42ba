// The scenario Builder's shared context, for build*.cpp only: the JSON node with its diagnostic
// path, the value accessors and parsers every section uses, and the Builder, one walk over a
// document whose sections live one file each: build.cpp (the walk and the checks every section
// shares), build_server.cpp (dns: and server: but its rules), build_rules.cpp (server.rules, reply
// and fault values), build_run.cpp (app: with its then steps, services:, client:) and
// build_expect.cpp (expect:).
#pragma once

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
#include "core/name_table.hpp"
#include "core/signals.hpp"
#include "scenario/addresses.hpp"
#include "scenario/document.hpp"
#include "scenario/profiles.hpp"

namespace maildog::scenario::detail {

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

// Value accessors and parsers (build.cpp). Each accessor tolerates a value of the wrong type: the
// schema has reported it already.
std::optional<std::string> as_string(const Node& node);
std::optional<std::int64_t> as_integer(const Node& node);
std::optional<bool> as_bool(const Node& node);
std::vector<std::string> as_strings(const Node& node);
std::vector<std::string> split_lines(const std::string& text);
bool looks_like_enhanced(std::string_view token);
std::string bad_enhanced_message(std::string_view text);
std::string class_mismatch_message(const smtp::EnhancedCode& enhanced, int code);
std::string code_range_message(std::int64_t code);
std::pair<std::optional<smtp::Reply>, std::string> parse_reply_line(const std::string& text);
bool shapes_the_reply(rules::Fault::Kind kind);
std::optional<milliseconds> parse_duration(std::string_view text);
std::optional<std::uint64_t> parse_size(std::string_view text);

class Builder {
 public:
  Builder(const Document& document, Reporter& reporter, Purpose purpose)
      : m_document(document), m_reporter(reporter), m_purpose(purpose) {}

  void build(Scenario& scenario);

 private:
  void error(const Node& node, std::string message) { m_reporter.error(node.path, std::move(message)); }
  void error_at_key(const Node& node, std::string message) { m_reporter.error(node.path, std::move(message), true); }
  void warn_at_key(const Node& node, std::string message) { m_reporter.warn(node.path, std::move(message), true); }
  std::size_t key_line(const Node& node) const { return m_document.positions.find(node.path).key.line; }

  // build.cpp: the checks and accessors every section uses
  std::optional<rules::TextMatch> pattern(const Node& node);
  void check_address(const Node& node, AddressField field);
  void check_addresses(const Node& node, AddressField field);
  std::optional<rules::TextMatch> address_pattern(const Node& node, AddressField field);
  std::optional<milliseconds> duration(const Node& node);
  std::optional<int> reply_code(const Node& node);
  std::optional<smtp::EnhancedCode> enhanced_code(const Node& node, std::optional<int> code);
  std::optional<unsigned> count_value(const Node& node);
  void check_templates(const Node& node);
  void check_port_template(const Node& node, const std::string& port_name);

  // build_server.cpp
  void build_dns(const Node& node, DnsSpec& dns);
  void warn_forward_dnsbl_names(const Node& dns, const Scenario& scenario);
  const Profile* build_profile(const Node& node, ServerExtras& extras);
  template <typename Mode, std::size_t N>
  std::optional<Mode> check_mode(const Node& node, const NameTable<Mode, N>& table);
  ChecksSpec build_checks(const Node& checks, const Profile* profile, bool bulk);
  void build_tls(const Node& node, Scenario& scenario);
  void build_server(const Node& node, Scenario& scenario);
  smtp::AuthConfig build_auth(const Node& node);
  void build_limits(const Node& node, smtp::ServerLimits& limits);

  // build_rules.cpp
  rules::Rule build_rule(const Node& node);
  void check_address_placeholder(const Node& reply, rules::Stage stage);
  void build_match(const Node& node, rules::Match& match);
  std::map<std::string, smtp::Reply> build_refusal_replies(const Node& node, const std::string& label);
  std::optional<smtp::Reply> build_reply(const Node& node);
  std::optional<rules::Fault> build_fault(const Node& node);

  // build_run.cpp
  AppSpec build_app(const Node& node);
  ThenStep build_then_step(const Node& node);
  AppSpec build_command(const Node& node);
  void warn_app_field_in_env(const std::string& name, const Node& value);
  std::vector<ServiceSpec> build_services(const Node& node);
  ServiceSpec build_service(const Node& node);
  ReadySpec build_ready(const Node& node);
  void check_ready_target(const Node& node, ReadySpec::Kind kind, const std::string& target);
  ClientSpec build_client(const Node& node);
  std::optional<std::uint16_t> port_value(const Node& node);
  ClientStep build_step(const Node& node);

  // build_expect.cpp
  OutputExpect build_output(const Node& node);
  void build_app_outcome(const Node& app, AppExpect& result);
  void build_expect(const Node& node, Scenario& scenario);
  std::optional<milliseconds> item_within(const Node& item, bool in_wait_for);
  void build_mail_expectations(const Node& node, Expectations& expect, bool in_wait_for);
  ReplyExpect build_reply_expect(const Node& node);

  const Document& m_document;
  std::set<std::string> m_port_names;
  Reporter& m_reporter;
  Purpose m_purpose;
};

}  // namespace maildog::scenario::detail
