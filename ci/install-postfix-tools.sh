#!/usr/bin/env bash
# Installs Postfix only for its load tools, smtp-source and smtp-sink (durability test and
# benchmarks). Preseeded "No configuration" so no mail system is set up, and any master daemon
# the package started is stopped: nothing on this machine may relay mail. Idempotent; as root.
set -euo pipefail

if ! dpkg-query -W -f='${Status}' postfix 2>/dev/null | grep -q 'install ok installed'; then
  echo "ci/install-postfix-tools: installing postfix (No configuration) for smtp-source/smtp-sink"
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends postfix >/dev/null
fi
if pgrep -x master >/dev/null 2>&1; then
  postfix stop >/dev/null 2>&1 || pkill -x master || true
fi
for tool in /usr/sbin/smtp-source /usr/sbin/smtp-sink; do
  [ -x "$tool" ] || { echo "ci/install-postfix-tools: $tool missing after install" >&2; exit 1; }
done
