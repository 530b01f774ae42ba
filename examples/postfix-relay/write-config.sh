#!/usr/bin/env bash
# Writes the main.cf and master.cf of a PRIVATE Postfix instance in DIR that relays every message
# to the sandbox and verifies its certificate. Its queue (with the pid file) is DIR-queue and its
# data DIR-data, beside DIR, so the system's Postfix (/etc/postfix, /var/spool/postfix) is never
# used. Outside DIR, because Postfix's checks want everything under its config folder owned by root.
# Usage: write-config.sh DIR SMTP_PORT CA_FILE    then: postfix -c DIR start-fg
set -euo pipefail
dir=${1:?usage: write-config.sh DIR SMTP_PORT CA_FILE}
smtp_port=${2:?usage: write-config.sh DIR SMTP_PORT CA_FILE}
ca_file=${3:?usage: write-config.sh DIR SMTP_PORT CA_FILE}

# Postfix's daemons run as the postfix user and chdir into the queue: every folder above it
# must be searchable by that user (a fresh temporary folder is 0700).
mkdir -p "$dir" "$dir-queue"
chmod 0755 "$dir" "$dir-queue" "$(dirname "$dir")"
install -d -o postfix -m 0700 "$dir-data"

cat >"$dir/main.cf" <<CONF
compatibility_level = 3.6
queue_directory = $dir-queue
data_directory = $dir-data
mail_owner = postfix
setgid_group = postdrop
myhostname = relay.yourdomain.test
mydomain = yourdomain.test
myorigin = \$mydomain
# Nothing is delivered here: every message, bounces included, goes to the relay host.
mydestination =
alias_maps =
alias_database =
inet_interfaces = loopback-only
inet_protocols = ipv4
# The sandbox, by the name on its certificate; /etc/hosts, not DNS, resolves it.
relayhost = [localhost]:$smtp_port
smtp_host_lookup = native
# TLS as production has it: mandatory, and the certificate must chain to the run's CA and
# name the relay host.
smtp_tls_security_level = secure
smtp_tls_secure_cert_match = nexthop
smtp_tls_CAfile = $ca_file
# Logs go to the master's standard output (start-fg), which maildog-ci keeps.
maillog_file = /dev/stdout
# Postfix clears its environment; keep maildog-ci's per-scenario cookie, by which the master
# (which starts its own session) and its children are found and stopped after the scenario.
import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ XAUTHORITY DISPLAY LANG=C
  POSTLOG_SERVICE POSTLOG_HOSTNAME MAILDOG_SCENARIO_COOKIE
CONF

# Only the services a relay needs; no smtpd: the app submits with Postfix's sendmail.
cat >"$dir/master.cf" <<'CONF'
# service  type       private unpriv chroot wakeup maxproc command
pickup     unix       n       -      n      60     1       pickup
cleanup    unix       n       -      n      -      0       cleanup
qmgr       unix       n       -      n      300    1       qmgr
tlsmgr     unix       -       -      n      1000?  1       tlsmgr
rewrite    unix       -       -      n      -      -       trivial-rewrite
bounce     unix       -       -      n      -      0       bounce
defer      unix       -       -      n      -      0       bounce
trace      unix       -       -      n      -      0       bounce
verify     unix       -       -      n      -      1       verify
flush      unix       n       -      n      1000?  0       flush
proxymap   unix       -       -      n      -      -       proxymap
smtp       unix       -       -      n      -      -       smtp
relay      unix       -       -      n      -      -       smtp
showq      unix       n       -      n      -      -       showq
error      unix       -       -      n      -      -       error
retry      unix       -       -      n      -      -       error
discard    unix       -       -      n      -      -       discard
anvil      unix       -       -      n      -      1       anvil
scache     unix       -       -      n      -      1       scache
postlog    unix-dgram n       -      n      -      1       postlogd
CONF
