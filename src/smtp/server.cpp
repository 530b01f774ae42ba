#include "smtp/server.hpp"

#include <string.h>  // strerrordesc_np (glibc)

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <condition_variable>
#include <iostream>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "smtp/io_threads.hpp"
#include "smtp/session.hpp"
#include "smtp/tls.hpp"

namespace maildog::smtp {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {
// The configuration sessions start with; set_rules() makes a new one. Each session keeps the one
// it started with alive until it ends (for connect, HELO, STARTTLS and AUTH rules) and takes the
// current one at each MAIL FROM.
struct Generation {
  explicit Generation(ServerConfig cfg, std::vector<std::shared_ptr<rules::TimesLeft>> times = {})
      : config(std::move(cfg)), rules_state(config.seed, std::move(times)) {}
  ServerConfig config;
  rules::EngineState rules_state;
};
std::vector<std::unique_ptr<boost::asio::io_context>> make_contexts(unsigned threads) {
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts;
  for (unsigned i = 0; i < std::max(1U, threads); ++i) {
    contexts.push_back(std::make_unique<boost::asio::io_context>(1));  // run by one thread
  }
  return contexts;
}
std::vector<boost::asio::io_context*> pointers_to(const std::vector<std::unique_ptr<boost::asio::io_context>>& owned) {
  std::vector<boost::asio::io_context*> contexts;
  for (const auto& context : owned) {
    contexts.push_back(context.get());
  }
  return contexts;
}
// Asio makes an io_context's reactor (an epoll descriptor, an eventfd and a timerfd) at its first
// socket or timer. Made lazily by the first session on a context, under EMFILE it threw out of
// the accept handler and ended serve (issue 21): every reactor is made here, at start.
void make_reactors_now(const std::vector<boost::asio::io_context*>& contexts) {
  for (auto& context : contexts) {
    boost::asio::steady_timer first_timer(*context);
  }
}
// How long the accept loop pauses when accept() fails (EMFILE, ENFILE, ENOBUFS): long enough
// for sessions to end and give descriptors back, short enough that nobody notices.
constexpr std::chrono::milliseconds k_accept_pause{250};
// accept()'s errno as text, without a virtual call: UBSan's vptr check needs a pipe to probe
// memory, and with no descriptor left it reports every unchecked virtual call (ec.message())
// as a bad vptr, ending a sanitizer build exactly when this line is printed.
std::string accept_error_text(const boost::system::error_code& ec) {
  const char* text = strerrordesc_np(ec.value());
  return text != nullptr ? text : "error " + std::to_string(ec.value());
}
}  // namespace

struct Server::Impl {
  Impl(ServerConfig cfg, std::shared_ptr<IoThreads> io)
      : first(std::make_shared<Generation>(std::move(cfg))),
        current(first),
        config(first->config),
        shared_io(std::move(io)),
        owned_contexts(shared_io ? decltype(owned_contexts)() : make_contexts(config.threads)),
        contexts(shared_io ? shared_io->contexts() : pointers_to(owned_contexts)),
        tls(make_server_tls_context(config)),
        accept_strand(asio::make_strand(*contexts.front())),
        acceptor(*contexts.front()) {}

  const std::shared_ptr<Generation> first;
  std::shared_ptr<Generation> current;  // guarded by `mutex`
  const ServerConfig& config;           // the first generation's: what set_rules never changes (address, TLS, limits)
  // One io_context per thread, and each session on one of them (round robin), so no thread
  // hands a session's work to another: with one context shared by two threads every completion
  // woke the other thread, and intake ran at 0.6x. A session needs no strand on its context.
  // Either shared (`shared_io`, run by its threads) or the server's own (`owned_contexts`).
  std::shared_ptr<IoThreads> shared_io;
  std::vector<std::unique_ptr<asio::io_context>> owned_contexts;
  std::vector<asio::io_context*> contexts;
  asio::ssl::context tls;
  capture::Capture capture;
  // The accept loop and stop()'s close of the acceptor run here (on the first context).
  asio::strand<asio::io_context::executor_type> accept_strand;
  tcp::acceptor acceptor;
  std::size_t next_context = 0;                                                          // the accept loop's only
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> keep_running;  // idle contexts too
  std::vector<std::thread> threads;
  std::uint16_t port = 0;
  bool started = false;
  bool stopped = false;

  mutable std::mutex mutex;
  mutable std::condition_variable sessions_done;
  std::list<std::weak_ptr<Session>> sessions;
  std::size_t active = 0;
  // The accept loop has returned: on shared threads, stop() waits for it before the acceptor
  // and the strand it uses can go.
  bool accept_ended = false;

  RulesInUse current_rules() {
    std::lock_guard lock(mutex);
    return RulesInUse{&current->config.rules, &current->rules_state, current};
  }
  // Over k_stress_percent of the connection limit (see core/limits.hpp); sessions read it.
  std::atomic<bool> stressed{false};
  bool accept_failing = false;  // the accept loop's only: told once per run of failures

  asio::awaitable<void> accept_loop();
  // Under `mutex`: whether `active` sessions put the server under stress.
  bool stress_at(std::size_t sessions_open) const {
    return sessions_open * 100 > config.limits.connections * limits::k_stress_percent;
  }
  // Under `mutex`: asks the session idle longest to close (421 4.4.2); false when none is idle.
  bool evict_longest_idle();
  void on_session_end(std::list<std::weak_ptr<Session>>::iterator where);
  template <typename Action>
  void for_each_session(Action action);
};

asio::awaitable<void> Server::Impl::accept_loop() {
  for (;;) {
    auto& context = *contexts[next_context++ % contexts.size()];
    auto [ec, socket] = co_await acceptor.async_accept(context, asio::as_tuple(asio::use_awaitable));
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) {
      co_return;
    }
    if (ec) {
      // EMFILE and friends: keep serving the sessions we have, pause accepting, try again (as
      // Postfix and nginx do); said once until an accept succeeds again.
      if (!accept_failing) {
        accept_failing = true;
        std::cerr << "maildog-ci: SMTP cannot accept connections: " << accept_error_text(ec) << "; pausing accepts for "
                  << k_accept_pause.count() << " ms at a time until it can\n";
      }
      asio::steady_timer backoff(acceptor.get_executor(), k_accept_pause);
      co_await backoff.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    if (accept_failing) {
      accept_failing = false;
      std::cerr << "maildog-ci: SMTP accepts connections again\n";
    }
    std::list<std::weak_ptr<Session>>::iterator where;
    bool over_limit = false;
    bool stress_began = false;
    std::shared_ptr<Session> session;
    std::shared_ptr<Generation> generation;
    {
      std::lock_guard lock(mutex);
      // At the limit, the longest-idle session makes room (it is told 421 and closes) rather
      // than the newcomer being turned away: idle sockets cannot lock real clients out.
      over_limit = active >= config.limits.connections && !evict_longest_idle();
      generation = current;
      session = std::make_shared<Session>(std::move(socket),
                                          SessionShared{generation->config, tls, generation->rules_state, capture,
                                                        generation, [this] { return current_rules(); }, &stressed},
                                          over_limit);
      where = sessions.insert(sessions.end(), session);
      ++active;
      stress_began = stress_at(active) && !stressed.exchange(true);
    }
    if (stress_began) {
      for_each_session([](Session& open) { open.tighten_idle_timeout(); });
    }
    asio::co_spawn(session->executor(), session->run(),
                   [this, where, session](std::exception_ptr) { on_session_end(where); });
  }
}

bool Server::Impl::evict_longest_idle() {
  std::shared_ptr<Session> longest;
  std::int64_t longest_since = 0;
  for (auto& weak : sessions) {
    auto session = weak.lock();
    const std::int64_t since = session ? session->idle_since() : 0;
    if (since != 0 && !session->picked_for_eviction() && (!longest || since < longest_since)) {
      longest = std::move(session);
      longest_since = since;
    }
  }
  if (!longest) {
    return false;
  }
  longest->pick_for_eviction();
  asio::post(longest->executor(), [longest] { longest->close_if_idle(); });
  return true;
}

void Server::Impl::on_session_end(std::list<std::weak_ptr<Session>>::iterator where) {
  {
    std::lock_guard lock(mutex);
    sessions.erase(where);
    --active;
    if (!stress_at(active)) {
      stressed.store(false);
    }
    sessions_done.notify_all();  // under the lock: stop() may return, and the server go, right after
  }
}

template <typename Action>
void Server::Impl::for_each_session(Action action) {
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard lock(mutex);
    for (auto& weak : sessions) {
      if (auto session = weak.lock()) {
        live.push_back(std::move(session));
      }
    }
  }
  // Each session is only touched on its own executor (one thread per context).
  for (auto& session : live) {
    asio::post(session->executor(), [session, action] { action(*session); });
  }
}

Server::Server(ServerConfig config, std::shared_ptr<IoThreads> io)
    : m_impl(std::make_unique<Impl>(std::move(config), std::move(io))) {}

Server::~Server() { stop(std::chrono::seconds(1)); }

void Server::start() {
  auto& impl = *m_impl;
  if (impl.started) {
    return;
  }
  make_reactors_now(impl.contexts);
  tcp::endpoint endpoint(asio::ip::make_address(impl.config.bind_address), impl.config.port);
  impl.acceptor.open(endpoint.protocol());
  impl.acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl.acceptor.bind(endpoint);
  impl.acceptor.listen(asio::socket_base::max_listen_connections);
  impl.port = impl.acceptor.local_endpoint().port();
  impl.started = true;
  asio::co_spawn(impl.accept_strand, impl.accept_loop(), [&impl](std::exception_ptr) {
    std::lock_guard lock(impl.mutex);
    impl.accept_ended = true;
    impl.sessions_done.notify_all();
  });
  if (impl.shared_io) {
    return;  // its threads already run the contexts
  }
  for (auto& context : impl.contexts) {
    impl.keep_running.push_back(asio::make_work_guard(*context));
    impl.threads.emplace_back([&context = *context] { run_io_context(context); });
  }
}

void Server::stop(std::chrono::milliseconds grace) {
  auto& impl = *m_impl;
  if (!impl.started || impl.stopped) {
    return;
  }
  impl.stopped = true;
  asio::post(impl.accept_strand, [&impl] {
    boost::system::error_code ignored;
    impl.acceptor.close(ignored);
  });
  impl.for_each_session([](Session& session) { session.request_stop(); });
  {
    std::unique_lock lock(impl.mutex);
    impl.sessions_done.wait_for(lock, grace, [&impl] { return impl.active == 0; });
  }
  impl.for_each_session([](Session& session) { session.force_close(); });
  {
    std::unique_lock lock(impl.mutex);
    impl.sessions_done.wait(lock, [&impl] { return impl.active == 0 && impl.accept_ended; });
  }
  if (impl.shared_io) {
    return;  // the contexts go on serving other servers
  }
  impl.keep_running.clear();
  for (auto& context : impl.contexts) {
    context->stop();
  }
  for (auto& thread : impl.threads) {
    thread.join();
  }
  impl.threads.clear();
}

void Server::set_rules(std::vector<rules::Rule> rules, std::vector<std::shared_ptr<rules::TimesLeft>> times) {
  std::lock_guard lock(m_impl->mutex);
  ServerConfig next = m_impl->current->config;
  next.rules = std::move(rules);
  m_impl->current = std::make_shared<Generation>(std::move(next), std::move(times));
}

std::uint16_t Server::port() const { return m_impl->port; }
const std::string& Server::host() const { return m_impl->config.bind_address; }

ServerConfig Server::config() const {
  std::lock_guard lock(m_impl->mutex);
  return m_impl->current->config;
}
capture::Capture& Server::capture() { return m_impl->capture; }

std::size_t Server::active_sessions() const {
  std::lock_guard lock(m_impl->mutex);
  return m_impl->active;
}

}  // namespace maildog::smtp

namespace maildog::smtp {
bool Server::wait_until_idle(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(m_impl->mutex);
  return m_impl->sessions_done.wait_for(lock, timeout, [this] { return m_impl->active == 0; });
}
}  // namespace maildog::smtp
