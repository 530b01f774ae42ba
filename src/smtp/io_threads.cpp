#include "smtp/io_threads.hpp"

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <iostream>
#include <thread>

namespace maildog::smtp {

namespace asio = boost::asio;

struct IoThreads::Impl {
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  // Idle contexts keep running until the destructor: a server may start on them at any time.
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> keep_running;
  std::vector<std::thread> threads;
};

void run_io_context(asio::io_context& context) {
  for (;;) {
    try {
      context.run();
      return;
    } catch (const std::exception& error) {
      std::cerr << "maildog-ci: SMTP I/O thread: " << error.what() << '\n';
    }
  }
}

IoThreads::IoThreads(unsigned threads) : m_impl(std::make_unique<Impl>()) {
  for (unsigned i = 0; i < std::max(1U, threads); ++i) {
    auto& context = m_impl->contexts.emplace_back(std::make_unique<asio::io_context>(1));  // run by one thread
    m_contexts.push_back(context.get());
    m_impl->keep_running.push_back(asio::make_work_guard(*context));
    // Asio makes a context's reactor (epoll, eventfd, timerfd) at its first socket or timer:
    // made now, so a sandbox's first session under descriptor exhaustion cannot throw it.
    asio::steady_timer first_timer(*context);
  }
  for (auto* context : m_contexts) {
    m_impl->threads.emplace_back([context] { run_io_context(*context); });
  }
}

IoThreads::~IoThreads() {
  m_impl->keep_running.clear();
  for (auto* context : m_contexts) {
    context->stop();
  }
  for (auto& thread : m_impl->threads) {
    thread.join();
  }
}

}  // namespace maildog::smtp
