// Everything `maildog-ci explain` says about one reply: the reply found in the input, what its
// basic and enhanced codes mean, whether it is permanent, and the knowledge base's diagnosis.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "explain/basic_codes.hpp"
#include "explain/knowledge.hpp"
#include "explain/reply_text.hpp"
#include "explain/status_codes.hpp"

namespace maildog::explain {

struct Explanation {
  FoundReply reply;
  bool failure = false;    // 4xx or 5xx
  bool permanent = false;  // 5xx: retrying the same message will not help
  std::optional<BasicCode> basic;
  std::optional<CodeTitle> cls;  // from the enhanced code, else from the basic code's first digit
  std::optional<CodeTitle> subject;
  std::optional<CodeTitle> detail;
  Diagnosis diagnosis;
  std::vector<std::string> notes;  // inconsistencies and provider-specific codes worth knowing
};

Explanation explain(const FoundReply& reply);

}  // namespace maildog::explain
