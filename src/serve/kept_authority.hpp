// serve's certificate authority: with --data DIR kept as DIR/ca.pem and DIR/ca.key (mode 0600),
// so clients told to trust it keep working across restarts; without a folder, made at each start
// in a private temporary folder removed on exit. It signs the sandbox's leaf.
#pragma once

#include <filesystem>

#include "smtp/certificate_authority.hpp"

namespace maildog::serve {

class KeptAuthority {
 public:
  // Loads DIR/ca.pem and DIR/ca.key when both are there, else makes a CA and writes them
  // (DIR created). An empty `data_dir`: a new CA in a temporary folder. Throws
  // std::runtime_error when the files cannot be read, parsed or written.
  explicit KeptAuthority(const std::filesystem::path& data_dir);
  ~KeptAuthority();
  KeptAuthority(const KeptAuthority&) = delete;
  KeptAuthority& operator=(const KeptAuthority&) = delete;

  const std::filesystem::path& ca_file() const { return m_ca_file; }
  const smtp::CertificateAuthority& authority() const { return m_authority; }
  bool reused() const { return m_reused; }  // loaded from --data rather than made now

 private:
  std::filesystem::path m_temporary_folder;  // empty under --data
  std::filesystem::path m_ca_file;
  bool m_reused = false;
  smtp::CertificateAuthority m_authority;
};

}  // namespace maildog::serve
