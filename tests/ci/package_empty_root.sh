#!/usr/bin/env bash
# The portable tarball works where nothing else is installed: it is extracted into an empty root
# holding only the tarball's files, /tmp, CA certificates and the test's own input files (no
# shell, no libc, no /proc), and run there with chroot. There, the bundled client-only scenarios
# pass; `serve` accepts messages over STARTTLS from swaks (outside, on loopback) and returns them
# from the API, with ISO-8859-1 and ISO-2022-JP bodies decoded to the right text (the bundled
# gconv modules); `keygen`, `sign` and `check` verify a DKIM signature. Last, on the host: the
# apps it runs see the user's GCONV_PATH, not the launcher's.
#
# Usage: tests/ci/package_empty_root.sh SOURCE_DIR PACKAGE_DIR
#   PACKAGE_DIR holds maildog-ci-VERSION-linux-ARCH.tar.gz and SHA256SUMS (ci/package.sh).
# Exit 77 (skipped) when not root (chroot needs it) or swaks/curl are missing.
set -euo pipefail
source_dir=${1:?usage: package_empty_root.sh SOURCE_DIR PACKAGE_DIR}
package_dir=${2:?usage: package_empty_root.sh SOURCE_DIR PACKAGE_DIR}
python=/usr/bin/python3

skip() { echo "SKIPPED: $*"; exit 77; }
fail() { echo "FAILED: $*" >&2; exit 1; }
((EUID == 0)) || skip "chroot needs root"
for tool in chroot swaks curl jq "$python"; do command -v "$tool" >/dev/null || skip "$tool is not installed"; done

shopt -s nullglob
tarballs=("$package_dir"/maildog-ci-*-linux-"$(uname -m)".tar.gz)
((${#tarballs[@]} == 1)) || fail "expected one tarball for $(uname -m) in $package_dir, found ${#tarballs[@]}"
tarball=${tarballs[0]}
(cd "$package_dir" && sha256sum --check --ignore-missing --strict SHA256SUMS) || fail "SHA256SUMS does not match $tarball"
name=$(basename "$tarball" .tar.gz)
version=${name#maildog-ci-}
version=${version%-linux-*}

work=$(mktemp -d)
serve_pid=
cleanup() {
  [[ -n $serve_pid ]] && { kill -KILL "$serve_pid"; wait "$serve_pid"; } 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
root=$work/root
mkdir -p "$root/tmp" "$root/opt" "$root/etc/ssl/certs" "$root/work"
chmod 1777 "$root/tmp"
tar -xzf "$tarball" -C "$root/opt"
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
for absent in bin/sh usr lib lib64 proc dev; do
  [[ ! -e $root/$absent ]] || fail "the empty root has /$absent"
done
# Its licence and those of what it bundles (LGPL GMime, GLib and glibc among them).
for notice in LICENSE share/doc/maildog-ci/third-party/{libc6,libgmime-3.0-0,libglib2.0-0,libssl3}.copyright; do
  [[ -s $root/opt/$name/$notice ]] || fail "the tarball has no $notice"
done
in_root() { chroot "$root" "/opt/$name/bin/maildog-ci" "$@"; }

echo "== --version"
line=$(in_root --version)
echo "$line"
[[ $line == "maildog-ci $version "* ]] || fail "--version printed '$line', not version $version"

echo "== the bundled client-only scenarios"
mkdir -p "$root/work/scenarios"
client_only=0
for file in "$source_dir"/scenarios/*.yaml; do
  if grep -q '^client:' "$file" && ! grep -q '^app:' "$file"; then
    cp "$file" "$root/work/scenarios/"
    client_only=$((client_only + 1))
  fi
done
((client_only >= 3)) || fail "found only $client_only client-only bundled scenarios"
in_root run /work/scenarios --json /tmp/report.json || fail "the client-only scenarios failed in the empty root"
passed=$(jq '.summary.passed // .totals.passed // empty' "$root/tmp/report.json")
[[ $passed == "$client_only" ]] || fail "the report says $passed passed, expected $client_only"

echo "== keygen, sign and check (DKIM)"
record=$(in_root keygen --selector s1 --domain example.test --out /work/s1)
# "s1._domainkey.example.test IN TXT "v=DKIM1; ..." "...": the quoted strings, joined.
txt=$(sed -e 's/^[^"]*//' -e 's/" "//g' -e 's/"//g' <<<"$record")
[[ $txt == "v=DKIM1; k=rsa; p="* ]] || fail "keygen printed no record: $record"
printf 's1._domainkey.example.test:\n  TXT: "%s"\n' "$txt" >"$root/work/dns.yaml"
printf 'From: Alice <alice@example.test>\r\nTo: bob@inbox.test\r\nSubject: signed\r\nDate: Mon, 7 Dec 2026 10:00:00 +0000\r\nMessage-ID: <1@example.test>\r\n\r\nHello.\r\n' >"$root/work/plain.eml"
in_root sign /work/plain.eml --key /work/s1.key --selector s1 --domain example.test --out /work/signed.eml
in_root check /work/signed.eml --client-ip 192.0.2.1 --helo mail.example.test --mail-from alice@example.test \
  --dns /work/dns.yaml --no-ptr --json >"$work/check.json"
dkim=$(jq -r '.dkim[0].result // empty' "$work/check.json")
[[ $dkim == pass ]] || fail "check gave dkim=$dkim for the signed message: $(cat "$work/check.json")"

echo "== serve: STARTTLS, the API, ISO-8859-1 and ISO-2022-JP"
read -r smtp_port http_port < <("$python" - <<'EOF'
import socket
sockets = [socket.socket() for _ in range(2)]
for s in sockets:
    s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in sockets])
EOF
)
printf 'server:\n  tls: required\n' >"$root/work/serve.yaml"
chroot "$root" "/opt/$name/bin/maildog-ci" serve --config /work/serve.yaml --smtp-port "$smtp_port" --http-port "$http_port" >"$work/serve.log" 2>&1 &
serve_pid=$!
api=http://127.0.0.1:$http_port
for _ in $(seq 100); do
  curl -fsS "$api/healthz" >/dev/null 2>&1 && break
  kill -0 "$serve_pid" 2>/dev/null || fail "serve exited: $(cat "$work/serve.log")"
  sleep 0.1
done
curl -fsS "$api/healthz" >/dev/null || fail "serve did not answer within 10 s: $(cat "$work/serve.log")"

# Bodies in their own charsets, written as bytes by Python so the test does not rely on the
# host's iconv; the expected text is the UTF-8 the API must return.
"$python" - "$work" <<'EOF'
import sys
work = sys.argv[1]
texts = {"latin1": ("iso-8859-1", "Grüße aus Köln, ça va?"), "jis": ("iso-2022-jp", "こんにちは、世界")}
for name, (charset, text) in texts.items():
    head = (f"From: alice@example.test\r\nTo: bob@inbox.test\r\nSubject: {name}\r\n"
            f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset={charset}\r\n"
            f"Content-Transfer-Encoding: {'8bit' if name == 'latin1' else '7bit'}\r\n\r\n")
    with open(f"{work}/{name}.eml", "wb") as out:
        out.write(head.encode("ascii") + text.encode(charset) + b"\r\n")
    with open(f"{work}/{name}.expected", "w", encoding="utf-8") as out:
        out.write(text)
EOF
for message in latin1 jis; do
  swaks --server "127.0.0.1:$smtp_port" --tls --from alice@example.test --to bob@inbox.test \
    --data "$work/$message.eml" --timeout 10 >"$work/swaks-$message.log" 2>&1 \
    || fail "swaks could not send $message over STARTTLS: $(cat "$work/swaks-$message.log")"
done
for message in latin1 jis; do
  found=$(curl -fsS --max-time 15 "$api/api/v1/wait?subject=$message&timeout=10") || fail "the API did not return message '$message'"
  id=$(jq -r '.id // .message.id // empty' <<<"$found")
  [[ -n $id ]] || fail "no id in the API's answer: $found"
  session=$(jq -r '.session_id' <<<"$found")
  tls=$(curl -fsS "$api/api/v1/sessions/$session" | jq -r '[.. | objects | select(has("tls")) | .tls][0]')
  [[ $tls == true ]] || fail "message '$message' was not received over TLS (tls=$tls)"
  text=$(curl -fsS "$api/api/v1/messages/$id/body/plain")
  expected=$(cat "$work/$message.expected")
  [[ $text == *"$expected"* ]] || fail "message '$message' decoded to '$text', expected '$expected'"
  echo "$message: $text"
done

kill -TERM "$serve_pid"
status=0
wait "$serve_pid" || status=$?
serve_pid=
((status == 0)) || fail "serve exited $status on SIGTERM: $(cat "$work/serve.log")"
# The launcher sets GCONV_PATH; src/cli/bundle_env.cpp (restore_launcher_environment) restores it.
echo "== on the host: the apps maildog-ci runs see the user's GCONV_PATH, not the bundle's"
# `$$` is a literal `$` in scenario files: the variables are expanded by the app's shell.
cat >"$work/env.yaml" <<'YAML'
name: the app sees the environment the user gave maildog-ci
app:
  run: [/bin/sh, -c, 'echo "GCONV_PATH=$${GCONV_PATH-unset} LAUNCHER=$${MAILDOG_LAUNCHER-unset}"']
expect:
  app: {exit: 0, stdout: {contains: "GCONV_PATH=/user/gconv LAUNCHER=unset"}}
YAML
GCONV_PATH=/user/gconv "$root/opt/$name/bin/maildog-ci" run "$work/env.yaml" || fail "the app saw the launcher's environment"
sed -i 's|/user/gconv LAUNCHER|unset LAUNCHER|' "$work/env.yaml"
env -u GCONV_PATH "$root/opt/$name/bin/maildog-ci" run "$work/env.yaml" || fail "the app saw the bundle's GCONV_PATH"

echo "PASSED: the tarball ran in an empty root ($(find "$root" -type f | wc -l) files, no shell, no libc, no /proc)"
