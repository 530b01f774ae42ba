// The durable store: DIR/maildog.sqlite3 in WAL mode with synchronous=FULL, so a message is on
// disk when add() returns and survives the process being killed. One connection behind one
// mutex: simple and correct; SQLite serialises writers anyway. Writes go through a group
// commit: messages stored at the same time share one transaction and one fsync.
#include <algorithm>
#include <array>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <unordered_map>

#include "core/time_text.hpp"
#include "serve/attempt_keys.hpp"
#include "serve/group_commit.hpp"
#include "serve/message_keys.hpp"
#include "serve/record_json.hpp"
#include "serve/sqlite.hpp"
#include "serve/sqlite_schema.hpp"
#include "serve/store.hpp"

namespace maildog::serve {

namespace {

constexpr std::size_t k_no_limit = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());

constexpr std::string_view k_message_columns = "id, received_us, session_id, record, bytes";

class SqliteStore final : public MessageStore {
 public:
  SqliteStore(const std::string& path, std::size_t keep, std::size_t keep_refused)
      : m_keep(keep),
        m_keep_refused(keep_refused),
        m_db(open_store_database(path)),
        m_insert(m_db,
                 "INSERT INTO messages (received_us, session_id, mail_from, recipients, subject, auth, record, bytes)"
                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"),
        m_evict(m_db, "DELETE FROM messages WHERE id IN (SELECT id FROM messages ORDER BY id LIMIT ?1)"),
        m_find(m_db, "SELECT " + std::string(k_message_columns) +
                         " FROM messages WHERE id > ?1"
                         " AND (?2 IS NULL OR instr(recipients, ?2) > 0)"
                         " AND (?3 IS NULL OR instr(mail_from, ?3) > 0)"
                         " AND (?4 IS NULL OR instr(subject, ?4) > 0)"
                         " AND (?5 IS NULL OR received_us >= ?5)"
                         " AND (?6 IS NULL OR instr(auth, ?6) > 0)"
                         " AND id < ?8"
                         " ORDER BY id DESC LIMIT ?7"),
        m_get(m_db, "SELECT " + std::string(k_message_columns) + " FROM messages WHERE id = ?1"),
        m_remove(m_db, "DELETE FROM messages WHERE id = ?1"),
        m_remove_all(m_db, "DELETE FROM messages"),
        m_put_session(m_db, "INSERT OR REPLACE INTO sessions (id, open, record) VALUES (?1, ?2, ?3)"),
        m_put_lines(m_db, "INSERT OR REPLACE INTO session_lines (session_id, seq, lines) VALUES (?1, ?2, ?3)"),
        m_delete_lines(m_db, "DELETE FROM session_lines WHERE session_id = ?1"),
        m_newest_session(m_db, "SELECT max(id) FROM sessions"),
        m_evict_sessions(m_db, "DELETE FROM sessions WHERE id <= ?1"),
        m_evict_lines(m_db, "DELETE FROM session_lines WHERE session_id <= ?1"),
        m_session(m_db, "SELECT id, open, record FROM sessions WHERE id = ?1"),
        m_sessions(m_db, "SELECT id, open, record FROM sessions ORDER BY id DESC LIMIT ?1"),
        m_lines(m_db, "SELECT lines FROM session_lines WHERE session_id = ?1 ORDER BY seq"),
        m_insert_attempt(m_db,
                         "INSERT INTO attempts (at_us, refused, status, mail_from, recipients, subject, codes, reasons,"
                         " record, message_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"),
        m_evict_attempts(
            m_db, "DELETE FROM attempts WHERE id IN (SELECT id FROM attempts WHERE refused = ?1 ORDER BY id LIMIT ?2)"),
        m_find_attempts(m_db,
                        "SELECT id, record, message_id FROM attempts WHERE id > ?1 AND id < ?2"
                        " AND (?3 IS NULL OR status = ?3)"
                        " AND (?4 IS NULL OR instr(codes, ?4) > 0)"
                        " AND (?5 IS NULL OR instr(codes, ?5) > 0)"
                        " AND (?6 IS NULL OR instr(reasons, ?6) > 0)"
                        " AND (?7 IS NULL OR instr(recipients, ?7) > 0)"
                        " AND (?8 IS NULL OR instr(mail_from, ?8) > 0)"
                        " AND (?9 IS NULL OR instr(subject, ?9) > 0)"
                        " AND (?10 IS NULL OR at_us >= ?10)"
                        " ORDER BY id DESC LIMIT ?11"),
        m_get_attempt(m_db, "SELECT id, record, message_id FROM attempts WHERE id = ?1"),
        m_bytes_size(m_db, "SELECT length(bytes) FROM messages WHERE id = ?1"),
        m_message_count(count_messages(m_db)),
        m_attempt_counts{count_attempts(m_db, 0), count_attempts(m_db, 1)},
        m_group([this](const std::vector<GroupCommit::Write*>& group) { commit_group(group); }) {}

  void put_session(const StoredSession& session) override {
    SessionWrite change = prepare_session(session.id, session.record, session.open, Written{});
    change.replace_lines = true;
    m_group.write(session_write(std::move(change)));
  }

  void update_session(std::uint64_t id, const capture::SessionRecord& live, bool open) override {
    m_group.write(session_write(prepare_session(id, live, open, written(id))));
  }

  void update_session_async(std::uint64_t id, const capture::SessionRecord& live, bool open,
                            std::function<void(std::exception_ptr)> done) override {
    m_group.submit(session_write(prepare_session(id, live, open, written(id)), std::move(done)));
  }

  std::vector<StoredMessage> find(const MessageQuery& query) const override {
    std::lock_guard lock(m_mutex);
    sqlite::ResetAtExit reset(m_find);
    m_find.bind(1, static_cast<std::int64_t>(query.after_id));
    m_find.bind_optional(2, query.to ? std::optional(needle(*query.to)) : std::nullopt);
    m_find.bind_optional(3, query.from ? std::optional(needle(*query.from)) : std::nullopt);
    m_find.bind_optional(4, query.subject ? std::optional(needle(*query.subject)) : std::nullopt);
    if (query.since) {
      m_find.bind(5, time_text::micros_since_epoch(*query.since));
    }
    m_find.bind_optional(6, query.auth ? std::optional(auth_needle(*query.auth)) : std::nullopt);
    m_find.bind(7, static_cast<std::int64_t>(std::min<std::size_t>(query.limit, k_no_limit)));
    m_find.bind(8, static_cast<std::int64_t>(std::min<std::uint64_t>(query.before_id, k_no_limit)));
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

  std::optional<std::size_t> bytes_size(std::uint64_t id) const override {
    std::lock_guard lock(m_mutex);
    sqlite::ResetAtExit reset(m_bytes_size);
    m_bytes_size.bind(1, static_cast<std::int64_t>(id));
    return m_bytes_size.step() ? std::optional(static_cast<std::size_t>(m_bytes_size.integer(0))) : std::nullopt;
  }

  std::optional<std::string> read_bytes(std::uint64_t id, std::size_t offset, std::size_t max) const override {
    std::lock_guard lock(m_mutex);
    return m_db.read_blob("messages", "bytes", static_cast<std::int64_t>(id), offset, max);
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

  std::vector<StoredAttempt> find_attempts(const AttemptQuery& query) const override {
    std::lock_guard lock(m_mutex);
    sqlite::ResetAtExit reset(m_find_attempts);
    auto& find = m_find_attempts;
    find.bind(1, static_cast<std::int64_t>(query.after_id));
    find.bind(2, static_cast<std::int64_t>(std::min<std::uint64_t>(query.before_id, k_no_limit)));
    find.bind_optional(3, query.status ? std::optional(std::string(name_of(k_attempt_status_names, *query.status)))
                                       : std::nullopt);
    find.bind_optional(4, query.code ? std::optional(code_needle(*query.code)) : std::nullopt);
    find.bind_optional(5, query.enhanced ? std::optional(enhanced_needle(*query.enhanced)) : std::nullopt);
    find.bind_optional(6, query.reason ? std::optional(reason_needle(*query.reason)) : std::nullopt);
    find.bind_optional(7, query.to ? std::optional(needle(*query.to)) : std::nullopt);
    find.bind_optional(8, query.from ? std::optional(needle(*query.from)) : std::nullopt);
    find.bind_optional(9, query.subject ? std::optional(needle(*query.subject)) : std::nullopt);
    if (query.since) {
      find.bind(10, time_text::micros_since_epoch(*query.since));
    }
    find.bind(11, static_cast<std::int64_t>(std::min<std::size_t>(query.limit, k_no_limit)));
    std::vector<StoredAttempt> out;
    while (find.step()) {
      out.push_back(attempt_row(find));
    }
    return out;
  }

  std::optional<StoredAttempt> attempt(std::uint64_t id) const override {
    std::lock_guard lock(m_mutex);
    sqlite::ResetAtExit reset(m_get_attempt);
    m_get_attempt.bind(1, static_cast<std::int64_t>(id));
    return m_get_attempt.step() ? std::optional(attempt_row(m_get_attempt)) : std::nullopt;
  }

  bool remove(std::uint64_t id) override {
    std::lock_guard lock(m_mutex);
    sqlite::ResetAtExit reset(m_remove);
    m_remove.bind(1, static_cast<std::int64_t>(id));
    m_remove.step();
    const bool removed = m_db.changes() > 0;
    m_message_count -= removed ? 1 : 0;
    return removed;
  }

  std::size_t remove_all() override {
    std::lock_guard lock(m_mutex);
    sqlite::ResetAtExit reset(m_remove_all);
    m_remove_all.step();
    m_message_count = 0;
    return static_cast<std::size_t>(m_db.changes());
  }

  std::size_t size() const override {
    std::lock_guard lock(m_mutex);
    return m_message_count;
  }

 protected:
  std::uint64_t insert(StoredMessage message, const capture::SessionRecord* session) override {
    std::uint64_t id = 0;
    m_group.write(message_write(prepare_message(std::move(message), session),
                                [&id](std::uint64_t stored, std::exception_ptr) { id = stored; }));
    return id;
  }

  void insert_async(StoredMessage message, const capture::SessionRecord* session, Added done) override {
    m_group.submit(message_write(prepare_message(std::move(message), session), std::move(done)));
  }

  // Not durable on its own: the next message's synced commit takes it to disk (WAL order).
  void insert_attempt_async(StoredAttempt attempt, Added done) override {
    auto pending = std::make_shared<PendingAttempt>(prepare_attempt(std::move(attempt)));
    GroupCommit::Write write;
    write.apply = [this, pending] { apply_attempt(*pending); };
    write.done = [pending, done = std::move(done)](std::exception_ptr error) {
      if (done) {
        done(error ? 0 : pending->id, error);
      }
    };
    m_group.submit(std::move(write));
  }

 private:
  // What is committed of an open session: the next write adds only the transcript lines after
  // these, and rewrites the record only when it changed. Counted after the commit, so a failed
  // group's part is written again next time.
  struct Written {
    std::size_t lines = 0;
    std::string record;
    // The last line written: a live transcript whose line at that index differs was elided in
    // the middle since (smtp/transcript_cap), and is then written again as a whole.
    std::optional<capture::TranscriptEntry> last_line;
  };

  // A session's record and the transcript lines from `first_line` on, serialised by the caller
  // (outside the store's lock) and written inside a group.
  struct SessionWrite {
    std::uint64_t id = 0;
    bool open = true;
    std::string record;
    bool record_unchanged = false;  // as committed before: not written again
    std::size_t first_line = 0;
    std::size_t line_count = 0;
    std::string lines;                                  // the new transcript entries, a JSON array
    bool replace_lines = false;                         // drop the stored lines first (a whole record is put)
    std::optional<capture::TranscriptEntry> last_line;  // of the transcript as stored after this write
  };

  // An attempt serialised by the caller, its id set by the write.
  struct PendingAttempt {
    std::int64_t at_us = 0;
    bool refused = true;
    std::string status;
    AttemptKeys keys;
    std::string record;
    std::uint64_t message_id = 0;  // set by the message's write, which knows its id
    std::uint64_t id = 0;
  };

  // A message serialised by the caller (outside the store's lock), its id set by the write.
  struct PendingMessage {
    StoredMessage message;
    MessageKeys keys;
    std::string record;
    std::optional<SessionWrite> session;
    PendingAttempt attempt;  // its message_id is set when the message is written
    std::uint64_t id = 0;
  };

  static PendingAttempt prepare_attempt(const StoredAttempt& attempt) {
    PendingAttempt pending;
    pending.at_us = time_text::micros_since_epoch(attempt.at);
    pending.refused = attempt.status == AttemptStatus::refused;
    pending.status = std::string(name_of(k_attempt_status_names, attempt.status));
    pending.keys = keys_of(attempt);
    pending.record = attempt_json(attempt).dump();
    pending.message_id = attempt.message_id;
    return pending;
  }

  void apply_attempt(PendingAttempt& pending) {
    sqlite::ResetAtExit reset(m_insert_attempt);
    m_insert_attempt.bind(1, pending.at_us);
    m_insert_attempt.bind(2, std::int64_t{pending.refused ? 1 : 0});
    m_insert_attempt.bind(3, std::string_view(pending.status));
    m_insert_attempt.bind(4, std::string_view(pending.keys.from));
    m_insert_attempt.bind(5, std::string_view(pending.keys.recipients));
    m_insert_attempt.bind(6, std::string_view(pending.keys.subject));
    m_insert_attempt.bind(7, std::string_view(pending.keys.codes));
    m_insert_attempt.bind(8, std::string_view(pending.keys.reasons));
    m_insert_attempt.bind(9, std::string_view(pending.record));
    m_insert_attempt.bind(10, static_cast<std::int64_t>(pending.message_id));
    m_insert_attempt.step();
    pending.id = static_cast<std::uint64_t>(m_db.last_insert_rowid());
    ++m_attempt_counts[pending.refused ? 1 : 0];
  }

  std::shared_ptr<PendingMessage> prepare_message(StoredMessage message, const capture::SessionRecord* session) {
    auto pending = std::make_shared<PendingMessage>();
    pending->keys = keys_of(message);
    pending->record = capture::transaction_to_json(message.transaction).dump();
    pending->attempt = prepare_attempt(attempt_of_message(message, session));
    if (session != nullptr) {
      pending->session = prepare_session(message.session_id, *session, true, written(message.session_id));
    }
    pending->message = std::move(message);
    return pending;
  }

  // The write of a prepared message; `done` hears its id once it is committed, or the error.
  GroupCommit::Write message_write(std::shared_ptr<PendingMessage> pending, Added done) {
    GroupCommit::Write write;
    write.durable = true;
    write.apply = [this, pending] {
      const StoredMessage& message = pending->message;
      const std::string_view bytes = message.transaction.message ? std::string_view(*message.transaction.message) : "";
      sqlite::ResetAtExit reset(m_insert);
      m_insert.bind(1, time_text::micros_since_epoch(message.received));
      m_insert.bind(2, static_cast<std::int64_t>(message.session_id));
      m_insert.bind(3, std::string_view(pending->keys.from));
      m_insert.bind(4, std::string_view(pending->keys.recipients));
      m_insert.bind(5, std::string_view(pending->keys.subject));
      m_insert.bind(6, std::string_view(pending->keys.auth));
      m_insert.bind(7, std::string_view(pending->record));
      m_insert.bind_blob(8, bytes);
      m_insert.step();
      pending->id = static_cast<std::uint64_t>(m_db.last_insert_rowid());
      ++m_message_count;
      // The message's id is known only now: its column, not the serialised record, takes it.
      pending->attempt.message_id = pending->id;
      apply_attempt(pending->attempt);
      if (pending->session) {
        apply_session(*pending->session);
      }
    };
    write.done = [this, pending, done = std::move(done)](std::exception_ptr error) {
      if (!error && pending->session) {
        committed(*pending->session);
      }
      done(error ? 0 : pending->id, error);
    };
    return write;
  }

  SessionWrite prepare_session(std::uint64_t id, const capture::SessionRecord& live, bool open, const Written& before) {
    SessionWrite change;
    change.id = id;
    change.open = open;
    change.first_line = std::min(before.lines, live.transcript.size());
    if (!same_prefix(before, live.transcript)) {
      change.first_line = 0;
      change.replace_lines = true;
    }
    capture::SessionRecord record = session_snapshot(live, change.first_line);
    record.id = id;
    change.line_count = record.transcript.size();
    change.last_line = change.line_count > 0 ? std::optional(record.transcript.back())
                                             : (change.first_line > 0 ? before.last_line : std::nullopt);
    if (change.line_count > 0) {
      capture::RecordJson lines = capture::RecordJson::array();
      for (const auto& entry : record.transcript) {
        lines.push_back(capture::transcript_entry_to_json(entry));
      }
      change.lines = lines.dump();
    }
    record.transcript.clear();
    change.record = capture::session_to_json(record, capture::WithTransactions::no).dump();
    change.record_unchanged = open && change.record == before.record;
    return change;
  }

  // The write of a prepared session change; `done` (may be empty) hears when it is committed.
  GroupCommit::Write session_write(SessionWrite change, std::function<void(std::exception_ptr)> done = {}) {
    auto shared = std::make_shared<SessionWrite>(std::move(change));
    GroupCommit::Write write;
    write.apply = [this, shared] { apply_session(*shared); };
    write.done = [this, shared, done = std::move(done)](std::exception_ptr error) {
      if (!error) {
        committed(*shared);
      }
      if (done) {
        done(error);
      }
    };
    return write;
  }

  void apply_session(const SessionWrite& change) {
    const auto id = static_cast<std::int64_t>(change.id);
    if (!change.record_unchanged) {
      sqlite::ResetAtExit reset(m_put_session);
      m_put_session.bind(1, id);
      m_put_session.bind(2, std::int64_t{change.open ? 1 : 0});
      m_put_session.bind(3, std::string_view(change.record));
      m_put_session.step();
    }
    if (change.replace_lines) {
      sqlite::ResetAtExit reset(m_delete_lines);
      m_delete_lines.bind(1, id);
      m_delete_lines.step();
    }
    if (change.line_count > 0) {
      sqlite::ResetAtExit reset(m_put_lines);
      m_put_lines.bind(1, id);
      m_put_lines.bind(2, static_cast<std::int64_t>(change.first_line));
      m_put_lines.bind(3, std::string_view(change.lines));
      m_put_lines.step();
    }
  }

  // Whether `live` still starts with the lines written before (it only grew since).
  static bool same_prefix(const Written& before, const std::vector<capture::TranscriptEntry>& live) {
    if (before.lines == 0 || !before.last_line) {
      return true;
    }
    if (live.size() < before.lines) {
      return false;
    }
    const auto& now = live[before.lines - 1];
    return now.direction == before.last_line->direction && now.offset == before.last_line->offset &&
           now.text == before.last_line->text;
  }

  Written written(std::uint64_t session) const {
    std::lock_guard lock(m_written_mutex);
    auto found = m_written.find(session);
    return found == m_written.end() ? Written{} : found->second;
  }

  void committed(const SessionWrite& change) {
    std::lock_guard lock(m_written_mutex);
    if (change.open) {
      m_written[change.id] = Written{change.first_line + change.line_count, change.record, change.last_line};
    } else {
      m_written.erase(change.id);
    }
  }

  // One transaction for the whole group; synced when it holds a message. A session record is
  // for reading back: a group of only those skips the sync, and the next message's synced
  // commit makes it durable too (WAL order).
  void commit_group(const std::vector<GroupCommit::Write*>& group) {
    const bool durable = std::any_of(group.begin(), group.end(), [](const auto* write) { return write->durable; });
    std::lock_guard lock(m_mutex);
    const std::size_t count_before = m_message_count;
    const auto attempts_before = m_attempt_counts;
    try {
      if (durable != m_synced) {
        m_db.execute(durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
        m_synced = durable;
      }
      sqlite::WriteTransaction transaction(m_db);
      for (auto* write : group) {
        write->apply();
      }
      if (m_keep > 0) {
        evict_messages();
        evict_sessions();
      }
      evict_attempts(0, m_keep);
      evict_attempts(1, m_keep_refused);
      transaction.commit();
    } catch (...) {
      m_message_count = count_before;  // rolled back
      m_attempt_counts = attempts_before;
      throw;
    }
  }

  // The oldest messages beyond the retention count, found from the kept count: an OFFSET of
  // `keep` rows would walk them all with every group.
  void evict_messages() {
    if (m_message_count <= m_keep) {
      return;
    }
    sqlite::ResetAtExit reset(m_evict);
    m_evict.bind(1, static_cast<std::int64_t>(m_message_count - m_keep));
    m_evict.step();
    m_message_count -= static_cast<std::size_t>(m_db.changes());
  }

  // Refused attempts (kind 1) and the others (0) beyond their own retention counts.
  void evict_attempts(int kind, std::size_t keep) {
    auto& count = m_attempt_counts[static_cast<std::size_t>(kind)];
    if (keep == 0 || count <= keep) {
      return;
    }
    sqlite::ResetAtExit reset(m_evict_attempts);
    m_evict_attempts.bind(1, std::int64_t{kind});
    m_evict_attempts.bind(2, static_cast<std::int64_t>(count - keep));
    m_evict_attempts.step();
    count -= static_cast<std::size_t>(m_db.changes());
  }

  // Sessions beyond the retention count go with their lines. Session ids run consecutively
  // (the server's numbering after the store's newest), so the cutoff is the newest id - keep.
  void evict_sessions() {
    sqlite::ResetAtExit reset_newest(m_newest_session);
    m_newest_session.step();
    const std::int64_t cutoff = m_newest_session.integer(0) - static_cast<std::int64_t>(m_keep);
    if (cutoff <= 0) {
      return;
    }
    for (auto* evict : {&m_evict_sessions, &m_evict_lines}) {
      sqlite::ResetAtExit reset(*evict);
      evict->bind(1, cutoff);
      evict->step();
    }
  }

  static std::size_t count_messages(const sqlite::Database& db) {
    sqlite::Statement count(db, "SELECT count(*) FROM messages");
    count.step();
    return static_cast<std::size_t>(count.integer(0));
  }

  static std::size_t count_attempts(const sqlite::Database& db, int refused) {
    sqlite::Statement count(db, "SELECT count(*) FROM attempts WHERE refused = ?1");
    count.bind(1, std::int64_t{refused});
    count.step();
    return static_cast<std::size_t>(count.integer(0));
  }

  static StoredAttempt attempt_row(const sqlite::Statement& row) {
    StoredAttempt attempt = attempt_from_json(capture::RecordJson::parse(row.text(1)));
    attempt.id = static_cast<std::uint64_t>(row.integer(0));
    attempt.message_id = static_cast<std::uint64_t>(row.integer(2));
    return attempt;
  }

  static StoredMessage message_row(const sqlite::Statement& row) {
    StoredMessage message;
    message.id = static_cast<std::uint64_t>(row.integer(0));
    message.received = time_text::time_from_micros(row.integer(1));
    message.session_id = static_cast<std::uint64_t>(row.integer(2));
    message.transaction = capture::transaction_from_json(capture::RecordJson::parse(row.text(3)));
    message.transaction.message = std::make_shared<const std::string>(row.blob(4));
    return message;
  }

  // Called with m_mutex held.
  StoredSession session_row(const sqlite::Statement& row) const {
    StoredSession session;
    session.id = static_cast<std::uint64_t>(row.integer(0));
    session.open = row.integer(1) != 0;
    session.record = capture::session_from_json(capture::RecordJson::parse(row.text(2)));
    sqlite::ResetAtExit reset(m_lines);
    m_lines.bind(1, row.integer(0));
    while (m_lines.step()) {
      for (const auto& entry : capture::RecordJson::parse(m_lines.text(0))) {
        session.record.transcript.push_back(capture::transcript_entry_from_json(entry));
      }
    }
    return session;
  }

  const std::size_t m_keep;
  const std::size_t m_keep_refused;
  mutable std::mutex m_mutex;
  sqlite::Database m_db;
  mutable sqlite::Statement m_insert, m_evict, m_find, m_get, m_remove, m_remove_all, m_put_session, m_put_lines,
      m_delete_lines, m_newest_session, m_evict_sessions, m_evict_lines, m_session, m_sessions, m_lines,
      m_insert_attempt, m_evict_attempts, m_find_attempts, m_get_attempt, m_bytes_size;
  bool m_synced = true;                         // synchronous=FULL (as open() leaves it); the writer's only
  std::size_t m_message_count;                  // guarded by m_mutex; kept, so retention and size() need no count(*)
  std::array<std::size_t, 2> m_attempt_counts;  // accepted and partial, refused; as m_message_count
  mutable std::mutex m_written_mutex;
  std::unordered_map<std::uint64_t, Written> m_written;  // open sessions only
  GroupCommit m_group;  // last: its writer drains the queue before the members above go
};

}  // namespace

std::unique_ptr<MessageStore> make_sqlite_store(const std::string& dir, std::size_t keep,
                                                std::optional<std::size_t> keep_refused) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    throw std::runtime_error("cannot create " + dir + ": " + error.message());
  }
  return std::make_unique<SqliteStore>((std::filesystem::path(dir) / "maildog.sqlite3").string(), keep,
                                       keep_refused.value_or(keep));
}

}  // namespace maildog::serve
