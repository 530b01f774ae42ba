// The Builder's sections for what a scenario runs: app: and its then steps, services: with their
// ready checks, and client: with its scripted steps and target.
#include "scenario/build_context.hpp"

namespace maildog::scenario::detail {

AppSpec Builder::build_app(const Node& node) {
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
ThenStep Builder::build_then_step(const Node& node) {
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
AppSpec Builder::build_command(const Node& node) {
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
void Builder::warn_app_field_in_env(const std::string& name, const Node& value) {
  constexpr std::string_view k_app_fields[] = {"run", "env", "timeout", "cwd"};
  if (std::find(std::begin(k_app_fields), std::end(k_app_fields), name) == std::end(k_app_fields)) {
    return;
  }
  warn_at_key(value, "app.env." + name + " sets an environment variable named like the app field '" + name +
                         "': if it is meant as app." + name + ", indent it as deep as env:, not under it");
}

// `services:` — see scenario/service.hpp.
std::vector<ServiceSpec> Builder::build_services(const Node& node) {
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
        error(item["name"],
              "duplicate service name '" + service.name + "' (first at line " + std::to_string(first->second) + ")");
      }
    }
    services.push_back(std::move(service));
  }
  return services;
}

ServiceSpec Builder::build_service(const Node& node) {
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

ReadySpec Builder::build_ready(const Node& node) {
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
void Builder::check_ready_target(const Node& node, ReadySpec::Kind kind, const std::string& target) {
  if (!template_references(target).empty()) {
    return;
  }
  if (kind == ReadySpec::Kind::port) {
    std::int64_t number = 0;
    auto [end, ec] = std::from_chars(target.data(), target.data() + target.size(), number);
    if (target.empty() || ec != std::errc{} || end != target.data() + target.size() || number < 1 || number > 65535) {
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

ClientSpec Builder::build_client(const Node& node) {
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
std::optional<std::uint16_t> Builder::port_value(const Node& node) {
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

ClientStep Builder::build_step(const Node& node) {
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

}  // namespace maildog::scenario::detail
