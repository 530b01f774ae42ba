// What `maildog-ci serve` keeps: every accepted message with its envelope, bytes, checks and the
// session it came in, and every finished session. In memory, or durable in SQLite (WAL) under
// --data. Shared by the SMTP side (writes) and the HTTP API (reads); thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "capture/records.hpp"
#include "core/name_table.hpp"

namespace maildog::serve {

struct StoredMessage {
  std::uint64_t id = 0;  // assigned by the store, increasing, never reused
  std::chrono::system_clock::time_point received;
  std::uint64_t session_id = 0;            // capture::SessionRecord::id of the session it came in
  capture::TransactionRecord transaction;  // envelope, replies, bytes as received, checks, lint
};

struct StoredSession {
  std::uint64_t id = 0;  // capture::SessionRecord::id
  // The session without its transactions (they are messages); the transcript up to the last
  // message while the session is open, complete once it closed.
  capture::SessionRecord record;
  bool open = true;
};

// How a mail attempt ended: its message kept, kept for some recipients only, or not at all.
enum class AttemptStatus { accepted, partial, refused };
inline constexpr NameTable<AttemptStatus, 3> k_attempt_status_names{{
    {AttemptStatus::accepted, "accepted"},
    {AttemptStatus::partial, "partial"},
    {AttemptStatus::refused, "refused"},
}};

// One mail attempt: a transaction however it ended, or a session refused before any
// transaction (connect, HELO, STARTTLS, AUTH). Accepted and partial ones point at their message.
struct StoredAttempt {
  std::uint64_t id = 0;                      // assigned by the store, increasing, never reused; its own sequence
  std::chrono::system_clock::time_point at;  // when it ended
  std::uint64_t session_id = 0;
  AttemptStatus status = AttemptStatus::refused;
  std::uint64_t message_id = 0;  // accepted, partial: the message kept; 0 otherwise
  std::string client_address;
  std::uint16_t client_port = 0;
  std::string helo;
  std::optional<std::string> auth_user;
  // The envelope as far as it got, every reply and the auth verdicts, without message bytes;
  // none for a refusal before MAIL.
  std::optional<capture::TransactionRecord> transaction;
  std::string subject;                           // of a message refused at its end, as sent
  std::size_t message_size = 0;                  // octets of a message refused at its end
  std::vector<capture::RefusalRecord> refusals;  // the refusals of this attempt, in order
  std::string fault;                             // the rule fault that hit it ("drop", "disconnect", ...), if any
  std::string ended;                             // why an unfinished transaction ended ("client closed", "RSET", ...)
  // The session's transcript from the end of its previous attempt to this one's end; empty for
  // accepted and partial ones (their session keeps it).
  std::vector<capture::TranscriptEntry> transcript;
};

// Every given field must hold; text fields compare without case, as substrings.
struct AttemptQuery {
  std::optional<AttemptStatus> status{};
  std::optional<int> code{};              // any reply of the attempt's refusals (or its final reply)
  std::optional<std::string> enhanced{};  // "5.1.1", exact
  std::optional<std::string> reason{};    // a capture::k_refusal_reasons word, exact
  std::optional<std::string> to{};        // any RCPT address, accepted or not
  std::optional<std::string> from{};      // MAIL FROM
  std::optional<std::string> subject{};
  std::optional<std::chrono::system_clock::time_point> since{};
  std::uint64_t after_id = 0;
  std::uint64_t before_id = std::numeric_limits<std::uint64_t>::max();
  std::size_t limit = 100;
};

// Every given field must hold; text fields compare without case, as substrings.
struct MessageQuery {
  std::optional<std::string> to{};       // any RCPT address (accepted)
  std::optional<std::string> from{};     // MAIL FROM
  std::optional<std::string> subject{};  // the Subject field
  std::optional<std::chrono::system_clock::time_point> since{};
  std::optional<std::string> auth{};  // "method=result", e.g. "dmarc=fail"
  std::uint64_t after_id = 0;         // only messages with a larger id (long-poll cursors)
  // Only messages with a smaller id: paging back past the newest `limit` (before=<last id seen>).
  std::uint64_t before_id = std::numeric_limits<std::uint64_t>::max();
  std::size_t limit = 100;
};

class MessageStore {
 public:
  virtual ~MessageStore() = default;

  // Stores the message and returns its id; durable when it returns (SQLite: committed), so
  // the SMTP side sends 250 only after it. Evicts the oldest beyond the retention count.
  // Throws std::runtime_error when it cannot store (the SMTP side then answers 451 4.3.0).
  // `session`, when given, is the live record of the open session the message came in; its
  // stored record is brought up to date in the same write, as update_session(..., true) would.
  std::uint64_t add(StoredMessage message, const capture::SessionRecord* session = nullptr);
  // add() without waiting, for the SMTP side: `done` is called once, with the id or with the
  // error (and id 0), on the store's writer thread or before add_async returns. `session` is
  // read before it returns. The SQLite store commits the messages added meanwhile together.
  using Added = std::function<void(std::uint64_t id, std::exception_ptr error)>;
  void add_async(StoredMessage message, const capture::SessionRecord* session, Added done);
  virtual void put_session(const StoredSession& session) = 0;  // insert or replace by id
  // put_session from a session's live record, without its transactions (they are messages).
  // Called once per message of an open session, so a store that can append only the
  // transcript lines added since the last call (the memory store) keeps a long session linear.
  virtual void update_session(std::uint64_t id, const capture::SessionRecord& live, bool open);
  // update_session() without waiting; `done` (may be empty) as add_async's, with the error only.
  virtual void update_session_async(std::uint64_t id, const capture::SessionRecord& live, bool open,
                                    std::function<void(std::exception_ptr)> done);

  virtual std::vector<StoredMessage> find(const MessageQuery& query) const = 0;  // newest first
  virtual std::optional<StoredMessage> get(std::uint64_t id) const = 0;
  virtual std::optional<StoredSession> session(std::uint64_t id) const = 0;
  virtual std::vector<StoredSession> sessions(std::size_t limit) const = 0;  // newest first
  // A refused attempt, stored without holding up the reply that ended it (a crash may lose the
  // last ones, never a message); `done` as add_async's. Accepted and partial attempts are
  // stored with their message by add() and add_async().
  void add_attempt_async(StoredAttempt attempt, Added done);
  virtual std::vector<StoredAttempt> find_attempts(const AttemptQuery& query) const = 0;  // newest first
  virtual std::optional<StoredAttempt> attempt(std::uint64_t id) const = 0;
  // Waits until an attempt matching `query` is stored (or already is), at most `timeout`.
  std::optional<StoredAttempt> wait_attempt(const AttemptQuery& query, std::chrono::milliseconds timeout) const;

  virtual bool remove(std::uint64_t id) = 0;
  virtual std::size_t remove_all() = 0;
  virtual std::size_t size() const = 0;

  // Waits until a message matching `query` is stored (or already is), at most `timeout`.
  std::optional<StoredMessage> wait(const MessageQuery& query, std::chrono::milliseconds timeout) const;

  // Change events for waiters that must not block a thread (the HTTP long-polls): `listener`
  // is called after each stored message or attempt, on the thread that stored it, until
  // unsubscribe(returned handle); it must be quick (post work elsewhere) and not call back.
  // After unsubscribe returns, the listener is not running and will not run again.
  using ChangeListener = std::function<void()>;
  std::uint64_t subscribe(ChangeListener listener) const;
  void unsubscribe(std::uint64_t handle) const;
  // Wakes wait() and the listeners; called after each store, and by the owner of a store that
  // ends (a deleted sandbox), so its long-polls look again and learn that it is gone.
  void wake_waiters();

  // A message's bytes in pieces, so a large one is sent without a whole copy per client:
  // its size, and up to `max` bytes from `offset` (empty at the end). Nothing when no such
  // message is stored (any more). The defaults read the whole message through get().
  virtual std::optional<std::size_t> bytes_size(std::uint64_t id) const;
  virtual std::optional<std::string> read_bytes(std::uint64_t id, std::size_t offset, std::size_t max) const;

 protected:
  virtual std::uint64_t insert(StoredMessage message, const capture::SessionRecord* session) = 0;
  // Defaults to insert(), called back before it returns.
  virtual void insert_async(StoredMessage message, const capture::SessionRecord* session, Added done);
  virtual void insert_attempt_async(StoredAttempt attempt, Added done) = 0;

 private:
  template <typename Found>
  auto wait_for(Found find_first, std::chrono::milliseconds timeout) const -> decltype(find_first());

  mutable std::mutex m_wait_mutex;
  mutable std::condition_variable m_added;
  std::uint64_t m_generation = 0;
  mutable std::mutex m_listeners_mutex;  // held while listeners run: unsubscribe waits for them
  mutable std::uint64_t m_last_listener = 0;
  mutable std::map<std::uint64_t, ChangeListener> m_listeners;
};

// A copy of `live` without its transactions and with its transcript from entry `first` on.
capture::SessionRecord session_snapshot(const capture::SessionRecord& live, std::size_t first = 0);

// keep: the retention count of messages, sessions and accepted attempts (oldest evicted
// first); keep_refused: of refused attempts (none: as keep), so refusals never evict mail.
// 0 keeps everything.
std::unique_ptr<MessageStore> make_memory_store(std::size_t keep, std::optional<std::size_t> keep_refused = {});
// Opens (creating) DIR/maildog.sqlite3 in WAL mode; throws std::runtime_error when it cannot.
std::unique_ptr<MessageStore> make_sqlite_store(const std::string& dir, std::size_t keep,
                                                std::optional<std::size_t> keep_refused = {});

}  // namespace maildog::serve
