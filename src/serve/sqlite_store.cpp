// The durable store: DIR/maildog.sqlite3 in WAL mode with synchronous=FULL, so a message is on
// disk when add() returns and survives the process being killed. One connection behind one
// mutex: simple and correct; SQLite serialises writers anyway.
#include <filesystem>
#include <limits>
#include <stdexcept>

#include "serve/message_keys.hpp"
#include "serve/record_json.hpp"
#include "serve/sqlite.hpp"
#include "serve/store.hpp"

namespace maildog::serve {

namespace {

// Bump with a migration in open_schema() when the tables change.
constexpr std::int64_t k_schema_version = 1;
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
CREATE INDEX IF NOT EXISTS messages_mail_from ON messages (mail_from);
CREATE INDEX IF NOT EXISTS messages_recipients ON messages (recipients);
CREATE INDEX IF NOT EXISTS messages_subject ON messages (subject);
CREATE INDEX IF NOT EXISTS messages_received ON messages (received_us);
CREATE TABLE IF NOT EXISTS sessions (
  id INTEGER PRIMARY KEY,
  open INTEGER NOT NULL,
  record TEXT NOT NULL         -- the session as JSON, without its transactions
);
)sql";

constexpr std::size_t k_no_limit = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());

constexpr std::string_view k_message_columns = "id, received_us, session_id, record, bytes";

class SqliteStore final : public MessageStore {
 public:
  SqliteStore(const std::string& path, std::size_t keep)
      : m_keep(keep),
        m_db(open(path)),
        m_insert(m_db,
                 "INSERT INTO messages (received_us, session_id, mail_from, recipients, subject, auth, record, bytes)"
                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"),
        m_evict(m_db,
                "DELETE FROM messages WHERE id <= (SELECT id FROM messages ORDER BY id DESC LIMIT 1 OFFSET ?1)"),
        m_find(m_db, "SELECT " + std::string(k_message_columns) +
                         " FROM messages WHERE id > ?1"
                         " AND (?2 IS NULL OR instr(recipients, ?2) > 0)"
                         " AND (?3 IS NULL OR instr(mail_from, ?3) > 0)"
                         " AND (?4 IS NULL OR instr(subject, ?4) > 0)"
                         " AND (?5 IS NULL OR received_us >= ?5)"
                         " AND (?6 IS NULL OR instr(auth, ?6) > 0)"
                         " ORDER BY id DESC LIMIT ?7"),
        m_get(m_db, "SELECT " + std::string(k_message_columns) + " FROM messages WHERE id = ?1"),
        m_remove(m_db, "DELETE FROM messages WHERE id = ?1"),
        m_remove_all(m_db, "DELETE FROM messages"),
        m_count(m_db, "SELECT count(*) FROM messages"),
        m_put_session(m_db, "INSERT OR REPLACE INTO sessions (id, open, record) VALUES (?1, ?2, ?3)"),
        m_evict_sessions(m_db,
                         "DELETE FROM sessions WHERE id <= (SELECT id FROM sessions ORDER BY id DESC LIMIT 1 OFFSET ?1)"),
        m_session(m_db, "SELECT id, open, record FROM sessions WHERE id = ?1"),
        m_sessions(m_db, "SELECT id, open, record FROM sessions ORDER BY id DESC LIMIT ?1") {}

  void put_session(const StoredSession& session) override {
    std::lock_guard lock(m_mutex);
    // A session record is for reading back, and one is written with every message: its commit
    // skips the sync, and the next message's synced commit makes it durable too (WAL order);
    // everything else commits with synchronous=FULL.
    m_db.execute("PRAGMA synchronous = NORMAL");
    sqlite::WriteTransaction transaction(m_db);
    {
      sqlite::ResetAtExit reset(m_put_session);
      m_put_session.bind(1, static_cast<std::int64_t>(session.id));
      m_put_session.bind(2, std::int64_t{session.open ? 1 : 0});
      m_put_session.bind(3, session_json(session.record).dump());
      m_put_session.step();
    }
    if (m_keep > 0) {
      sqlite::ResetAtExit reset(m_evict_sessions);
      m_evict_sessions.bind(1, static_cast<std::int64_t>(m_keep));
      m_evict_sessions.step();
    }
    transaction.commit();
    m_db.execute("PRAGMA synchronous = FULL");
  }

  std::vector<StoredMessage> find(const MessageQuery& query) const override {
    std::lock_guard lock(m_mutex);
    sqlite::ResetAtExit reset(m_find);
    m_find.bind(1, static_cast<std::int64_t>(query.after_id));
    m_find.bind_optional(2, query.to ? std::optional(needle(*query.to)) : std::nullopt);
    m_find.bind_optional(3, query.from ? std::optional(needle(*query.from)) : std::nullopt);
    m_find.bind_optional(4, query.subject ? std::optional(needle(*query.subject)) : std::nullopt);
    if (query.since) {
      m_find.bind(5, micros_since_epoch(*query.since));
    }
    m_find.bind_optional(6, query.auth ? std::optional(auth_needle(*query.auth)) : std::nullopt);
    m_find.bind(7, static_cast<std::int64_t>(std::min<std::size_t>(query.limit, k_no_limit)));
    std::vector<StoredMessage> out;
    while (m_find.step()) {
      out.push_back(message_row(m_find));
    }
    return out;
  }

  std::optional<StoredMessage> get(std::uint64_t id) const override {
    std::lock_guard lock(m_mutex);
    sqlite::ResetAtExit reset(m_get);
    m_get.bind(1, static_cast<std::int64_t>(id));
    return m_get.step() ? std::optional(message_row(m_get)) : std::nullopt;
  }

  std::optional<StoredSession> session(std::uint64_t id) const override {
    std::lock_guard lock(m_mutex);
    sqlite::ResetAtExit reset(m_session);
    m_session.bind(1, static_cast<std::int64_t>(id));
    return m_session.step() ? std::optional(session_row(m_session)) : std::nullopt;
  }

  std::vector<StoredSession> sessions(std::size_t limit) const override {
    std::lock_guard lock(m_mutex);
    sqlite::ResetAtExit reset(m_sessions);
    m_sessions.bind(1, static_cast<std::int64_t>(std::min<std::size_t>(limit, k_no_limit)));
    std::vector<StoredSession> out;
    while (m_sessions.step()) {
      out.push_back(session_row(m_sessions));
    }
    return out;
  }

  bool remove(std::uint64_t id) override {
    std::lock_guard lock(m_mutex);
    sqlite::ResetAtExit reset(m_remove);
    m_remove.bind(1, static_cast<std::int64_t>(id));
    m_remove.step();
    return m_db.changes() > 0;
  }

  std::size_t remove_all() override {
    std::lock_guard lock(m_mutex);
    sqlite::ResetAtExit reset(m_remove_all);
    m_remove_all.step();
    return static_cast<std::size_t>(m_db.changes());
  }

  std::size_t size() const override {
    std::lock_guard lock(m_mutex);
    sqlite::ResetAtExit reset(m_count);
    m_count.step();
    return static_cast<std::size_t>(m_count.integer(0));
  }

 protected:
  std::uint64_t insert(StoredMessage message) override {
    const MessageKeys keys = keys_of(message);
    const std::string record = transaction_json(message.transaction).dump();
    const std::string_view bytes = message.transaction.message ? std::string_view(*message.transaction.message) : "";
    std::lock_guard lock(m_mutex);
    m_db.execute("PRAGMA synchronous = FULL");
    sqlite::WriteTransaction transaction(m_db);
    {
      sqlite::ResetAtExit reset(m_insert);
      m_insert.bind(1, micros_since_epoch(message.received));
      m_insert.bind(2, static_cast<std::int64_t>(message.session_id));
      m_insert.bind(3, std::string_view(keys.from));
      m_insert.bind(4, std::string_view(keys.recipients));
      m_insert.bind(5, std::string_view(keys.subject));
      m_insert.bind(6, std::string_view(keys.auth));
      m_insert.bind(7, std::string_view(record));
      m_insert.bind_blob(8, bytes);
      m_insert.step();
    }
    const auto id = static_cast<std::uint64_t>(m_db.last_insert_rowid());
    if (m_keep > 0) {
      sqlite::ResetAtExit reset(m_evict);
      m_evict.bind(1, static_cast<std::int64_t>(m_keep));
      m_evict.step();
    }
    transaction.commit();
    return id;
  }

 private:
  static sqlite::Database open(const std::string& path) {
    sqlite::Database db(path);
    db.execute("PRAGMA busy_timeout = " + std::to_string(k_busy_timeout_ms));
    db.execute("PRAGMA journal_mode = WAL");
    // FULL: the WAL is synced at every commit, so a committed message survives a crash.
    db.execute("PRAGMA synchronous = FULL");
    open_schema(db);
    return db;
  }

  static void open_schema(sqlite::Database& db) {
    sqlite::WriteTransaction transaction(db);
    db.execute(k_schema);
    sqlite::Statement version(db, "SELECT version FROM schema_version");
    if (!version.step()) {
      db.execute("INSERT INTO schema_version (version) VALUES (" + std::to_string(k_schema_version) + ")");
    } else if (version.integer(0) != k_schema_version) {
      throw std::runtime_error("the store has schema version " + std::to_string(version.integer(0)) +
                               "; this maildog-ci reads version " + std::to_string(k_schema_version));
    }
    version.reset();
    // One serve owns a data dir at a time: a session still marked open was cut off when the
    // previous one was killed, and would otherwise show as open for good.
    db.execute("UPDATE sessions SET open = 0 WHERE open <> 0");
    transaction.commit();
  }

  static StoredMessage message_row(const sqlite::Statement& row) {
    StoredMessage message;
    message.id = static_cast<std::uint64_t>(row.integer(0));
    message.received = time_from_micros(row.integer(1));
    message.session_id = static_cast<std::uint64_t>(row.integer(2));
    message.transaction = transaction_from_json(nlohmann::json::parse(row.text(3)));
    message.transaction.message = std::make_shared<const std::string>(row.blob(4));
    return message;
  }

  static StoredSession session_row(const sqlite::Statement& row) {
    StoredSession session;
    session.id = static_cast<std::uint64_t>(row.integer(0));
    session.open = row.integer(1) != 0;
    session.record = session_from_json(nlohmann::json::parse(row.text(2)));
    return session;
  }

  const std::size_t m_keep;
  mutable std::mutex m_mutex;
  sqlite::Database m_db;
  mutable sqlite::Statement m_insert, m_evict, m_find, m_get, m_remove, m_remove_all, m_count, m_put_session,
      m_evict_sessions, m_session, m_sessions;
};

}  // namespace

std::unique_ptr<MessageStore> make_sqlite_store(const std::string& dir, std::size_t keep) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    throw std::runtime_error("cannot create " + dir + ": " + error.message());
  }
  return std::make_unique<SqliteStore>((std::filesystem::path(dir) / "maildog.sqlite3").string(), keep);
}

}  // namespace maildog::serve
