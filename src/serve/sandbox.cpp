#include "serve/sandbox.hpp"

#include <algorithm>
#include <iostream>

#include "lint/transaction.hpp"
#include "serve/attempt_keys.hpp"

namespace maildog::serve {

namespace {
std::string what(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown error";
  }
}
}  // namespace

ServeSandbox::ServeSandbox(smtp::ServerConfig config, std::unique_ptr<MessageStore> store, Listener on_stored,
                           AttemptListener on_refused, std::shared_ptr<smtp::IoThreads> io)
    : m_store(std::move(store)), m_on_stored(std::move(on_stored)), m_on_refused(std::move(on_refused)) {
  if (auto newest = m_store->sessions(1); !newest.empty()) {
    m_session_base = newest.front().id;
  }
  config.keep_transactions = false;  // each accepted message is in the store, not the live record
  config.on_accepted = [this](const capture::SessionRecord& session, const capture::TransactionRecord& transaction) {
    return keep(session, transaction);
  };
  config.on_attempt_refused = [this](const capture::SessionRecord& session, const smtp::RefusedAttempt& refused) {
    keep_refused(session, refused);
  };
  m_server = std::make_unique<smtp::Server>(std::move(config), std::move(io));
  m_server->capture().hand_off_sessions([this](capture::SessionRecord session) { keep_closed_session(session); });
}

ServeSandbox::~ServeSandbox() { stop(std::chrono::seconds(1)); }

void ServeSandbox::start() { m_server->start(); }

void ServeSandbox::stop(std::chrono::milliseconds grace) { m_server->stop(grace); }

// The 250 waits for the store (durable in SQLite) without holding up an I/O thread: the
// session waits for the verdict, and the messages stored meanwhile share one commit.
smtp::Acceptance ServeSandbox::keep(const capture::SessionRecord& session,
                                    const capture::TransactionRecord& transaction) {
  StoredMessage message;
  message.received = std::chrono::system_clock::now();
  message.session_id = m_session_base + session.id;
  message.transaction = transaction;
  message.transaction.lint = lint::lint_notes(transaction);
  smtp::Acceptance acceptance;
  // Called by the session right away, while `session` is still as it was here.
  acceptance.when_kept = [this, message = std::move(message), &session](smtp::Acceptance::Verdict verdict) mutable {
    auto shown = m_on_stored ? std::make_shared<StoredMessage>(message) : nullptr;
    // A partly refused message: its refusals are shown as the refused attempts' are.
    std::shared_ptr<StoredAttempt> partial;
    if (m_on_refused) {
      auto attempt = attempt_of_message(message, &session);
      if (attempt.status == AttemptStatus::partial) {
        partial = std::make_shared<StoredAttempt>(std::move(attempt));
      }
    }
    m_store->add_async(std::move(message), &session,
                       [this, shown, partial, verdict = std::move(verdict)](std::uint64_t id,
                                                                            std::exception_ptr error) {
                         if (error) {
                           std::cerr << "maildog-ci serve: cannot store a message: " << what(error) << '\n';
                           verdict(smtp::reply::cannot_store());
                           return;
                         }
                         if (shown) {
                           shown->id = id;
                           m_on_stored(*shown);
                         }
                         if (partial) {
                           partial->message_id = id;
                           m_on_refused(*partial);
                         }
                         verdict(std::nullopt);
                       });
  };
  return acceptance;
}

// Queued for the store's writer and answered at once: the reply that ended the attempt never
// waits for the disk, and a crash may lose the last refusals, never a message.
void ServeSandbox::keep_refused(const capture::SessionRecord& session, const smtp::RefusedAttempt& refused) {
  StoredAttempt attempt;
  attempt.at = std::chrono::system_clock::now();
  attempt.session_id = m_session_base + session.id;
  attempt.status = AttemptStatus::refused;
  attempt.client_address = session.client_address;
  attempt.client_port = session.client_port;
  attempt.helo = session.helo;
  attempt.auth_user = session.auth_user;
  if (refused.transaction != nullptr) {
    attempt.transaction = *refused.transaction;
    if (const auto& bytes = refused.transaction->message) {
      attempt.message_size = bytes->size();
      attempt.subject = subject_of(refused.transaction->stored_header_section());
    }
    attempt.transaction->message.reset();
  }
  attempt.refusals = refused.refusals;
  attempt.fault = refused.fault;
  attempt.ended = refused.ended;
  const auto first = static_cast<std::ptrdiff_t>(std::min(refused.first_line, session.transcript.size()));
  attempt.transcript.assign(session.transcript.begin() + first, session.transcript.end());
  auto shown = m_on_refused ? std::make_shared<StoredAttempt>(attempt) : nullptr;
  m_store->add_attempt_async(std::move(attempt), [this, shown](std::uint64_t id, std::exception_ptr error) {
    if (error) {
      std::cerr << "maildog-ci serve: cannot store a refused attempt: " << what(error) << '\n';
      return;
    }
    if (shown) {
      shown->id = id;
      m_on_refused(*shown);
    }
  });
}

// A session record is for reading back; losing one never refuses mail, so failures are only told.
void ServeSandbox::keep_closed_session(const capture::SessionRecord& session) {
  m_store->update_session_async(m_session_base + session.id, session, false, [](std::exception_ptr error) {
    if (error) {
      std::cerr << "maildog-ci serve: cannot store a session: " << what(error) << '\n';
    }
  });
}

}  // namespace maildog::serve
