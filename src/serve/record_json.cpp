#include "serve/record_json.hpp"

#include "core/name_table.hpp"
#include "core/time_text.hpp"

namespace maildog::serve {

using capture::array_of;
using capture::RecordJson;
using capture::records_of;

RecordJson attempt_json(const StoredAttempt& attempt) {
  return {{"at_us", time_text::micros_since_epoch(attempt.at)},
          {"session_id", attempt.session_id},
          {"status", name_of(k_attempt_status_names, attempt.status)},
          {"message_id", attempt.message_id},
          {"client_address", attempt.client_address},
          {"client_port", attempt.client_port},
          {"helo", attempt.helo},
          {"auth_user", attempt.auth_user ? RecordJson(*attempt.auth_user) : RecordJson(nullptr)},
          {"transaction",
           attempt.transaction ? capture::transaction_to_json(*attempt.transaction) : RecordJson(nullptr)},
          {"subject", attempt.subject},
          {"message_size", attempt.message_size},
          {"refusals", array_of(attempt.refusals, capture::refusal_to_json)},
          {"fault", attempt.fault},
          {"ended", attempt.ended},
          {"transcript", array_of(attempt.transcript, capture::transcript_entry_to_json)}};
}

StoredAttempt attempt_from_json(const RecordJson& in) {
  StoredAttempt attempt;
  attempt.at = time_text::time_from_micros(in.at("at_us").get<std::int64_t>());
  attempt.session_id = in.at("session_id").get<std::uint64_t>();
  attempt.status =
      lookup_name(k_attempt_status_names, in.at("status").get<std::string>()).value_or(AttemptStatus::refused);
  attempt.message_id = in.at("message_id").get<std::uint64_t>();
  attempt.client_address = in.at("client_address").get<std::string>();
  attempt.client_port = in.at("client_port").get<std::uint16_t>();
  attempt.helo = in.at("helo").get<std::string>();
  if (in.at("auth_user").is_string()) {
    attempt.auth_user = in.at("auth_user").get<std::string>();
  }
  if (!in.at("transaction").is_null()) {
    attempt.transaction = capture::transaction_from_json(in.at("transaction"));
  }
  attempt.subject = in.at("subject").get<std::string>();
  attempt.message_size = in.at("message_size").get<std::size_t>();
  attempt.refusals = records_of(in.at("refusals"), capture::refusal_from_json);
  attempt.fault = in.at("fault").get<std::string>();
  attempt.ended = in.at("ended").get<std::string>();
  attempt.transcript = records_of(in.at("transcript"), capture::transcript_entry_from_json);
  return attempt;
}

}  // namespace maildog::serve
