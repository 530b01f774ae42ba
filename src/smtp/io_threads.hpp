// I/O threads several smtp::Server instances share: one io_context per thread, started once
// (serve makes one set at start, and every sandbox it creates later listens on them), so a new
// sandbox costs a listening socket, not threads. Asio stays behind a pimpl.
#pragma once

#include <memory>
#include <vector>

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace maildog::smtp {

// Runs `context` until it stops; an exception out of a handler is told on stderr and the thread
// goes on serving, never std::terminate. Every SMTP I/O thread runs through this.
void run_io_context(boost::asio::io_context& context);

class IoThreads {
 public:
  // Starts `threads` threads (at least one), each running its own io_context.
  explicit IoThreads(unsigned threads);
  // Stops the contexts and joins the threads: every Server using them must be stopped first.
  ~IoThreads();
  IoThreads(const IoThreads&) = delete;
  IoThreads& operator=(const IoThreads&) = delete;

  // One per thread, in a fixed order; each is run by exactly one thread.
  const std::vector<boost::asio::io_context*>& contexts() const { return m_contexts; }

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
  std::vector<boost::asio::io_context*> m_contexts;
};

}  // namespace maildog::smtp
