// Opening the SQLite store's database: its tables, the migrations from older versions of them,
// and the pragmas that make it durable (WAL, synchronous=FULL). Kept apart from the store's
// reads and writes, which assume the schema this leaves.
#pragma once

#include <string>

#include "serve/sqlite.hpp"

namespace maildog::serve {

// Opens (creating if absent) the database at `path`, migrates an older schema to the current
// one and marks sessions left open by a killed serve as closed. Throws std::runtime_error on a
// schema newer than this build reads.
sqlite::Database open_store_database(const std::string& path);

}  // namespace maildog::serve
