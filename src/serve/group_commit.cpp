#include "serve/group_commit.hpp"

#include <future>
#include <utility>

namespace maildog::serve {

GroupCommit::GroupCommit(CommitGroup commit) : m_commit(std::move(commit)), m_writer([this] { run(); }) {}

GroupCommit::~GroupCommit() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_queued.notify_one();
  m_writer.join();
}

void GroupCommit::submit(Write write) {
  {
    std::lock_guard lock(m_mutex);
    m_queue.push_back(std::move(write));
  }
  m_queued.notify_one();
}

void GroupCommit::write(Write write) {
  std::promise<void> committed;
  auto done = std::move(write.done);
  write.done = [&committed, &done](std::exception_ptr error) {
    if (done) {
      done(error);
    }
    if (error) {
      committed.set_exception(error);
    } else {
      committed.set_value();
    }
  };
  auto finished = committed.get_future();
  submit(std::move(write));
  finished.get();
}

void GroupCommit::run() {
  std::unique_lock lock(m_mutex);
  for (;;) {
    m_queued.wait(lock, [this] { return m_stopping || !m_queue.empty(); });
    if (m_queue.empty()) {
      return;  // stopping, and nothing left to commit
    }
    std::deque<Write> group = std::exchange(m_queue, {});
    lock.unlock();
    std::vector<Write*> members;
    members.reserve(group.size());
    for (auto& write : group) {
      members.push_back(&write);
    }
    std::exception_ptr failure;
    try {
      m_commit(members);
    } catch (...) {
      failure = std::current_exception();
    }
    for (auto& write : group) {
      if (write.done) {
        write.done(failure);
      }
    }
    lock.lock();
  }
}

}  // namespace maildog::serve
