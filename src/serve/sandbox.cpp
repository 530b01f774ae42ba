#include "serve/sandbox.hpp"

#include <iostream>

#include "lint/transaction.hpp"

namespace maildog::serve {

ServeSandbox::ServeSandbox(smtp::ServerConfig config, std::unique_ptr<MessageStore> store, Listener on_stored)
    : m_store(std::move(store)), m_on_stored(std::move(on_stored)) {
  if (auto newest = m_store->sessions(1); !newest.empty()) {
    m_session_base = newest.front().id;
  }
  config.on_accepted = [this](const capture::SessionRecord& session, const capture::TransactionRecord& transaction) {
    return keep(session, transaction);
  };
  m_server = std::make_unique<smtp::Server>(std::move(config));
  m_server->capture().hand_off_sessions([this](capture::SessionRecord session) { keep_session(std::move(session), false); });
}

ServeSandbox::~ServeSandbox() { stop(std::chrono::seconds(1)); }

void ServeSandbox::start() { m_server->start(); }

void ServeSandbox::stop(std::chrono::milliseconds grace) { m_server->stop(grace); }

std::optional<smtp::Reply> ServeSandbox::keep(const capture::SessionRecord& session,
                                              const capture::TransactionRecord& transaction) {
  StoredMessage message;
  message.received = std::chrono::system_clock::now();
  message.session_id = m_session_base + session.id;
  message.transaction = transaction;
  message.transaction.lint = lint::lint_notes(transaction);
  try {
    message.id = m_store->add(message);
  } catch (const std::exception& error) {
    std::cerr << "maildog-ci serve: cannot store a message: " << error.what() << '\n';
    return smtp::reply::cannot_store();
  }
  keep_session(session, true);
  if (m_on_stored) {
    m_on_stored(message);
  }
  return std::nullopt;
}

// A session record is for reading back; losing one never refuses mail, so failures are only told.
void ServeSandbox::keep_session(const capture::SessionRecord& session, bool open) {
  try {
    m_store->update_session(m_session_base + session.id, session, open);
  } catch (const std::exception& error) {
    std::cerr << "maildog-ci serve: cannot store a session: " << error.what() << '\n';
  }
}

}  // namespace maildog::serve
