// serve's console: lines for a person watching, written by a thread of their own. Under load a
// write and flush per stored message cost the I/O threads a system call each; batched, a line
// still reaches a terminal or a pipe (a CI log) within k_batch_delay.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>
#include <thread>

namespace maildog::cli {

class LinePrinter {
 public:
  static constexpr std::chrono::milliseconds k_batch_delay{20};

  explicit LinePrinter(std::ostream& out);
  ~LinePrinter();  // writes every line printed before it
  LinePrinter(const LinePrinter&) = delete;
  LinePrinter& operator=(const LinePrinter&) = delete;

  void print(std::string_view lines);  // whole lines, each ending in '\n'; any thread

 private:
  void run();

  std::ostream& m_out;
  std::mutex m_mutex;
  std::condition_variable m_wake;
  std::string m_pending;
  bool m_stopping = false;
  std::thread m_thread;
};

}  // namespace maildog::cli
