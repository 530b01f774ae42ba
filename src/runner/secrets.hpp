// What a scenario must never show in a report, an artifact or a log: its passwords and the
// base64 forms AUTH PLAIN and LOGIN carry them in. The runner masks them as "***" in a result
// before any reporter sees it, whatever the app printed or the client sent.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "runner/result.hpp"
#include "scenario/model.hpp"

namespace maildog::runner {

// Shorter values are not masked: replacing every "pw" in a transcript would make it unreadable
// and hide nothing worth hiding.
inline constexpr std::size_t k_secret_min_length = 4;

// Passwords of `server.auth.users` and of the client's AUTH steps, values of `app.env`
// variables named like secrets (PASSWORD, PASSWD, SECRET, TOKEN), each also as AUTH LOGIN
// (base64) and AUTH PLAIN ("\0user\0password", "user\0user\0password" in base64) send it
// for every user name the scenario knows. Longest first, so a value is masked before a
// shorter one inside it.
std::vector<std::string> scenario_secrets(const scenario::Scenario& scenario);

// `text` with every occurrence of every secret replaced by "***".
std::string redact(std::string_view text, const std::vector<std::string>& secrets);

// Masks the secrets everywhere in `result`: transcripts, captured messages, the app's output
// and error, client steps, failures.
void redact_result(ScenarioResult& result, const std::vector<std::string>& secrets);

}  // namespace maildog::runner
