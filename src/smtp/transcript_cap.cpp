#include "smtp/transcript_cap.hpp"

#include <algorithm>
#include <charconv>
#include <string>
#include <string_view>

namespace maildog::smtp {

namespace {
constexpr std::string_view k_marker_suffix = " lines elided";
constexpr std::string_view k_marker_suffix_one = " line elided";

capture::TranscriptEntry marker(std::size_t count, std::chrono::microseconds offset) {
  return {capture::TranscriptEntry::Direction::event,
          std::to_string(count) + std::string(count == 1 ? k_marker_suffix_one : k_marker_suffix), offset};
}
}  // namespace

std::size_t elided_count(const capture::TranscriptEntry& entry) {
  if (entry.direction != capture::TranscriptEntry::Direction::event) {
    return 0;
  }
  std::string_view text = entry.text;
  if (text.ends_with(k_marker_suffix)) {
    text.remove_suffix(k_marker_suffix.size());
  } else if (text.ends_with(k_marker_suffix_one)) {
    text.remove_suffix(k_marker_suffix_one.size());
  } else {
    return 0;
  }
  std::size_t count = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), count);
  return error == std::errc() && end == text.data() + text.size() ? count : 0;
}

std::size_t ElidedLines::operator()(std::size_t before) const {
  std::size_t removed = 0;
  for (const auto& run : m_runs) {
    if (before < run.begin) {
      break;
    }
    if (before < run.end) {
      return run.marker;
    }
    removed += run.end - run.begin - 1;
  }
  return before - removed;
}

std::optional<ElidedLines> cap_transcript(std::vector<capture::TranscriptEntry>& transcript, const TranscriptCap& cap,
                                          const std::vector<std::size_t>& refusal_lines) {
  if (transcript.size() <= cap.head + cap.tail + cap.slack) {
    return std::nullopt;
  }
  const std::size_t middle_begin = cap.head;
  const std::size_t middle_end = transcript.size() - cap.tail;
  std::vector<bool> keep(middle_end - middle_begin, false);
  for (const std::size_t line : refusal_lines) {
    const std::size_t from = std::max(middle_begin, line - std::min(line, cap.context));
    const std::size_t to = std::min(middle_end, line + cap.context + 1);
    for (std::size_t i = from; i < to; ++i) {
      keep[i - middle_begin] = true;
    }
  }
  std::vector<capture::TranscriptEntry> out;
  out.reserve(cap.head + cap.tail + 1);
  std::vector<ElidedLines::Run> runs;
  auto moved = [&transcript](std::size_t i) { return std::move(transcript[i]); };
  for (std::size_t i = 0; i < middle_begin; ++i) {
    out.push_back(moved(i));
  }
  for (std::size_t i = middle_begin; i < middle_end;) {
    if (keep[i - middle_begin]) {
      out.push_back(moved(i++));
      continue;
    }
    ElidedLines::Run run{.begin = i, .end = i, .marker = out.size()};
    std::size_t count = 0;
    const auto offset = transcript[i].offset;
    while (i < middle_end && !keep[i - middle_begin]) {
      count += std::max<std::size_t>(1, elided_count(transcript[i]));
      ++i;
    }
    run.end = i;
    out.push_back(marker(count, offset));
    runs.push_back(run);
  }
  for (std::size_t i = middle_end; i < transcript.size(); ++i) {
    out.push_back(moved(i));
  }
  transcript = std::move(out);
  return ElidedLines(std::move(runs));
}

}  // namespace maildog::smtp
