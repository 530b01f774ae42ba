// Group commit: one writer thread takes every write queued while it committed the last group
// and commits them together, so concurrent messages share one transaction and one fsync
// instead of queueing for one each. Writers do not wait on a thread of their own: submit()
// calls back when the group is on disk; write() is the waiting form.
#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace maildog::serve {

class GroupCommit {
 public:
  struct Write {
    std::function<void()> apply;  // runs inside the group's transaction, on the writer thread
    bool durable = false;         // the group syncs to disk when any of its writes is durable
    // Called on the writer thread once the group committed (null) or failed (its error).
    std::function<void(std::exception_ptr)> done;
  };
  // Applies a whole group in one transaction and commits it; an exception fails every write in it.
  using CommitGroup = std::function<void(const std::vector<Write*>&)>;

  explicit GroupCommit(CommitGroup commit);
  ~GroupCommit();  // commits what is queued, then stops the writer
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  void submit(Write write);
  // submit() and wait for the commit; rethrows its failure. `write` may refer to the caller's data.
  void write(Write write);

 private:
  void run();

  CommitGroup m_commit;
  std::mutex m_mutex;
  std::condition_variable m_queued;
  std::deque<Write> m_queue;
  bool m_stopping = false;
  std::thread m_writer;  // last: starts once everything above is ready
};

}  // namespace maildog::serve
