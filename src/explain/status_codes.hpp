// The RFC 3463 enhanced status codes as the IANA registry lists them (smtp-enhanced-status-codes):
// every class, every subject and every enumerated detail, with the registry's title and a one-line
// meaning in our own words. tests/explain checks the table against the registry file.
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace maildog::explain {

struct CodeTitle {
  std::string_view title;    // as in the IANA registry
  std::string_view meaning;  // what it means for the sender, in our words
};

struct DetailEntry {
  int subject = 0;
  int detail = 0;
  CodeTitle title;
};

// Class 2, 4 or 5 (the first number of X.Y.Z).
std::optional<CodeTitle> class_title(int cls);
// Subject 0..7 (the second number).
std::optional<CodeTitle> subject_title(int subject);
// An enumerated X.subject.detail code; nothing for codes the registry does not list (provider
// specific ones such as Microsoft's 5.7.606).
std::optional<CodeTitle> detail_title(int subject, int detail);

std::span<const DetailEntry> registered_details();

}  // namespace maildog::explain
