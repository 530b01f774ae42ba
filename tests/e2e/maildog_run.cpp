#include "e2e/maildog_run.hpp"

#include <fstream>
#include <iterator>

#include "support/paths.hpp"

namespace maildog::test {

ChildResult run_maildog(const std::vector<std::string>& args, std::map<std::string, std::string> environment,
                        std::chrono::milliseconds timeout) {
  ChildSpec spec;
  spec.argv = {binary_path().string()};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.environment = std::move(environment);
  // A move-assigned string: g++ 12 at -O2 gives a false -Wrestrict for assigning the literal.
  spec.environment["NO_COLOR"] = std::string(1, '1');
  spec.timeout = timeout;
  return run_child(spec);
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace maildog::test
