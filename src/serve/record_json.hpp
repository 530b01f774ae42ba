// An attempt as the SQLite store's record column keeps it. Its transaction, refusals and
// transcript are written by the capture record codec (capture/record_codec.hpp), as are the
// store's messages and sessions; only the attempt's own fields are written here. Reading back
// throws nlohmann::json::exception or capture::RecordError on bad input.
#pragma once

#include "capture/record_codec.hpp"
#include "serve/store.hpp"

namespace maildog::serve {

// An attempt without its id (a column of its own in the SQLite store).
capture::RecordJson attempt_json(const StoredAttempt& attempt);
StoredAttempt attempt_from_json(const capture::RecordJson& json);

}  // namespace maildog::serve
