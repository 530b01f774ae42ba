#!/usr/bin/env bash
# Writes a PRIVATE Postfix instance for the record tests: the "real server" that `maildog-ci record`
# proxies to. Its smtpd listens on 127.0.0.1:PORT only, with STARTTLS (a CA and a certificate made
# here with openssl: DIR/tls/ca.pem is the file to pass as --upstream-ca), and answers as a real
# Postfix does:
#   known user of postfix.test (user@, alice@, grey@)  250, delivered into a Maildir under DIR-mail
#   unknown user of postfix.test                        550 5.1.1 ... User unknown in virtual mailbox table
#   any other domain                                    554 5.7.1 ... Relay access denied
#   a message over 10240 bytes                          552 5.3.4 (MAIL with SIZE=, else end of data)
#   grey@postfix.test, with POLICY_PORT                 postgrey on 127.0.0.1:POLICY_PORT (check_policy_service)
# Nothing can leave: no relayhost, mail for any other domain is refused, and the default and relay
# transports are `error`. Config in DIR, queue in DIR-queue, data in DIR-data (beside DIR, because
# Postfix wants everything under its config folder owned by root); never /etc/postfix or
# /var/spool/postfix. The caller starts it with `postfix -c DIR start-fg` and stops it with
# `postfix -c DIR stop` (tests/record/private_postfix.py does both, bounded, and postgrey too).
# Usage: tests/record/postfix_upstream.sh DIR PORT [POLICY_PORT]    (as root: Postfix's master must be)
set -euo pipefail
usage="usage: postfix_upstream.sh DIR PORT [POLICY_PORT]"
dir=${1:?$usage}
port=${2:?$usage}
policy_port=${3:-}
[[ $dir == /* ]] || { echo "postfix_upstream: DIR must be absolute (Postfix needs absolute paths): $dir" >&2; exit 2; }
case $dir in /etc/postfix* | /var/spool/postfix*) echo "postfix_upstream: refusing the system's folder $dir" >&2; exit 2 ;; esac

# Postfix's daemons run as the postfix user and chdir into the queue: every folder above it must
# be searchable by that user (a fresh temporary folder is 0700).
mkdir -p "$dir" "$dir-queue" "$dir/tls"
chmod 0755 "$dir" "$dir-queue" "$(dirname "$dir")"
install -d -o postfix -m 0700 "$dir-data"
# The virtual delivery agent writes as nobody (above virtual_minimum_uid), into Maildirs here.
install -d -o nobody -g nogroup -m 0755 "$dir-mail"

# A CA of its own and a certificate signed by it for every name a test may dial.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=record test upstream CA" \
  -keyout "$dir/tls/ca.key" -out "$dir/tls/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=mx.postfix.test" \
  -keyout "$dir/tls/server.key" -out "$dir/tls/server.csr" 2>/dev/null
printf 'subjectAltName=DNS:mx.postfix.test,DNS:localhost,IP:127.0.0.1\n' >"$dir/tls/san.ext"
openssl x509 -req -in "$dir/tls/server.csr" -CA "$dir/tls/ca.pem" -CAkey "$dir/tls/ca.key" \
  -CAcreateserial -days 2 -extfile "$dir/tls/san.ext" -out "$dir/tls/server.pem" 2>/dev/null
chmod 0600 "$dir/tls/ca.key" "$dir/tls/server.key"

# The known users; texthash: read as is, no postmap.
cat >"$dir/virtual_mailboxes" <<'MAP'
user@postfix.test   user/
alice@postfix.test  alice/
grey@postfix.test   grey/
MAP

# Greylisting (postgrey, a policy service) for grey@postfix.test only, so that the other cases are
# answered at once; without POLICY_PORT nobody is greylisted.
greylist_rule=
greylist_class=
if [[ -n $policy_port ]]; then
  printf 'grey@postfix.test greylist\n' >"$dir/greylisted_recipients"
  greylist_rule="check_recipient_access texthash:$dir/greylisted_recipients"
  greylist_class="smtpd_restriction_classes = greylist
greylist = check_policy_service inet:127.0.0.1:$policy_port"
fi

cat >"$dir/main.cf" <<CONF
compatibility_level = 3.6
queue_directory = $dir-queue
data_directory = $dir-data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.postfix.test
mydomain = postfix.test
myorigin = \$mydomain
inet_interfaces = loopback-only
inet_protocols = ipv4
# Nobody is trusted to relay, loopback included: another domain gets 554 5.7.1 (reject, not the
# default defer_unauth_destination's 4xx).
mynetworks = 192.0.2.1/32
smtpd_relay_restrictions = reject_unauth_destination
smtpd_recipient_restrictions = $greylist_rule
$greylist_class
# Nothing leaves this instance: no relay host, and every non-virtual transport is an error.
mydestination =
relayhost =
default_transport = error:the record tests' private Postfix sends nothing out
relay_transport = error:the record tests' private Postfix sends nothing out
alias_maps =
alias_database =
virtual_mailbox_domains = postfix.test
virtual_mailbox_maps = texthash:$dir/virtual_mailboxes
virtual_mailbox_base = $dir-mail
virtual_uid_maps = static:$(id -u nobody)
virtual_gid_maps = static:$(id -g nobody)
message_size_limit = 10240
smtpd_tls_security_level = may
smtpd_tls_cert_file = $dir/tls/server.pem
smtpd_tls_key_file = $dir/tls/server.key
# A policy service that does not answer must not hold a test for Postfix's default 100 s.
smtpd_policy_service_timeout = 10s
# Logs go to the master's standard output (start-fg), which the test keeps.
maillog_file = /dev/stdout
CONF

# The smtpd on 127.0.0.1:PORT and the services a virtual-only instance needs.
cat >"$dir/master.cf" <<CONF
# service  type       private unpriv chroot wakeup maxproc command
127.0.0.1:$port inet  n       -      n      -      -       smtpd
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
virtual    unix       -       n      n      -      -       virtual
anvil      unix       -       -      n      -      1       anvil
scache     unix       -       -      n      -      1       scache
postlog    unix-dgram n       -      n      -      1       postlogd
CONF
