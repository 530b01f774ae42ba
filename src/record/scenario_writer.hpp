// A recording made into a scenario (pure): the upstream's hostname, greeting, EHLO keywords and
// limits; its own positive replies word for word (server.ok_replies); rules giving each refusal
// at the stage and for the recipient where it came, in the order it came (a recipient's replies
// by attempt number, so a greylisting 451 then 250 becomes attempt rules; other stages by
// `times`); and expectations describing what the app did. Written with YAML::Emitter.
#pragma once

#include <optional>
#include <string>

#include "record/recording.hpp"

namespace maildog::record {

struct WriterOptions {
  std::optional<std::string> app;  // app.run; absent: a placeholder that fails saying what to fill in
  std::string recorded_at;         // a date for the header comment; empty: none
};

std::string scenario_yaml(const Recording& recording, const WriterOptions& options);

// EHLO keywords as one list from the lists a server gave before and after TLS, keeping both
// orders (STARTTLS before, AUTH after TLS land where each list had them).
std::vector<std::string> merged_keywords(const std::vector<std::string>& before_tls,
                                         const std::vector<std::string>& after_tls);

}  // namespace maildog::record
