#include "support/chromium.hpp"
#include "support/skip.hpp"

#include <catch2/catch.hpp>

namespace maildog::test {

ChildResult run_chromium(const std::filesystem::path& profile_dir, const std::vector<std::string>& args) {
  ChildSpec spec;
  spec.argv = {"timeout",
               "60",
               "chromium",
               "--headless=new",
               "--no-sandbox",
               "--disable-gpu",
               "--user-data-dir=" + (profile_dir / "chromium-profile").string()};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.timeout = std::chrono::seconds(90);
  return run_child(spec);
}

bool chromium_available(const std::string& what) {
  if (program_available("chromium")) {
    return true;
  }
  MAILDOG_SKIP("chromium is not installed (ci/install-deps.sh installs it): " << what << " skipped");
  return false;
}

}  // namespace maildog::test
