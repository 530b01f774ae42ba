#!/usr/bin/env bash
# The container image (Containerfile, built by ci/container.sh from the portable tarball) works
# with Podman: it holds the HEALTHCHECK, the non-root user, the default `serve` command and the
# OCI labels; `serve` in it accepts a message from swaks that the API then returns; `podman
# healthcheck run` passes; SIGTERM stops it cleanly (exit 0); the same with the default command
# behind published ports where Podman can publish them; `--version` and a bundled client-only
# scenario (the repository's scenarios/ mounted into /work) run; and the image is small (what a
# pull downloads, gzip, under 25 MB).
#
# Podman runs containers on these machines as
#   podman --runtime runc run --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --network host
# so the container's ports are the host's: serve gets two free ports, never 2525/8025.
#
# Usage: tests/ci/container_image.sh SOURCE_DIR PACKAGE_DIR
#   PACKAGE_DIR holds maildog-ci-VERSION-linux-ARCH.tar.gz (ci/package.sh).
# Exit 77 (skipped) when Podman, runc, swaks or curl are missing or Podman cannot run a
# container here.
set -euo pipefail
source_dir=${1:?usage: container_image.sh SOURCE_DIR PACKAGE_DIR}
package_dir=${2:?usage: container_image.sh SOURCE_DIR PACKAGE_DIR}
python=/usr/bin/python3
scenario=dkim_signed_passes_dmarc.yaml  # client-only: no app, no python, no swaks
max_download=$((25 * 1024 * 1024))

skip() { echo "SKIPPED: $*"; exit 77; }
fail() { echo "FAILED: $*" >&2; exit 1; }
for tool in podman runc swaks curl jq gzip "$python"; do
  command -v "$tool" >/dev/null || skip "$tool is not installed (ci/install-deps.sh test installs it)"
done
podman_run=(podman --runtime runc run --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --network host)

shopt -s nullglob
tarballs=("$package_dir"/maildog-ci-*-linux-"$(uname -m)".tar.gz)
shopt -u nullglob
((${#tarballs[@]} == 1)) || fail "expected one tarball for $(uname -m) in $package_dir, found ${#tarballs[@]}"
tarball=${tarballs[0]}
name=$(basename "$tarball" .tar.gz)
version=${name#maildog-ci-}
version=${version%-linux-*}

work=$(mktemp -d)
tag=localhost/maildog-ci-test:$$-$RANDOM
container=maildog-ci-test-$$-$RANDOM
cleanup() {
  podman rm --force --time 0 "$container" "$container-default" >/dev/null 2>&1 || true
  podman rmi --force "$tag" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "== can Podman run a container here?"
timeout 60 podman info >"$work/podman-info.txt" 2>&1 || skip "podman info fails here: $(tail -n 3 "$work/podman-info.txt")"
# A trivial container that owes nothing to maildog-ci: /bin/true and its libraries as a root folder.
trivial=$work/trivial
mkdir -p "$trivial/bin"
cp /bin/true "$trivial/bin/true"
for library in $(ldd /bin/true | grep -o '/[^ ]*'); do
  mkdir -p "$trivial$(dirname "$library")"
  cp -L "$library" "$trivial$library"
done
timeout 60 "${podman_run[@]}" --rm --rootfs "$trivial" /bin/true >"$work/trivial.txt" 2>&1 ||
  skip "Podman cannot run a container here: $(grep -v 'systemd connection' "$work/trivial.txt" | tail -n 3)"

echo "== build the image (ci/container.sh)"
timeout 300 bash "$source_dir/ci/container.sh" --tarball "$tarball" --tag "$tag" --engine podman | tee "$work/build.txt"
grep -q "^ci/container.sh: $tag: " "$work/build.txt" || fail "ci/container.sh printed no image size"

echo "== the image's configuration"
podman image inspect "$tag" >"$work/inspect.json"
config() { jq -c ".[0].Config.$1" "$work/inspect.json"; }
[[ $(config Entrypoint) == '["/opt/maildog-ci/bin/maildog-ci"]' ]] || fail "ENTRYPOINT is $(config Entrypoint)"
[[ $(config Cmd) == '["serve","--bind","0.0.0.0","--smtp-port","2525","--http-port","8025"]' ]] ||
  fail "the default command is $(config Cmd), not serve on 0.0.0.0 with ports 2525 and 8025"
user=$(jq -r '.[0].Config.User' "$work/inspect.json")
[[ $user =~ ^[1-9][0-9]*(:[0-9]+)?$ ]] || fail "the image runs as '$user', not a non-root numeric user"
# The HEALTHCHECK survives only in the Docker format (podman build --format docker); Podman's
# inspect shows it beside Config, Docker's inside.
healthcheck=$(jq -c '.[0].Healthcheck // .[0].Config.Healthcheck | .Test' "$work/inspect.json")
[[ $healthcheck == '["CMD","/opt/maildog-ci/bin/maildog-ci","healthcheck"]' ]] ||
  fail "no HEALTHCHECK running maildog-ci healthcheck: $healthcheck"
for port in 2525/tcp 8025/tcp; do
  jq -e --arg port "$port" '.[0].Config.ExposedPorts | has($port)' "$work/inspect.json" >/dev/null || fail "$port is not exposed"
done
label() { jq -r --arg name "org.opencontainers.image.$1" '.[0].Config.Labels[$name] // empty' "$work/inspect.json"; }
[[ $(label version) == "$version" ]] || fail "label version is '$(label version)', not $version"
[[ $(label licenses) == Apache-2.0 ]] || fail "label licenses is '$(label licenses)'"
[[ $(label source) == https://github.com/maildog-ci/maildog-ci ]] || fail "label source is '$(label source)'"
[[ -n $(label title) && -n $(label description) ]] || fail "no title or description label"

echo "== size"
unpacked=$(jq -r '.[0].Size' "$work/inspect.json")
download=$(podman save "$tag" | gzip -6 | wc -c)
echo "image: $((unpacked / 1024)) KiB unpacked, $((download / 1024)) KiB gzip (what a pull downloads)"
((download < max_download)) || fail "the image is $((download / 1024)) KiB compressed, over 25 MB"

echo "== --version"
line=$(timeout 60 "${podman_run[@]}" --rm "$tag" --version 2>"$work/version.txt") ||
  { cat "$work/version.txt"; fail "the image cannot run maildog-ci --version"; }
echo "$line"
[[ $line == "maildog-ci $version "* ]] || fail "--version printed '$line', not version $version"

echo "== a bundled client-only scenario, the repository's scenarios/ mounted into /work"
if ! grep -q '^client:' "$source_dir/scenarios/$scenario" || grep -q '^app:' "$source_dir/scenarios/$scenario"; then
  fail "scenarios/$scenario is no longer client-only: pick another"
fi
# Its reports go to /tmp and /work: both writable by the image's non-root user.
timeout 120 "${podman_run[@]}" --rm -v "$source_dir/scenarios:/work/scenarios:ro" "$tag" \
  run "scenarios/$scenario" --json /tmp/report.json --junit /work/report.xml >"$work/run.txt" 2>&1 ||
  { cat "$work/run.txt"; fail "run scenarios/$scenario failed in the container"; }
grep -q '1 passed, 0 failed' "$work/run.txt" || { cat "$work/run.txt"; fail "run scenarios/$scenario did not pass"; }

# A started serve container: swaks sends to SMTP_PORT, the API on HTTP_PORT returns the message,
# `podman healthcheck run` passes, serve runs as the image's user, SIGTERM stops it with exit 0.
exercise_serve() {
  local name=$1 smtp_port=$2 http_port=$3
  local api=http://127.0.0.1:$http_port
  for _ in $(seq 100); do
    curl -sf --max-time 1 "$api/healthz" >/dev/null && break
    sleep 0.1
  done
  curl -sf --max-time 2 "$api/healthz" >/dev/null || { podman logs "$name"; fail "$name answers no /healthz on port $http_port within 10 s"; }
  timeout 30 swaks --silent 2 --timeout 10 --server "127.0.0.1:$smtp_port" --from sender@example.test \
    --to user@inbox.test --h-Subject "container image test" >"$work/swaks.txt" 2>&1 ||
    { cat "$work/swaks.txt"; fail "swaks could not send to $name"; }
  curl -sS --max-time 15 "$api/api/v1/wait?to=user@inbox.test&timeout=10" >"$work/wait.json"
  [[ $(jq -r .subject "$work/wait.json") == "container image test" ]] || fail "$name's API returned $(cat "$work/wait.json")"
  timeout 30 podman healthcheck run "$name" >"$work/health.txt" 2>&1 || { cat "$work/health.txt"; fail "podman healthcheck run $name failed"; }
  [[ $(podman inspect --format '{{.State.Health.Status}}' "$name") == healthy ]] ||
    fail "$name is $(podman inspect --format '{{.State.Health.Status}}' "$name") after a passing health check"
  local pid
  pid=$(podman inspect --format '{{.State.Pid}}' "$name")
  [[ $(stat -c %u "/proc/$pid") == "${user%%:*}" ]] || fail "serve in $name runs as uid $(stat -c %u "/proc/$pid"), not ${user%%:*}"
  timeout 60 podman stop --time 20 "$name" >/dev/null
  local state
  state=$(podman inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$name")
  podman logs "$name" >"$work/serve.txt" 2>&1
  [[ $state == "exited 0" ]] || { cat "$work/serve.txt"; fail "after SIGTERM $name is '$state', not 'exited 0'"; }
  grep -q '^SIGTERM: finishing transactions in flight' "$work/serve.txt" || { cat "$work/serve.txt"; fail "serve in $name never saw the SIGTERM"; }
}

free_ports() {
  "$python" -c '
import socket
sockets = [socket.socket() for _ in range(2)]
for s in sockets:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in sockets))'
}

echo "== serve on the host's network: swaks sends, the API returns it, the health check passes, SIGTERM stops it cleanly"
read -r smtp_port http_port < <(free_ports)
# The default command with free ports and loopback (with --network host, 0.0.0.0 would be the
# host's every interface). The health check follows the port through MAILDOG_HEALTHCHECK_URL.
timeout 60 "${podman_run[@]}" -d --name "$container" --health-interval disable \
  -e "MAILDOG_HEALTHCHECK_URL=http://127.0.0.1:$http_port" "$tag" \
  serve --bind 127.0.0.1 --smtp-port "$smtp_port" --http-port "$http_port" >/dev/null
[[ $(podman exec "$container" /opt/maildog-ci/bin/maildog-ci --version) == "$line" ]] || fail "podman exec runs another maildog-ci"
exercise_serve "$container" "$smtp_port" "$http_port"

echo "== the default command (serve on 0.0.0.0, 2525 and 8025) behind published ports"
read -r smtp_port http_port < <(free_ports)
if timeout 60 podman --runtime runc run --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 -d --name "$container-default" \
     --health-interval disable -p "127.0.0.1:$smtp_port:2525" -p "127.0.0.1:$http_port:8025" "$tag" >"$work/default.txt" 2>&1; then
  exercise_serve "$container-default" "$smtp_port" "$http_port"
else
  # Where only --network host works, 2525 and 8025 would be the host's: not tried.
  echo "NOTE: Podman cannot publish ports here ($(grep -v 'systemd connection' "$work/default.txt" | tail -n 1));" \
       "the default command was checked in the image's configuration only"
fi
echo "container image test: passed"
