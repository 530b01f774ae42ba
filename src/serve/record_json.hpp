// The capture records as JSON, for the SQLite store's record columns (and the HTTP API later):
// a transaction without its message bytes (a BLOB beside it), a session without its
// transactions (they are messages). Reading back throws nlohmann::json::exception on bad input.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "capture/records.hpp"
#include "serve/store.hpp"

namespace maildog::serve {

// Times as integers in the records and the store's columns.
std::int64_t micros_since_epoch(std::chrono::system_clock::time_point at);
std::chrono::system_clock::time_point time_from_micros(std::int64_t micros);

nlohmann::json transaction_json(const capture::TransactionRecord& transaction);
capture::TransactionRecord transaction_from_json(const nlohmann::json& json);

// One transcript line: the SQLite store keeps a session's lines in rows of their own, so a long
// session's record is appended to, not rewritten, with each message.
nlohmann::json transcript_entry_json(const capture::TranscriptEntry& entry);
capture::TranscriptEntry transcript_entry_from_json(const nlohmann::json& json);

nlohmann::json session_json(const capture::SessionRecord& session);
capture::SessionRecord session_from_json(const nlohmann::json& json);

// An attempt without its id (a column of its own in the SQLite store).
nlohmann::json attempt_json(const StoredAttempt& attempt);
StoredAttempt attempt_from_json(const nlohmann::json& json);

}  // namespace maildog::serve
