#include "serve/sqlite_schema.hpp"

#include <cstdint>
#include <stdexcept>
#include <string_view>

namespace maildog::serve {

namespace {

// Bump with a migration in open_schema() when the tables change.
// 2: a session's transcript moved from its record into session_lines; no indexes on messages.
// 3: session_lines is a rowid table with an index on its key, not WITHOUT ROWID.
// 4: attempts (every transaction however it ended, and sessions refused before one).
constexpr std::int64_t k_schema_version = 4;
constexpr std::int64_t k_page_size = 16384;
constexpr std::int64_t k_checkpoint_bytes = 40 << 20;
// Another process (a second read-only look, a backup) may hold the lock briefly.
constexpr int k_busy_timeout_ms = 5000;

constexpr std::string_view k_schema = R"sql(
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,  -- AUTOINCREMENT: ids are never reused
  received_us INTEGER NOT NULL,
  session_id INTEGER NOT NULL,
  mail_from TEXT NOT NULL,     -- lower case, as the queries compare
  recipients TEXT NOT NULL,    -- accepted recipients, lower case, one per line
  subject TEXT NOT NULL,       -- lower case
  auth TEXT NOT NULL,          -- " method=result " pairs, lower case
  record TEXT NOT NULL,        -- the transaction as JSON, without the bytes
  bytes BLOB NOT NULL          -- the message as received
);
CREATE TABLE IF NOT EXISTS sessions (
  id INTEGER PRIMARY KEY,
  open INTEGER NOT NULL,
  record TEXT NOT NULL         -- the session as JSON, without its transactions and transcript
);
-- A session's transcript in the pieces it was written in (one per message, and the rest at
-- the end): appended to, never rewritten, as the session goes on. A rowid table: pieces of
-- all sessions append to its last page, and only the small key entries are scattered by
-- session (WITHOUT ROWID kept whole rows in the key's B-tree, interior pages included).
CREATE TABLE IF NOT EXISTS session_lines (
  session_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,        -- the index of the piece's first line in the transcript
  lines TEXT NOT NULL          -- the piece's transcript entries, a JSON array
);
CREATE UNIQUE INDEX IF NOT EXISTS session_lines_key ON session_lines (session_id, seq);
CREATE TABLE IF NOT EXISTS attempts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at_us INTEGER NOT NULL,
  refused INTEGER NOT NULL,    -- 1: refused (kept by --keep-refused), 0: accepted or partial (--keep)
  status TEXT NOT NULL,        -- accepted | partial | refused
  message_id INTEGER NOT NULL, -- accepted, partial: the message kept (its record says 0); 0 otherwise
  mail_from TEXT NOT NULL,     -- lower case, as the queries compare
  recipients TEXT NOT NULL,    -- every RCPT address, lower case, one per line
  subject TEXT NOT NULL,       -- lower case
  codes TEXT NOT NULL,         -- " 550 5.1.1 " (attempt_keys.hpp)
  reasons TEXT NOT NULL,       -- " unknown_user "
  record TEXT NOT NULL         -- the attempt as JSON
);
-- Retention walks each kind oldest first.
CREATE INDEX IF NOT EXISTS attempts_kept ON attempts (refused, id);
)sql";

// Version 1 kept the transcript inside the session's record, and had indexes on the messages'
// columns that no query used (find() matches substrings with instr(), and walks the rowid):
// each cost a B-tree update per message.
constexpr std::string_view k_migrate_from_1 = R"sql(
DROP INDEX IF EXISTS messages_mail_from;
DROP INDEX IF EXISTS messages_recipients;
DROP INDEX IF EXISTS messages_subject;
DROP INDEX IF EXISTS messages_received;
INSERT OR REPLACE INTO session_lines (session_id, seq, lines)
  SELECT id, 0, json_extract(record, '$.transcript') FROM sessions WHERE json_array_length(record, '$.transcript') > 0;
UPDATE sessions SET record = json_set(record, '$.transcript', json('[]'));
UPDATE schema_version SET version = 2;
)sql";

// Version 2's session_lines was WITHOUT ROWID: with transcript pieces of about 700 octets, each
// commit rewrote a leaf per session in it and interior pages that held whole rows, 15 of its
// 20 pages (bench/RESULTS.md). Rebuilt as a rowid table; dropping the old one drops the index
// the schema above gave it.
constexpr std::string_view k_migrate_from_2 = R"sql(
CREATE TABLE session_lines_3 (session_id INTEGER NOT NULL, seq INTEGER NOT NULL, lines TEXT NOT NULL);
INSERT INTO session_lines_3 (session_id, seq, lines) SELECT session_id, seq, lines FROM session_lines
  ORDER BY session_id, seq;
DROP TABLE session_lines;
ALTER TABLE session_lines_3 RENAME TO session_lines;
CREATE UNIQUE INDEX session_lines_key ON session_lines (session_id, seq);
UPDATE schema_version SET version = 3;
)sql";

// Version 3 had no attempts: the schema above adds the table; nothing to move.
constexpr std::string_view k_migrate_from_3 = R"sql(
UPDATE schema_version SET version = 4;
)sql";

void open_schema(sqlite::Database& db) {
  sqlite::WriteTransaction transaction(db);
  db.execute(k_schema);
  sqlite::Statement version(db, "SELECT version FROM schema_version");
  if (!version.step()) {
    version.reset();
    db.execute("INSERT INTO schema_version (version) VALUES (" + std::to_string(k_schema_version) + ")");
  } else {
    std::int64_t found = version.integer(0);
    version.reset();
    if (found == 1) {
      db.execute(k_migrate_from_1);
      found = 2;
    }
    if (found == 2) {
      db.execute(k_migrate_from_2);
      found = 3;
    }
    if (found == 3) {
      db.execute(k_migrate_from_3);
      found = 4;
    }
    if (found != k_schema_version) {
      throw std::runtime_error("the store has schema version " + std::to_string(found) +
                               "; this maildog-ci reads version " + std::to_string(k_schema_version));
    }
  }
  // One serve owns a data dir at a time: a session still marked open was cut off when the
  // previous one was killed, and would otherwise show as open for good.
  db.execute("UPDATE sessions SET open = 0 WHERE open <> 0");
  transaction.commit();
}

}  // namespace

sqlite::Database open_store_database(const std::string& path) {
  sqlite::Database db(path);
  db.execute("PRAGMA busy_timeout = " + std::to_string(k_busy_timeout_ms));
  // 16 KiB pages for a new store (an existing one keeps its own): a 1 MiB message is 65 WAL
  // frames, not 257, each written with its own pwrite; 1 MiB intake went from 127 to 170 msg/s,
  // while small messages, whose commits rewrite a few bigger pages, lost about 5%.
  db.execute("PRAGMA page_size = " + std::to_string(k_page_size));
  db.execute("PRAGMA journal_mode = WAL");
  // A 32 MiB page cache (SQLite's default is 2 MiB) and checkpoints every 40 MiB of WAL (not
  // 4): under load the writer otherwise spends its time re-reading pages and copying the WAL.
  db.execute("PRAGMA cache_size = -32768");
  std::int64_t pages = 0;
  {
    sqlite::Statement page_size(db, "PRAGMA page_size");
    page_size.step();
    pages = k_checkpoint_bytes / page_size.integer(0);
  }
  db.execute("PRAGMA wal_autocheckpoint = " + std::to_string(pages));
  // FULL: the WAL is synced at every commit, so a committed message survives a crash.
  db.execute("PRAGMA synchronous = FULL");
  open_schema(db);
  return db;
}

}  // namespace maildog::serve
