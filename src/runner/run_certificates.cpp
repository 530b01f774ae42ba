#include "runner/run_certificates.hpp"

#include <fstream>
#include <stdexcept>

namespace maildog::runner {

namespace {

void write_file(const std::filesystem::path& path, const std::string& text) {
  if (path.has_parent_path()) {
    std::error_code ignored;
    std::filesystem::create_directories(path.parent_path(), ignored);
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    throw std::runtime_error("cannot write the CA file " + path.string());
  }
}

}  // namespace

RunCertificates::RunCertificates(const std::filesystem::path& ca_file)
    : m_authority(smtp::CertificateAuthority::generate("maildog-ci run CA")) {
  if (ca_file.empty()) {
    m_temporary_folder.emplace("maildog-ci-ca", "the CA file");
    m_ca_file = m_temporary_folder->path() / "ca.pem";
  } else {
    m_ca_file = std::filesystem::absolute(ca_file);
  }
  write_file(m_ca_file, m_authority.certificate_pem());  // on a throw, the folder goes with this object
}

smtp::TlsIdentity RunCertificates::sandbox_identity(smtp::CertificateKind kind, const std::string& hostname) const {
  return smtp::sandbox_identity(m_authority, kind, hostname);
}

}  // namespace maildog::runner
