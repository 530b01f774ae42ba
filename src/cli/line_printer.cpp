#include "cli/line_printer.hpp"

namespace maildog::cli {

LinePrinter::LinePrinter(std::ostream& out) : m_out(out), m_thread([this] { run(); }) {}

LinePrinter::~LinePrinter() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_wake.notify_one();
  m_thread.join();
}

void LinePrinter::print(std::string_view lines) {
  bool was_empty = false;
  {
    std::lock_guard lock(m_mutex);
    was_empty = m_pending.empty();
    m_pending += lines;
  }
  if (was_empty) {
    m_wake.notify_one();
  }
}

void LinePrinter::run() {
  std::string batch;
  std::unique_lock lock(m_mutex);
  for (;;) {
    m_wake.wait(lock, [this] { return m_stopping || !m_pending.empty(); });
    if (m_pending.empty()) {
      return;  // stopping, and everything is written
    }
    batch.swap(m_pending);
    lock.unlock();
    m_out << batch;
    m_out.flush();
    batch.clear();
    lock.lock();
    // Lines printed meanwhile wait for the next batch, unless the printer is stopping.
    m_wake.wait_for(lock, k_batch_delay, [this] { return m_stopping; });
  }
}

}  // namespace maildog::cli
