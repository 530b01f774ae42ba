#!/usr/bin/env bash
# The action's install step: the Debian/Ubuntu packages needed to build and run maildog-ci
# (not its test suite). Idempotent; uses sudo when not root (GitHub-hosted runners).
set -euo pipefail

packages=(
  cmake ninja-build g++ ccache pkg-config jq
  libssl-dev libyaml-cpp-dev libsodium-dev nlohmann-json3-dev libcli11-dev libvalijson-dev
  libpsl-dev publicsuffix libc-ares-dev
)
sudo=()
if [[ $(id -u) -ne 0 ]]; then
  sudo=(sudo)
fi

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

# Boost 1.81 or newer: Debian 12 ships it as libboost1.81-dev beside its default 1.74; newer
# releases (Ubuntu 24.04: 1.83) as libboost-dev.
boost_ok() {
  installed libboost1.81-dev || installed libboost1.81-all-dev ||
    { installed libboost-dev && dpkg --compare-versions "$(dpkg-query -W -f='${Version}' libboost-dev)" ge 1.81; }
}

missing=()
for p in "${packages[@]}"; do
  installed "$p" || missing+=("$p")
done
if ((${#missing[@]} == 0)) && boost_ok; then
  echo "ci/action/install: all packages already installed"
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
if ! boost_ok; then
  if apt-cache show libboost1.81-dev >/dev/null 2>&1; then
    missing+=(libboost1.81-dev)
  else
    missing+=(libboost-dev)
  fi
fi
echo "ci/action/install: installing ${missing[*]}"
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
boost_ok || { echo "ci/action/install: maildog-ci needs Boost 1.81 or newer (Debian 12, Ubuntu 24.04 or later)" >&2; exit 1; }
