// libFuzzer target: the capture record codec's readers (what the SQLite store reads back, and
// what the JSON report reader reads after reshaping). Any JSON that reads must write back to
// JSON that reads to the same record; a crash, a sanitizer report or a failed round trip is a
// finding. Bad records end in nlohmann::json::exception or capture::RecordError, never elsewhere.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "capture/record_codec.hpp"
#include "core/json_depth.hpp"

namespace {

using maildog::capture::RecordJson;

template <typename Record>
void round_trip(const RecordJson& json, Record (*read)(const RecordJson&), RecordJson (*write)(const Record&)) {
  try {
    const RecordJson written = write(read(json));
    if (write(read(written)) != written) {
      std::abort();
    }
  } catch (const nlohmann::json::exception&) {
  } catch (const maildog::capture::RecordError&) {
  }
}

RecordJson session_with_transactions(const maildog::capture::SessionRecord& session) {
  return maildog::capture::session_to_json(session, maildog::capture::WithTransactions::yes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  // The store and the report reader check nesting before they parse (core/json_depth.hpp).
  if (maildog::json_depth::deeper_than(input, maildog::json_depth::k_max)) {
    return 0;
  }
  const RecordJson json = RecordJson::parse(input, nullptr, false);
  if (json.is_discarded()) {
    return 0;
  }
  round_trip(json, maildog::capture::session_from_json, session_with_transactions);
  round_trip(json, maildog::capture::transaction_from_json, maildog::capture::transaction_to_json);
  round_trip(json, maildog::capture::transcript_entry_from_json, maildog::capture::transcript_entry_to_json);
  round_trip(json, maildog::capture::refusal_from_json, maildog::capture::refusal_to_json);
  return 0;
}
