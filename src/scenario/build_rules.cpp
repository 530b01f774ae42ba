// The Builder's server.rules, and the reply and fault values rules and server.replies hold: matches,
// reply grammar, placeholders that the stage can fill, faults.
#include "scenario/build_context.hpp"

namespace maildog::scenario::detail {

namespace {

// The first string of a reply (the line, a list item, or its `text`) that contains `token`.
std::optional<Node> string_saying(const Node& node, const std::string& token) {
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

}  // namespace

rules::Rule Builder::build_rule(const Node& node) {
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
void Builder::check_address_placeholder(const Node& reply, rules::Stage stage) {
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

void Builder::build_match(const Node& node, rules::Match& match) {
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
std::map<std::string, smtp::Reply> Builder::build_refusal_replies(const Node& node, const std::string& label) {
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

std::optional<smtp::Reply> Builder::build_reply(const Node& node) {
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

std::optional<rules::Fault> Builder::build_fault(const Node& node) {
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

}  // namespace maildog::scenario::detail
