// A bounce's facts and explain's diagnosis turned into a scenario that reproduces the refusal in
// the sandbox: the rule (or, for authentication refusals, the dns fixture and checks) at the
// stage the reply came, the expectations a team wants, and a comment block saying where it came
// from. Emitted with yaml-cpp, so every value is quoted as YAML needs.
#pragma once

#include <optional>
#include <string>

#include "bounce/facts.hpp"
#include "explain/knowledge.hpp"

namespace maildog::scaffold {

struct ScaffoldOptions {
  std::optional<std::string> app;  // app.run (a shell command); without it a placeholder validate refuses
  bool keep_addresses = false;     // keep the bounce's addresses instead of test addresses
};

std::string scenario_yaml(const bounce::BounceFacts& facts, const explain::Diagnosis& diagnosis,
                          const ScaffoldOptions& options);

}  // namespace maildog::scaffold
