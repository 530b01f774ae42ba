// The knowledge base's rules as data (knowledge_rules.cpp) and the types they are written in;
// knowledge.cpp matches a reply against them. Internal to src/explain.
#pragma once

#include <string_view>
#include <vector>

#include "reply/reply.hpp"

namespace maildog::explain {

// An enhanced code or a range of details: "5.7.26", "*.7.26" (class 4 or 5), "*.7.606-649".
struct CodePattern {
  int cls = 0;  // 0: either 4 or 5
  int subject = 0;
  int low = 0;
  int high = 0;

  bool matches(const smtp::EnhancedCode& code) const {
    return (cls == 0 ? code.cls != 2 : code.cls == cls) && code.subject == subject && code.detail >= low &&
           code.detail <= high;
  }
};

// "5.7.26", "*.7.26", "*.7.606-649" as a CodePattern.
CodePattern code(std::string_view spec);

// One way a rule can match. Every part that is given must hold: the enhanced code is one of
// `codes`, the basic code one of `basic`, the text contains one of `phrases` ("a&b": both a and
// b) and none of `unless`. Phrases are lower case; the text is compared case-insensitively.
struct Trigger {
  std::vector<CodePattern> codes{};
  std::vector<int> basic{};
  std::vector<std::string_view> phrases{};
  std::vector<std::string_view> unless{};
  std::string_view note{};    // said when this trigger matched (a provider's own use of a code)
  bool common_words = false;  // phrases too common to outrank a code: tried after the code rules
};

struct Rule {
  std::string_view id;
  std::string_view title;
  std::vector<std::string_view> causes;
  std::vector<std::string_view> fixes;
  std::string_view scenario;  // a bundled scenario's file name, or empty
  std::vector<Trigger> triggers;
};

// First match wins, within each pass: text triggers are tried on every rule before code-only
// triggers, because the text is more specific than the code (Gmail answers 5.7.26 for an SPF
// hard fail; Microsoft 365 answers 5.1.10, the registry's null MX code, for an unknown user).
// Triggers on common words ("access denied") come last.
const std::vector<Rule>& knowledge_rules();

}  // namespace maildog::explain
