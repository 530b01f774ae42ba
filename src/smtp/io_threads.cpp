#include "smtp/io_threads.hpp"

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <thread>

namespace maildog::smtp {

namespace asio = boost::asio;

struct IoThreads::Impl {
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  // Idle contexts keep running until the destructor: a server may start on them at any time.
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> keep_running;
  std::vector<std::thread> threads;
};

IoThreads::IoThreads(unsigned threads) : m_impl(std::make_unique<Impl>()) {
  for (unsigned i = 0; i < std::max(1U, threads); ++i) {
    auto& context = m_impl->contexts.emplace_back(std::make_unique<asio::io_context>(1));  // run by one thread
    m_contexts.push_back(context.get());
    m_impl->keep_running.push_back(asio::make_work_guard(*context));
  }
  for (auto* context : m_contexts) {
    m_impl->threads.emplace_back([context] { context->run(); });
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
