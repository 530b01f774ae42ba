#!/usr/bin/env bash
# Installs the peers of bench/intake.sh: Postfix's smtp-source and smtp-sink (no daemon left
# running), Debian's python3-aiosmtpd, and maildev from npm into a local prefix under the build
# tree (nothing global, nothing committed). Idempotent; as root.
# Usage: bench/deps.sh   (maildev goes to ${MAILDOG_BENCH_PEERS:-build/bench-peers})
set -euo pipefail
cd "$(dirname "$0")/.."
# 2.2.1 runs on Debian 12's Node 18 as well as on newer ones (3.x needs Node 20).
maildev_version=2.2.1
peers=${MAILDOG_BENCH_PEERS:-build/bench-peers}

bash ci/install-postfix-tools.sh

missing=()
for package in $(bash ci/packages.sh bench); do
  case $package in
    # A NodeSource nodejs ships its own npm and conflicts with Debian's.
    npm) command -v npm >/dev/null && continue ;;
    nodejs) command -v node >/dev/null && continue ;;
    postfix) continue ;;  # installed above, without a mail system
  esac
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "bench/deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian's aiosmtpd is importable by the system interpreter only (a pyenv python3 may shadow it).
/usr/bin/python3 -c 'import aiosmtpd' || { echo "bench/deps: aiosmtpd not importable by /usr/bin/python3" >&2; exit 1; }

installed=$(node -e "try { console.log(require(process.argv[1]).version) } catch { }" \
  "$PWD/$peers/node_modules/maildev/package.json" 2>/dev/null || true)
if [ "$installed" != "$maildev_version" ]; then
  echo "bench/deps: installing maildev@$maildev_version into $peers"
  mkdir -p "$peers"
  npm install --prefix "$peers" --no-audit --no-fund --loglevel=error "maildev@$maildev_version" >/dev/null
fi
[ -f "$peers/node_modules/maildev/bin/maildev" ] || { echo "bench/deps: maildev missing in $peers" >&2; exit 1; }
echo "bench/deps: smtp-source, smtp-sink, aiosmtpd and maildev $maildev_version ready"
