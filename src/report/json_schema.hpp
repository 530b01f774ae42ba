// Checking a JSON document against a draft-07 JSON Schema (valijson): reports read back by
// `merge`, and the tests that hold reports and action.yml to their schemas.
#pragma once

#include <cstddef>
#include <limits>
#include <nlohmann/json_fwd.hpp>
#include <string>

namespace maildog::report {

// Every problem found, as "PATH: what is wrong" joined by "; ", at most `most` of them; empty
// when the document is valid.
std::string json_schema_errors(const nlohmann::json& schema, const nlohmann::json& document,
                               std::size_t most = std::numeric_limits<std::size_t>::max());

}  // namespace maildog::report
