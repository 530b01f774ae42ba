// Fixtures shared by the message store tests: a store of either kind, a store as an older
// maildog-ci left it, and a message to store.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "serve/sqlite.hpp"
#include "serve/store.hpp"
#include "support/temp_dir.hpp"

namespace store_fixtures {

using namespace maildog;
using namespace maildog::serve;

enum class Kind { memory, sqlite };

inline std::unique_ptr<MessageStore> open_store(Kind kind, const test::TempDir& dir, std::size_t keep = 0) {
  return kind == Kind::memory ? make_memory_store(keep) : make_sqlite_store((dir.path() / "data").string(), keep);
}

// A store as an older maildog-ci left it: its schema version, the messages table (the same in
// versions 1 and 2) and `tables`.
inline void write_old_store(const test::TempDir& dir, int version, std::string_view tables) {
  std::filesystem::create_directories(dir.path() / "data");
  sqlite::Database db((dir.path() / "data" / "maildog.sqlite3").string());
  db.execute(
      "CREATE TABLE schema_version (version INTEGER NOT NULL);"
      "INSERT INTO schema_version (version) VALUES (" +
      std::to_string(version) +
      ");"
      "CREATE TABLE messages (id INTEGER PRIMARY KEY AUTOINCREMENT, received_us INTEGER NOT NULL,"
      "  session_id INTEGER NOT NULL, mail_from TEXT NOT NULL, recipients TEXT NOT NULL,"
      "  subject TEXT NOT NULL, auth TEXT NOT NULL, record TEXT NOT NULL, bytes BLOB NOT NULL);" +
      std::string(tables));
}

inline capture::RecipientRecord accepted(std::string address) {
  return {std::move(address), "", smtp::make_reply(250, smtp::EnhancedCode{2, 1, 5}, "Ok"), 1};
}

inline StoredMessage message(std::string from, std::string to, std::string subject,
                             std::map<std::string, std::string> auth = {}) {
  StoredMessage stored;
  stored.received = std::chrono::system_clock::now();
  stored.session_id = 3;
  auto& transaction = stored.transaction;
  transaction.mail_from = std::move(from);
  transaction.mail_reply = smtp::make_reply(250, smtp::EnhancedCode{2, 1, 0}, "Ok");
  transaction.recipients.push_back(accepted(std::move(to)));
  transaction.recipients.push_back(
      {"ghost@inbox.test", "", smtp::make_reply(550, smtp::EnhancedCode{5, 1, 1}, "User unknown"), 1});
  transaction.data_reply = smtp::make_reply(354, std::nullopt, "End data with <CR><LF>.<CR><LF>");
  transaction.final_reply = smtp::make_reply(250, smtp::EnhancedCode{2, 0, 0}, "Ok: queued as 0000000001");
  transaction.delivered = true;
  transaction.message = std::make_shared<const std::string>("Subject: " + subject + "\r\nFrom: <" +
                                                            transaction.mail_from + ">\r\n\r\nbody \x01\x80\r\n");
  transaction.auth_results = std::move(auth);
  transaction.authentication_results = "mx.sandbox.test; spf=pass";
  transaction.lint.push_back({"missing_date", "no Date field", 0, ""});
  return stored;
}

inline std::vector<std::uint64_t> ids(const std::vector<StoredMessage>& messages) {
  std::vector<std::uint64_t> out;
  for (const auto& stored : messages) {
    out.push_back(stored.id);
  }
  return out;
}

using Ids = std::vector<std::uint64_t>;

}  // namespace store_fixtures
