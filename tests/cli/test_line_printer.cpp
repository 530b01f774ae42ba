#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <mutex>
#include <ostream>
#include <sstream>
#include <streambuf>
#include <string>
#include <thread>
#include <vector>

#include "cli/line_printer.hpp"

using maildog::cli::LinePrinter;
using namespace std::chrono_literals;

namespace {

// A stream target the test may read while the printer's thread writes to it.
class SharedBuffer : public std::streambuf {
 public:
  std::string contents() {
    std::lock_guard lock(m_mutex);
    return m_text;
  }

 protected:
  std::streamsize xsputn(const char* text, std::streamsize count) override {
    std::lock_guard lock(m_mutex);
    m_text.append(text, static_cast<std::size_t>(count));
    return count;
  }
  int_type overflow(int_type c) override {
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      std::lock_guard lock(m_mutex);
      m_text.push_back(traits_type::to_char_type(c));
    }
    return c;
  }

 private:
  std::mutex m_mutex;
  std::string m_text;
};

}  // namespace

TEST_CASE("a line printed to an idle printer is written without waiting for more", "[cli]") {
  SharedBuffer buffer;
  std::ostream out(&buffer);
  LinePrinter printer(out);
  printer.print("SMTP on 127.0.0.1:2525\n");
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (buffer.contents().empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  REQUIRE(buffer.contents() == "SMTP on 127.0.0.1:2525\n");
}

TEST_CASE("lines from several threads all arrive whole, each thread's in its order", "[cli]") {
  constexpr int k_threads = 4;
  constexpr int k_lines = 2000;
  std::ostringstream out;
  {
    LinePrinter printer(out);
    std::vector<std::thread> threads;
    for (int t = 0; t < k_threads; ++t) {
      threads.emplace_back([&printer, t] {
        for (int i = 0; i < k_lines; ++i) {
          printer.print("thread " + std::to_string(t) + " line " + std::to_string(i) + "\n");
        }
      });
    }
    for (auto& thread : threads) {
      thread.join();
    }
  }  // the destructor writes what is still pending
  std::istringstream lines(out.str());
  std::vector<int> next(k_threads, 0);
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    int t = -1;
    int i = -1;
    REQUIRE(std::sscanf(line.c_str(), "thread %d line %d", &t, &i) == 2);
    REQUIRE(t >= 0);
    REQUIRE(t < k_threads);
    REQUIRE(i == next[static_cast<std::size_t>(t)]);
    ++next[static_cast<std::size_t>(t)];
    ++count;
  }
  REQUIRE(count == k_threads * k_lines);
}
