// The knowledge base: rules that turn a reply (its codes and its text) into a diagnosis with the
// likely causes, concrete fixes, whose text it is, and the bundled scenario that reproduces it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "explain/reply_text.hpp"

namespace maildog::explain {

struct Diagnosis {
  std::string id;     // stable, for scripts: "user_unknown", "dmarc_reject", "generic_policy", ...
  std::string title;  // one line for people
  std::vector<std::string> causes;
  std::vector<std::string> fixes;
  std::optional<std::string> provider{};  // "Gmail", "Microsoft 365 / Outlook.com", "Postfix (Spamhaus)", ...
  std::optional<std::string> scenario{};  // "scenarios/NAME.yaml" when a bundled scenario reproduces it
  std::optional<std::string> note{};      // when the provider uses the code differently from the registry
  // Where a refusal of this kind usually comes, as a scenario's `at:` stage ("connect", "helo", "auth",
  // "mail", "rcpt", "end_of_data"); empty for a reply that is not a failure. A bounce's own words
  // ("in reply to RCPT TO command") outrank it: see FoundReply::stage.
  std::string stage{};
};

// The usual stage of a diagnosis id (Diagnosis::stage), from one table in knowledge.cpp.
std::string_view usual_stage(std::string_view diagnosis_id);

// A text rule matches first (the most specific wins), then a rule on the enhanced or basic code
// alone, then a generic explanation from the code's subject.
Diagnosis diagnose(const FoundReply& reply);

// Who wrote the text: a mailbox provider or MTA, and the blocklist it names, when recognisable.
std::optional<std::string> provider_of(std::string_view text);

}  // namespace maildog::explain
