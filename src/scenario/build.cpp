// Semantic checks the schema cannot express (reply grammar, regexes, durations, ranges, step
// shapes, template names) and the Scenario model, built from a document's JSON in one walk.
// Every accessor tolerates values of the wrong type: the schema has reported those already.
#include "scenario/build_context.hpp"

namespace maildog::scenario::detail {

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

void Builder::build(Scenario& scenario) {
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

std::optional<rules::TextMatch> Builder::pattern(const Node& node) {
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
void Builder::check_address(const Node& node, AddressField field) {
  if (auto text = as_string(node)) {
    if (auto problem = address_problem(*text, field)) {
      error(node, std::move(*problem));
    }
  }
}

void Builder::check_addresses(const Node& node, AddressField field) {
  check_address(node, field);
  for (const auto& item : node.items()) {
    check_address(item, field);
  }
}

std::optional<rules::TextMatch> Builder::address_pattern(const Node& node, AddressField field) {
  check_address(node, field);
  return pattern(node);
}

std::optional<milliseconds> Builder::duration(const Node& node) {
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

std::optional<int> Builder::reply_code(const Node& node) {
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
std::optional<smtp::EnhancedCode> Builder::enhanced_code(const Node& node, std::optional<int> code) {
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

std::optional<unsigned> Builder::count_value(const Node& node) {
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

void Builder::check_templates(const Node& node) {
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
void Builder::check_port_template(const Node& node, const std::string& port_name) {
  if (valid_name(port_name)) {
    m_port_names.insert(port_name);
  } else {
    error(node, "bad port name in {{port." + port_name +
                    "}} (a name is a lower-case letter, then letters, digits, _ or -, e.g. {{port.web}})");
  }
}

void build_scenario(const Document& document, Reporter& reporter, Scenario& scenario, Purpose purpose) {
  Builder(document, reporter, purpose).build(scenario);
}

}  // namespace maildog::scenario::detail
