// The JSON the API answers with for mail attempts (/api/v1/attempts): what was tried, how far it
// got, what was refused and why, and, in the detail, the cause located in the transcript and
// `explain`'s diagnosis of the refusing reply. schemas/api.openapi.json describes the shapes.
#pragma once

#include <optional>

#include "http/message_json.hpp"
#include "serve/store.hpp"

namespace maildog::http {

// A list entry: id, time, status, envelope, the reply that tells what happened and the reasons.
Json attempt_summary(const serve::StoredAttempt& attempt);
// The summary with every reply, the auth verdicts, the cause, the diagnosis and the transcript
// (the attempt's own, or for an accepted one its session's when still stored).
Json attempt_detail(const serve::StoredAttempt& attempt, const std::optional<serve::StoredSession>& session);

// What triggered the refusal: {kind: envelope|check|message|session|fault|reply, command,
// field, value, reason, check, result, transcript_line, command_line}; null for an accepted attempt.
Json attempt_cause(const serve::StoredAttempt& attempt, const std::vector<capture::TranscriptEntry>& transcript);

}  // namespace maildog::http
