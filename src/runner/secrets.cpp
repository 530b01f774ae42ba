#include "runner/secrets.hpp"

#include <algorithm>
#include <array>
#include <memory>
#include <set>

#include "core/ascii.hpp"
#include "runner/scenario_run.hpp"
#include "scenario/template.hpp"
#include "smtp/sasl.hpp"

namespace maildog::runner {

namespace {

constexpr std::string_view k_mask = "***";
constexpr std::array<std::string_view, 4> k_secret_name_parts{"PASSWORD", "PASSWD", "SECRET", "TOKEN"};

bool secret_name(std::string_view name) {
  const std::string upper = ascii::upper(name);
  return std::any_of(k_secret_name_parts.begin(), k_secret_name_parts.end(),
                     [&](std::string_view part) { return upper.find(part) != std::string::npos; });
}

void redact_in_place(std::string& text, const std::vector<std::string>& secrets) {
  for (const auto& secret : secrets) {
    std::size_t pos = 0;
    while ((pos = text.find(secret, pos)) != std::string::npos) {
      text.replace(pos, secret.size(), k_mask);
      pos += k_mask.size();
    }
  }
}

bool contains_any(const std::string& text, const std::vector<std::string>& secrets) {
  return std::any_of(secrets.begin(), secrets.end(),
                     [&](const std::string& secret) { return text.find(secret) != std::string::npos; });
}

void redact_reply(std::optional<smtp::Reply>& reply, const std::vector<std::string>& secrets) {
  if (reply) {
    for (auto& line : reply->lines) {
      redact_in_place(line, secrets);
    }
  }
}

void redact_session(capture::SessionRecord& session, const std::vector<std::string>& secrets) {
  for (auto& entry : session.transcript) {
    redact_in_place(entry.text, secrets);
  }
  for (auto& transaction : session.transactions) {
    // Messages can be large and are shared: copied only when a secret is in them.
    if (transaction.message && contains_any(*transaction.message, secrets)) {
      std::string message = *transaction.message;
      redact_in_place(message, secrets);
      transaction.message = std::make_shared<const std::string>(std::move(message));
    }
    redact_in_place(transaction.authentication_results, secrets);
  }
}

}  // namespace

std::vector<std::string> scenario_secrets(const scenario::Scenario& scenario) {
  std::set<std::string> users;
  std::set<std::string> passwords;
  if (scenario.server.auth) {
    for (const auto& [user, password] : scenario.server.auth->users) {
      users.insert(user);
      passwords.insert(password);
    }
  }
  if (scenario.client) {
    // The values a client step's {{smtp.user}} / {{smtp.password}} stand for do not depend on the port.
    const auto values = template_values(scenario, 0);
    for (const auto& step : scenario.client->steps) {
      if (step.auth) {
        users.insert(scenario::expand_templates(step.auth->user, values));
        passwords.insert(scenario::expand_templates(step.auth->password, values));
      }
    }
  }
  auto from_env = [&](const std::map<std::string, std::string>& env) {
    for (const auto& [name, value] : env) {
      if (secret_name(name)) {
        passwords.insert(value);
      } else if (name == "MAILDOG_SMTP_USER") {
        users.insert(value);
      }
    }
  };
  if (scenario.app) {
    from_env(scenario.app->env);
    // Its then steps' too: a token handed to `postqueue` is as secret as the app's.
    for (const auto& step : scenario.app->then) {
      if (step.run) {
        from_env(step.run->env);
      }
    }
  }
  for (const auto& service : scenario.services) {
    from_env(service.env);
  }
  std::set<std::string> secrets;
  for (const auto& password : passwords) {
    if (password.size() < k_secret_min_length) {
      continue;
    }
    secrets.insert(password);
    secrets.insert(smtp::sasl::base64_encode(password));
    for (const auto& user : users) {
      const std::string nul(1, '\0');
      secrets.insert(smtp::sasl::base64_encode(nul + user + nul + password));
      secrets.insert(smtp::sasl::base64_encode(user + nul + user + nul + password));
    }
  }
  std::vector<std::string> ordered(secrets.begin(), secrets.end());
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  return ordered;
}

std::string redact(std::string_view text, const std::vector<std::string>& secrets) {
  std::string out(text);
  redact_in_place(out, secrets);
  return out;
}

void redact_result(ScenarioResult& result, const std::vector<std::string>& secrets) {
  if (secrets.empty()) {
    return;
  }
  redact_in_place(result.error, secrets);
  for (auto& failure : result.failures) {
    redact_in_place(failure.expected, secrets);
    redact_in_place(failure.actual, secrets);
    for (auto& line : failure.context) {
      redact_in_place(line, secrets);
    }
  }
  if (result.app) {
    redact_in_place(result.app->stdout_text, secrets);
    redact_in_place(result.app->stderr_text, secrets);
    redact_in_place(result.app->error, secrets);
  }
  for (auto& service : result.services) {
    redact_in_place(service.process.stdout_text, secrets);
    redact_in_place(service.process.stderr_text, secrets);
    redact_in_place(service.process.error, secrets);
    redact_in_place(service.problem, secrets);
  }
  for (auto& step : result.then_steps) {
    for (auto& failure : step.unmet) {
      redact_in_place(failure.actual, secrets);
      for (auto& line : failure.context) {
        redact_in_place(line, secrets);
      }
    }
    if (step.process) {
      redact_in_place(step.process->stdout_text, secrets);
      redact_in_place(step.process->stderr_text, secrets);
      redact_in_place(step.process->error, secrets);
    }
  }
  for (auto& step : result.steps) {
    redact_in_place(step.action, secrets);
    redact_in_place(step.problem, secrets);
    redact_reply(step.reply, secrets);
  }
  for (auto& session : result.sessions) {
    redact_session(session, secrets);
  }
}

}  // namespace maildog::runner
