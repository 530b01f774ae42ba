// What one scenario run owns besides its sandbox: the {{scenario.tmp}} folder (a ScratchFolder,
// which the run's CA file uses too) and the {{port.NAME}} ports.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <string_view>

namespace maildog::runner {

// A fresh, empty folder (mkdtemp under the system's temporary folder, named PREFIX-XXXXXX),
// removed with everything in it when the run ends. Throws std::system_error ("cannot make a
// temporary folder for PURPOSE") when it cannot be made.
class ScratchFolder {
 public:
  explicit ScratchFolder(std::string_view prefix = "maildog-scenario", std::string_view purpose = "{{scenario.tmp}}");
  ScratchFolder(const ScratchFolder&) = delete;
  ScratchFolder& operator=(const ScratchFolder&) = delete;
  ~ScratchFolder();

  const std::filesystem::path& path() const { return m_path; }

 private:
  std::filesystem::path m_path;
};

// One free loopback TCP port per name: each bound on 127.0.0.1:0 (all at once, so no two names
// share one) and closed again for the service to bind. Throws std::system_error.
std::map<std::string, std::uint16_t> free_loopback_ports(const std::set<std::string>& names);

}  // namespace maildog::runner
