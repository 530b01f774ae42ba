#!/usr/bin/env bash
# The action's install step: the packages needed to build and run maildog-ci (not its test
# suite), the `build` and `action` sets of ci/packages.txt. Idempotent; uses sudo when not root
# (GitHub-hosted runners).
set -euo pipefail
here="$(dirname "${BASH_SOURCE[0]}")"

packages=()
while read -r p; do
  # Boost is chosen below: Debian 12 ships 1.81 as libboost1.81-dev beside its default 1.74;
  # newer releases (Ubuntu 24.04: 1.83) as libboost-dev.
  [[ $p == libboost1.81-dev || $p == libboost-dev ]] || packages+=("$p")
done < <(bash "$here/../packages.sh" build action)

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  sudo=(sudo)
fi

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

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
