#include "serve/sqlite.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <stdexcept>

namespace maildog::serve::sqlite {

void Database::Close::operator()(sqlite3* db) const { sqlite3_close_v2(db); }

Database::Database(const std::string& path) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  m_db.reset(db);
  if (rc != SQLITE_OK) {
    fail("cannot open " + path);
  }
  sqlite3_extended_result_codes(db, 1);
}

void Database::execute(std::string_view sql) {
  char* message = nullptr;
  const int rc = sqlite3_exec(m_db.get(), std::string(sql).c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string text = message != nullptr ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    throw std::runtime_error("sqlite: " + text + " (in " + std::string(sql.substr(0, 60)) + ")");
  }
}

std::int64_t Database::changes() const { return sqlite3_changes64(m_db.get()); }
std::int64_t Database::last_insert_rowid() const { return sqlite3_last_insert_rowid(m_db.get()); }

void Database::fail(std::string_view what) const {
  const char* message = m_db ? sqlite3_errmsg(m_db.get()) : "out of memory";
  throw std::runtime_error("sqlite: " + std::string(what) + ": " + message);
}

std::optional<std::string> Database::read_blob(const char* table, const char* column, std::int64_t row,
                                               std::size_t offset, std::size_t max) const {
  sqlite3_blob* blob = nullptr;
  const int rc = sqlite3_blob_open(m_db.get(), "main", table, column, row, 0, &blob);
  const std::unique_ptr<sqlite3_blob, int (*)(sqlite3_blob*)> closing(blob, sqlite3_blob_close);
  if (rc != SQLITE_OK) {
    if (rc == SQLITE_ERROR) {
      return std::nullopt;  // no such row (or column): the message is gone
    }
    fail("blob open");
  }
  const auto size = static_cast<std::size_t>(sqlite3_blob_bytes(blob));
  if (offset >= size) {
    return std::string();
  }
  std::string piece(std::min(max, size - offset), '\0');
  if (sqlite3_blob_read(blob, piece.data(), static_cast<int>(piece.size()), static_cast<int>(offset)) != SQLITE_OK) {
    fail("blob read");
  }
  return piece;
}

void Statement::Finalize::operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }

Statement::Statement(const Database& db, std::string_view sql) : m_db(db) {
  sqlite3_stmt* statement = nullptr;
  const int rc = sqlite3_prepare_v3(db.handle(), sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                    &statement, nullptr);
  m_statement.reset(statement);
  check(rc, "prepare");
}

void Statement::check(int rc, std::string_view what) const {
  if (rc != SQLITE_OK) {
    m_db.fail(what);
  }
}

void Statement::bind(int index, std::int64_t value) {
  check(sqlite3_bind_int64(m_statement.get(), index, value), "bind");
}

void Statement::bind(int index, std::string_view text) {
  check(sqlite3_bind_text64(m_statement.get(), index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8), "bind");
}

void Statement::bind_optional(int index, const std::optional<std::string>& text) {
  if (text) {
    bind(index, std::string_view(*text));
  } else {
    check(sqlite3_bind_null(m_statement.get(), index), "bind");
  }
}

void Statement::bind_blob(int index, std::string_view bytes) {
  check(sqlite3_bind_blob64(m_statement.get(), index, bytes.data(), bytes.size(), SQLITE_STATIC), "bind");
}

bool Statement::step() {
  const int rc = sqlite3_step(m_statement.get());
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc != SQLITE_DONE) {
    const std::string message = sqlite3_errmsg(m_db.handle());
    sqlite3_reset(m_statement.get());
    throw std::runtime_error("sqlite: step: " + message);
  }
  return false;
}

void Statement::reset() {
  sqlite3_reset(m_statement.get());
  sqlite3_clear_bindings(m_statement.get());
}

std::int64_t Statement::integer(int column) const { return sqlite3_column_int64(m_statement.get(), column); }

std::string Statement::text(int column) const {
  const auto* text = sqlite3_column_text(m_statement.get(), column);
  const int size = sqlite3_column_bytes(m_statement.get(), column);
  return text == nullptr ? std::string()
                         : std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size));
}

std::string Statement::blob(int column) const {
  const void* data = sqlite3_column_blob(m_statement.get(), column);
  const int size = sqlite3_column_bytes(m_statement.get(), column);
  return data == nullptr ? std::string() : std::string(static_cast<const char*>(data), static_cast<std::size_t>(size));
}

WriteTransaction::WriteTransaction(Database& db) : m_db(db) { m_db.execute("BEGIN IMMEDIATE"); }

WriteTransaction::~WriteTransaction() {
  if (!m_done) {
    sqlite3_exec(m_db.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

void WriteTransaction::commit() {
  m_db.execute("COMMIT");
  m_done = true;
}

}  // namespace maildog::serve::sqlite
