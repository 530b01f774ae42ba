#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

#include "expect/checks.hpp"
#include "expect/describe.hpp"
#include "expect/evaluate.hpp"
#include "expect/transcript.hpp"

// expect.transcript (contains, golden) and --update-golden: the normalised transcript against
// the file a scenario names.
namespace maildog::expect {

namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto eol = text.find('\n', pos);
    std::string_view line = text.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    lines.emplace_back(line);
    pos = eol == std::string_view::npos ? text.size() : eol + 1;
  }
  return lines;
}

std::string display_path(const std::filesystem::path& path, const std::filesystem::path& dir) {
  if (!dir.empty()) {
    auto relative = path.lexically_relative(dir);
    if (!relative.empty() && *relative.begin() != "..") {
      return relative.generic_string();
    }
  }
  return path.generic_string();
}

// The lines between the common head and tail of `before` and `after`, as "-" and "+" lines:
// enough to see what a transcript change was without a diff tool.
std::string changed_lines(const std::vector<std::string>& before, const std::vector<std::string>& after) {
  std::size_t head = 0;
  while (head < before.size() && head < after.size() && before[head] == after[head]) {
    ++head;
  }
  std::size_t tail = 0;
  while (tail < before.size() - head && tail < after.size() - head &&
         before[before.size() - 1 - tail] == after[after.size() - 1 - tail]) {
    ++tail;
  }
  std::string out = "  from line " + std::to_string(head + 1) + ":\n";
  auto show = [&](const std::vector<std::string>& lines, char sign) {
    const std::size_t end = lines.size() - tail;
    for (std::size_t i = head; i < end && i < head + k_golden_change_lines; ++i) {
      out += std::string("  ") + sign + ' ' + lines[i] + '\n';
    }
    if (end - head > k_golden_change_lines) {
      out += "  " + std::string(1, sign) + " ... " + std::to_string(end - head - k_golden_change_lines) + " more\n";
    }
  };
  show(before, '-');
  show(after, '+');
  return out;
}

}  // namespace

namespace detail {

using runner::Failure;

void check_transcript(const Observation& observation, const scenario::Scenario& scenario,
                      std::vector<Failure>& failures) {
  const auto& expect = *scenario.expect.transcript;
  const std::string text = join_lines(observation.lines);
  for (std::size_t i = 0; i < expect.contains.size(); ++i) {
    if (text.find(expect.contains[i]) == std::string::npos) {
      failures.push_back({"expect.transcript.contains[" + std::to_string(i) + "]", expect.line,
                          "transcript contains " + quote(expect.contains[i]),
                          observation.lines.empty() ? std::string("no session was recorded")
                                                    : "not found in the normalised transcript",
                          observation.last_lines()});
    }
  }
  if (!expect.golden) {
    return;
  }
  const std::string shown = display_path(*expect.golden, scenario.dir);
  const std::string path = "expect.transcript.golden";
  std::error_code ec;
  if (!std::filesystem::is_regular_file(*expect.golden, ec)) {
    failures.push_back({path, expect.line, "transcript as in " + shown,
                        shown + " does not exist; run with --update-golden to create it", observation.last_lines()});
    return;
  }
  const auto golden = split_lines(read_file(*expect.golden));
  const auto& lines = observation.lines;
  std::size_t index = 0;
  while (index < golden.size() && index < lines.size() && golden[index] == lines[index]) {
    ++index;
  }
  if (index == golden.size() && index == lines.size()) {
    return;
  }
  const std::string number = std::to_string(index + 1);
  const std::string want = index < golden.size() ? quote(golden[index]) : std::string("end of file");
  const std::string got = index < lines.size() ? quote(lines[index]) : std::string("end of transcript");
  failures.push_back({path, expect.line, "transcript as in " + shown + ", line " + number + ": " + want,
                      "line " + number + ": " + got + " (run with --update-golden to accept the new transcript)",
                      observation.around(std::min(index, lines.empty() ? 0 : lines.size() - 1))});
}

}  // namespace detail

std::optional<std::string> update_golden(const scenario::Scenario& scenario, const runner::ScenarioResult& observed) {
  const auto& transcript = scenario.expect.transcript;
  if (!transcript || !transcript->golden) {
    return std::nullopt;
  }
  const auto& path = *transcript->golden;
  const auto lines = normalised_lines(detail::judged_sessions(scenario, observed));
  const std::string content = join_lines(lines);
  std::error_code ec;
  const bool existed = std::filesystem::is_regular_file(path, ec);
  const std::string before = existed ? read_file(path) : std::string();
  if (existed && before == content) {
    return std::nullopt;
  }
  if (path.has_parent_path()) {
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) {
      throw std::runtime_error("cannot create " + path.parent_path().string() + ": " + ec.message());
    }
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out) {
    throw std::runtime_error("cannot write golden file " + path.string());
  }
  const std::string shown = display_path(path, scenario.dir);
  if (!existed) {
    return "golden transcript " + shown + ": created (" + std::to_string(lines.size()) + " lines)\n";
  }
  return "golden transcript " + shown + ": updated\n" + changed_lines(split_lines(before), lines);
}

}  // namespace maildog::expect
