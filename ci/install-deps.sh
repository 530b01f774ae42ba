#!/usr/bin/env bash
# Installs the Debian 12 packages of the given sets of ci/packages.txt (default: everything the
# whole test suite needs). Idempotent: a second run installs nothing new. Must run as root.
# Usage: ci/install-deps.sh [SET...]   e.g. `build scenarios` to build and run the bundled scenarios
set -euo pipefail
here="$(dirname "${BASH_SOURCE[0]}")"
sets=("$@")
((${#sets[@]})) || sets=(build scenarios test fuzz package)
mapfile -t packages < <(bash "$here/packages.sh" "${sets[@]}")

missing=()
for p in "${packages[@]}"; do
  # Postfix comes without a mail system, through its own script (below).
  [[ $p == postfix ]] && continue
  # A NodeSource nodejs ships its own npm and conflicts with Debian's: either one will do.
  [[ $p == npm || $p == nodejs ]] && command -v "$p" >/dev/null && continue
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "ci/install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  echo "ci/install-deps: done"
else
  echo "ci/install-deps: all ${#packages[@]} packages of ${sets[*]} already installed"
fi

# postgrey is for tests/record, which runs its own on a loopback port: a service the package's
# install started (port 10023, /var/lib/postgrey) is stopped, by the pid its init script wrote.
if printf '%s\n' "${packages[@]}" | grep -qx postgrey && [[ -s /run/postgrey.pid ]]; then
  kill "$(cat /run/postgrey.pid)" 2>/dev/null || true
  rm -f /run/postgrey.pid
fi

# smtp-source and smtp-sink come with postfix, installed without a mail system (quiet when present).
if printf '%s\n' "${packages[@]}" | grep -qx postfix; then
  bash "$here/install-postfix-tools.sh"
fi
