// The one JSON vocabulary of capture records (as Postfix's rec_type is the one vocabulary of its
// queue files): a session, a transcript line, a transaction and their parts, to JSON and back.
// The SQLite store keeps exactly this; the JSON report and the HTTP API write their documented
// shapes as thin adapters over it (`reshape`), so a field added here reaches all three.
//
// Canonical names: `client_address`, `direction`, times as whole microseconds (`started_us`,
// `duration_us`, `offset_us`), a reply as {code, enhanced, lines}. The order of the fields is the
// JSON report's, so the report's adapter only renames. Reading throws nlohmann::json::exception on
// a missing or mistyped field and RecordError on a value the model cannot hold.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "capture/records.hpp"

namespace maildog::capture {

using RecordJson = nlohmann::ordered_json;

struct RecordError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A whole number field that fits `Integer`; RecordError for a fraction, a string or a number out
// of range (a cast would be undefined behaviour).
template <typename Integer>
Integer integer_of(const RecordJson& json, std::string_view field) {
  const RecordJson& value = json.at(field);
  if (value.is_number_unsigned()) {
    const auto number = value.get<std::uint64_t>();
    if (std::in_range<Integer>(number)) {
      return static_cast<Integer>(number);
    }
  } else if (value.is_number_integer()) {
    const auto number = value.get<std::int64_t>();
    if (std::in_range<Integer>(number)) {
      return static_cast<Integer>(number);
    }
  }
  throw RecordError(std::string(field) + ": not a whole number in range: " + value.dump());
}

// A list of records as a JSON array and back, each element by the given function.
template <typename Record>
RecordJson array_of(const std::vector<Record>& records, RecordJson (*to_json)(const Record&)) {
  RecordJson out = RecordJson::array();
  for (const auto& record : records) {
    out.push_back(to_json(record));
  }
  return out;
}

template <typename Record>
std::vector<Record> records_of(const RecordJson& array, Record (*from_json)(const RecordJson&)) {
  std::vector<Record> out;
  out.reserve(array.size());
  for (const auto& element : array) {
    out.push_back(from_json(element));
  }
  return out;
}

RecordJson reply_to_json(const smtp::Reply& reply);
smtp::Reply reply_from_json(const RecordJson& json);
RecordJson optional_reply_to_json(const std::optional<smtp::Reply>& reply);
std::optional<smtp::Reply> optional_reply_from_json(const RecordJson& json);

RecordJson transcript_entry_to_json(const TranscriptEntry& entry);
TranscriptEntry transcript_entry_from_json(const RecordJson& json);

RecordJson refusal_to_json(const RefusalRecord& refusal);
RefusalRecord refusal_from_json(const RecordJson& json);

// Without the message bytes (the store keeps them beside the record); `size` says how many there
// are (null: no message), and is not read back.
RecordJson transaction_to_json(const TransactionRecord& transaction);
TransactionRecord transaction_from_json(const RecordJson& json);

// The store keeps a session's transactions as messages of their own: it writes a session
// without them, and a record without `transactions` reads back with none.
enum class WithTransactions { no, yes };
RecordJson session_to_json(const SessionRecord& session, WithTransactions with);
SessionRecord session_from_json(const RecordJson& json);

// How a public shape writes one canonical field: under another name, converted, with fields
// beside it, or not at all. `record` is the whole canonical object the field belongs to.
struct FieldChange {
  std::string_view field;
  std::function<void(RecordJson& out, const RecordJson& value, const RecordJson& record)> write;
};

// The canonical object's fields in their order, each written as its FieldChange says or, when
// none names it, copied as it is.
RecordJson reshape(const RecordJson& record, std::initializer_list<FieldChange> changes);

// The common changes.
FieldChange renamed(std::string_view field, std::string to);
FieldChange dropped(std::string_view field);
// A reply's `lines` as one `text`, joined by "\n" (smtp::Reply::text), as the report and the API show replies.
FieldChange lines_as_text();
// A time kept as whole microseconds since the epoch, written as ISO 8601 with milliseconds
// (time_text::Form::iso_millis) under `to`.
FieldChange micros_as_iso_time(std::string_view field, std::string to);
// A duration kept as whole microseconds, written as milliseconds (a double) under `to`.
FieldChange micros_as_millis(std::string_view field, std::string to);
// Every element of an array field reshaped by `element`.
FieldChange each(std::string_view field, std::function<RecordJson(const RecordJson&)> element);

}  // namespace maildog::capture
