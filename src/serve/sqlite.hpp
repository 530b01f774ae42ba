// Thin RAII wrappers over the SQLite C API for the store: a connection, prepared statements
// with typed binds and columns, and a write transaction that rolls back unless committed.
// Every failure throws std::runtime_error with SQLite's message.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace maildog::serve::sqlite {

class Database {
 public:
  explicit Database(const std::string& path);  // opens, creating the file
  void execute(std::string_view sql);          // statements without parameters or rows
  sqlite3* handle() const { return m_db.get(); }
  std::int64_t changes() const;
  std::int64_t last_insert_rowid() const;
  [[noreturn]] void fail(std::string_view what) const;
  // Up to `max` bytes from `offset` of one BLOB (incremental I/O: only the pages it covers are
  // read); nothing when the row does not exist.
  std::optional<std::string> read_blob(const char* table, const char* column, std::int64_t row, std::size_t offset,
                                       std::size_t max) const;

 private:
  struct Close {
    void operator()(sqlite3* db) const;
  };
  std::unique_ptr<sqlite3, Close> m_db;
};

class Statement {
 public:
  Statement(const Database& db, std::string_view sql);

  // Parameters are 1-based, as in SQL's ?1.
  void bind(int index, std::int64_t value);
  void bind(int index, std::string_view text);
  void bind_optional(int index, const std::optional<std::string>& text);  // NULL when empty
  void bind_blob(int index, std::string_view bytes);                      // kept by SQLite until reset
  bool step();                                                            // true: a row is ready
  void reset();                                                           // clears the bindings too

  std::int64_t integer(int column) const;
  std::string text(int column) const;
  std::string blob(int column) const;

 private:
  struct Finalize {
    void operator()(sqlite3_stmt* statement) const;
  };
  const Database& m_db;
  std::unique_ptr<sqlite3_stmt, Finalize> m_statement;
  void check(int rc, std::string_view what) const;
};

// A cached statement is reset when the scope that used it ends, whatever happened.
class ResetAtExit {
 public:
  explicit ResetAtExit(Statement& statement) : m_statement(statement) {}
  ~ResetAtExit() { m_statement.reset(); }
  ResetAtExit(const ResetAtExit&) = delete;
  ResetAtExit& operator=(const ResetAtExit&) = delete;

 private:
  Statement& m_statement;
};

// BEGIN IMMEDIATE: takes the write lock up front, so a busy database shows at BEGIN.
class WriteTransaction {
 public:
  explicit WriteTransaction(Database& db);
  ~WriteTransaction();
  WriteTransaction(const WriteTransaction&) = delete;
  WriteTransaction& operator=(const WriteTransaction&) = delete;
  void commit();

 private:
  Database& m_db;
  bool m_done = false;
};

}  // namespace maildog::serve::sqlite
