// The TLS trust of one `maildog-ci run`: a CA made when the run starts, its certificate written
// to a file apps are told about (MAILDOG_SMTP_CA_FILE, {{smtp.ca_file}}), and a leaf per sandbox
// signed by it, so trusting that one file once covers every scenario. Nothing is kept across runs.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "runner/run_resources.hpp"
#include "smtp/certificate_authority.hpp"

namespace maildog::runner {

class RunCertificates {
 public:
  // Makes the CA and writes its certificate to `ca_file` (its folder created), or, when empty,
  // to ca.pem in a new private temporary folder removed with this object. Throws
  // std::runtime_error when the file cannot be written (std::system_error: the folder).
  explicit RunCertificates(const std::filesystem::path& ca_file = {});
  RunCertificates(const RunCertificates&) = delete;
  RunCertificates& operator=(const RunCertificates&) = delete;

  const std::filesystem::path& ca_file() const { return m_ca_file; }
  const smtp::CertificateAuthority& authority() const { return m_authority; }
  // What a sandbox named `hostname` presents (smtp::sandbox_identity); safe from several threads.
  smtp::TlsIdentity sandbox_identity(smtp::CertificateKind kind, const std::string& hostname) const;

 private:
  smtp::CertificateAuthority m_authority;
  std::optional<ScratchFolder> m_temporary_folder;  // none with a chosen ca_file
  std::filesystem::path m_ca_file;
};

}  // namespace maildog::runner
