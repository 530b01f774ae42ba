#include "runner/run_certificates.hpp"

#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <system_error>

namespace maildog::runner {

namespace {

std::filesystem::path make_private_folder() {
  std::string pattern = (std::filesystem::temp_directory_path() / "maildog-ci-ca-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("cannot make a temporary folder for the CA file: " + std::string(std::strerror(errno)));
  }
  return pattern;
}

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
    m_temporary_folder = make_private_folder();
    m_ca_file = m_temporary_folder / "ca.pem";
  } else {
    m_ca_file = std::filesystem::absolute(ca_file);
  }
  try {
    write_file(m_ca_file, m_authority.certificate_pem());
  } catch (...) {
    if (!m_temporary_folder.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(m_temporary_folder, ignored);
    }
    throw;
  }
}

RunCertificates::~RunCertificates() {
  if (!m_temporary_folder.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(m_temporary_folder, ignored);
  }
}

smtp::TlsIdentity RunCertificates::sandbox_identity(smtp::CertificateKind kind, const std::string& hostname) const {
  return smtp::sandbox_identity(m_authority, kind, hostname);
}

}  // namespace maildog::runner
