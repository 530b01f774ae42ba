// A session's transcript kept to a bounded size (issue 21: 2,000,000 NOOPs grew serve by 330 MB):
// its first lines and its newest lines, with one "N lines elided" event between them, and
// always the lines around each refusal. Pure over the transcript; Protocol runs it as it records.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "capture/records.hpp"
#include "core/limits.hpp"

namespace maildog::smtp {

struct TranscriptCap {
  std::size_t head = limits::k_transcript_head_lines;
  std::size_t tail = limits::k_transcript_tail_lines;
  std::size_t slack = limits::k_transcript_slack_lines;        // elide once this far over head + tail
  std::size_t context = limits::k_transcript_refusal_context;  // lines kept either side of a refusal
};

// Where the lines of a transcript went when its middle was elided: an index into the transcript
// before, mapped to the index of the same line after (or of the marker that replaced it).
class ElidedLines {
 public:
  struct Run {
    std::size_t begin = 0;  // [begin, end): indices before
    std::size_t end = 0;
    std::size_t marker = 0;  // index after of the one event that stands for them
  };
  explicit ElidedLines(std::vector<Run> runs) : m_runs(std::move(runs)) {}
  std::size_t operator()(std::size_t before) const;
  const std::vector<Run>& runs() const { return m_runs; }

 private:
  std::vector<Run> m_runs;  // in order
};

// Once `transcript` is over cap.head + cap.tail + cap.slack lines, replaces each run of lines
// between the first cap.head and the newest cap.tail by one event "N lines elided", keeping the
// cap.context lines either side of every index in `refusal_lines` (the first line of each
// refusal's reply). A marker elided again adds its count to the new one. Nothing when under.
std::optional<ElidedLines> cap_transcript(std::vector<capture::TranscriptEntry>& transcript, const TranscriptCap& cap,
                                          const std::vector<std::size_t>& refusal_lines);

// N when `entry` is an "N lines elided" event; 0 otherwise.
std::size_t elided_count(const capture::TranscriptEntry& entry);

}  // namespace maildog::smtp
