#!/usr/bin/env bash
# Installs everything maildog-ci needs to build and test, from Debian 12 packages only.
# Idempotent: a second run installs nothing new. Must run as root.
set -euo pipefail

packages=(
  # toolchain
  cmake ninja-build g++ ccache pkg-config
  clang libclang-rt-14-dev  # the asan preset and its libFuzzer targets
  # libraries (see ../shared/DEPENDENCIES.md)
  libboost1.81-dev libssl-dev libyaml-cpp-dev libsodium-dev nlohmann-json3-dev
  catch2 libcli11-dev libvalijson-dev libpsl-dev publicsuffix libc-ares-dev
  libsqlite3-dev libgmime-3.0-dev
  # real clients the integration tests drive
  swaks libnet-ssleay-perl curl openssl msmtp python3 libxml2-utils procps
  python3-dkim python3-spf  # the peers of tests/differential (dkimpy, pyspf)
  jq git  # ci/action/run.sh reads report totals with jq; tests/ci fetches a version with git
  chromium  # renders the HTML report in tests/e2e/test_html_chromium.cpp
)

# smtp-source and smtp-sink come with postfix, installed without a mail system (quiet when present).
"$(dirname "${BASH_SOURCE[0]}")/install-postfix-tools.sh"

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "ci/install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

echo "ci/install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "ci/install-deps: done"
