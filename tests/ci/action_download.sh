#!/usr/bin/env bash
# The action's download path (ci/action/source.sh, then ci/action/download.sh, as action.yml runs
# them) against release folders served over HTTP on 127.0.0.1, with the real tarball of
# ci/package.sh (the CTest fixture `tarball`) and a fake GITHUB_* environment:
#   - at the major tag v0 (the version read from the action's tree) and at `version: vX.Y.Z`:
#     SHA256SUMS checked, the tarball extracted, its bin/ on GITHUB_PATH, `maildog-ci --version`
#     runs from PATH, and the run step runs a scenario with it (no jq on PATH); a second run
#     takes it from the cache without a request;
#   - a wrong checksum, a SHA256SUMS without the tarball's line and a missing tarball fail the
#     step with a message naming the file (and both sums);
#   - a branch ref builds from source instead.
# Usage: tests/ci/action_download.sh SOURCE_DIR PACKAGE_DIR   (PACKAGE_DIR: where ci/package.sh wrote)
set -euo pipefail
source_dir=$(cd "${1:?usage: action_download.sh SOURCE_DIR PACKAGE_DIR}" && pwd)
package_dir=${2:?usage: action_download.sh SOURCE_DIR PACKAGE_DIR}

for tool in curl sha256sum tar; do
  command -v "$tool" >/dev/null || { echo "SKIPPED: $tool is not installed (the download path needs it)"; exit 77; }
done
[[ -x /usr/bin/python3 ]] || { echo "SKIPPED: /usr/bin/python3 is not installed (it serves the release)"; exit 77; }

arch=$(uname -m)
shopt -s nullglob
tarballs=("$package_dir"/maildog-ci-*-linux-"$arch".tar.gz)
shopt -u nullglob
((${#tarballs[@]} == 1)) || {
  echo "FAILED: expected one maildog-ci-*-linux-$arch.tar.gz in $package_dir (the CTest fixture 'tarball' runs ci/package.sh), found ${#tarballs[@]}"
  exit 1
}
tarball=${tarballs[0]}
asset=$(basename "$tarball")
version=${asset#maildog-ci-}
version=${version%-linux-"$arch".tar.gz}
[[ -f $package_dir/SHA256SUMS ]] || { echo "FAILED: no SHA256SUMS beside $tarball"; exit 1; }
grep -q " \*\?$asset\$" "$package_dir/SHA256SUMS" || { echo "FAILED: ci/package.sh's SHA256SUMS has no line for $asset"; exit 1; }
sum=$(sha256sum "$tarball" | cut -d' ' -f1)

tmp=$(mktemp -d)
server_pid=
cleanup() {
  if [[ -n $server_pid ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

failures=0
fail() { echo "FAILED: $*"; failures=$((failures + 1)); }

# Release folders as GitHub serves them (BASE/TAG/ASSET), one base per case.
tag=v$version
mkdir -p "$tmp/srv/good/$tag" "$tmp/srv/bad-sum/$tag" "$tmp/srv/no-line/$tag" "$tmp/srv/no-tarball/$tag"
cp "$tarball" "$package_dir/SHA256SUMS" "$tmp/srv/good/$tag/"
cp "$tarball" "$tmp/srv/bad-sum/$tag/"
wrong=$(printf '%064d' 0)
echo "$wrong  $asset" >"$tmp/srv/bad-sum/$tag/SHA256SUMS"
cp "$tarball" "$tmp/srv/no-line/$tag/"
echo "$sum  maildog-ci-$version-linux-other.tar.gz" >"$tmp/srv/no-line/$tag/SHA256SUMS"
cp "$package_dir/SHA256SUMS" "$tmp/srv/no-tarball/$tag/"

# The server on a free port: it prints the port it bound.
/usr/bin/python3 -u -m http.server --bind 127.0.0.1 --directory "$tmp/srv" 0 >"$tmp/server.out" 2>"$tmp/server.log" &
server_pid=$!
port=
for _ in $(seq 100); do
  port=$(sed -n 's/^Serving HTTP on [0-9.]* port \([0-9]*\).*/\1/p' "$tmp/server.out")
  [[ -n $port ]] && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
[[ -n $port ]] || { echo "FAILED: the HTTP server did not start within 10 s: $(cat "$tmp/server.out" "$tmp/server.log")"; exit 1; }
base=http://127.0.0.1:$port
requests() { grep -c '"GET ' "$tmp/server.log" || true; }

# The action unpacked as the runner does it, at the major tag: _actions/OWNER/REPO/REF.
mkdir -p "$tmp/_actions/maildog-ci/maildog-ci"
ln -s "$source_dir" "$tmp/_actions/maildog-ci/maildog-ci/v0"

# step CASE SCRIPT [VAR=VALUE...]: one action step in a fake GITHUB_* environment of the case's
# own folder $tmp/CASE (the runner's temp folder too, so each case has its own cache).
step() {
  local name=$1 script=$2
  shift 2
  mkdir -p "$tmp/$name"
  : >"$tmp/$name/${script%.sh}.github_output"
  set +e
  (cd "$tmp" && env -i PATH="$PATH" HOME="$tmp" GITHUB_ACTIONS=true RUNNER_TEMP="$tmp/$name" \
    GITHUB_OUTPUT="$tmp/$name/${script%.sh}.github_output" GITHUB_PATH="$tmp/$name/github_path" \
    GITHUB_WORKSPACE="$tmp" GITHUB_SERVER_URL=https://github.invalid GITHUB_ACTION_PATH="$action_path" "$@" \
    timeout 120 bash "$action_path/ci/action/$script") >"$tmp/$name/out" 2>&1
  status=$?
  set -e
}
# output CASE NAME: what a step of that case wrote to its GITHUB_OUTPUT (each step has its own file).
output() { cat "$tmp/$1/"*.github_output | sed -n "s/^$2=//p" | tail -n 1; }
# The outputs of source.sh as action.yml passes them to download.sh.
download_env() {
  echo "MAILDOG_BASE_URL=$(output "$1" base-url)" "MAILDOG_TAG=$(output "$1" tag)" \
    "MAILDOG_ASSET=$(output "$1" asset)" "MAILDOG_CACHE=$(output "$1" cache)"
}

# --- the major tag v0: the version comes from the action's own tree ---
action_path=$tmp/_actions/maildog-ci/maildog-ci/v0
step good source.sh INPUT_VERSION= MAILDOG_RELEASE_BASE_URL="$base/good/"
((status == 0)) || fail "source.sh at v0 exited $status: $(cat "$tmp/good/out")"
[[ $(output good mode) == download ]] || fail "at v0 the mode is '$(output good mode)', not download"
[[ $(output good version) == "$version" ]] || fail "v0 resolved to '$(output good version)', not $version (CMakeLists.txt)"
[[ $(output good asset) == "$asset" ]] || fail "the asset is '$(output good asset)', not $asset"
[[ $(output good base-url) == "$base/good" ]] || fail "the base URL is '$(output good base-url)'"
[[ $(output good key) == "maildog-ci-release-$version-linux-$arch" ]] || fail "the cache key is '$(output good key)'"
[[ -z $(output good restore-prefix) ]] || fail "a release must not restore another version's cache"
# shellcheck disable=SC2046 # one word per variable
step good download.sh $(download_env good)
cat "$tmp/good/out"
if ((status != 0)); then
  fail "download.sh exited $status"
else
  binary=$(output good binary)
  [[ $binary == "$tmp/good/maildog-ci-release/maildog-ci-$version-linux-$arch/bin/maildog-ci" ]] ||
    fail "the binary output is '$binary'"
  [[ $(cat "$tmp/good/github_path") == "$(dirname "$binary")" ]] || fail "GITHUB_PATH holds '$(cat "$tmp/good/github_path")'"
  # A later step: PATH gets GITHUB_PATH's folders first.
  if ! got=$(env PATH="$(cat "$tmp/good/github_path"):/usr/bin:/bin" timeout 30 maildog-ci --version 2>&1); then
    fail "maildog-ci --version from PATH failed: $got"
  fi
  [[ $got == "maildog-ci $version"* ]] || fail "maildog-ci --version from PATH printed '$got'"
  grep -q "matches SHA256SUMS ($sum)" "$tmp/good/out" || fail "download.sh did not report the verified sum"

  # The run step with that binary, as on a runner where nothing was installed: no jq on PATH
  # (run.sh then reads the totals from the report itself).
  mkdir -p "$tmp/tools"
  for tool in bash env mkdir dirname rm mktemp sed head cat timeout; do
    ln -s "$(command -v "$tool")" "$tmp/tools/$tool"
  done
  mkdir -p "$tmp/good/reports"
  step good run.sh PATH="$(cat "$tmp/good/github_path"):$tmp/tools" MAILDOG_BINARY="$binary" \
    INPUT_SCENARIOS="$source_dir/scenarios/auth_required.yaml" INPUT_JSON="$tmp/good/reports/report.json" \
    INPUT_JUNIT= INPUT_HTML= INPUT_ARGS= INPUT_SHARD= INPUT_SEED= INPUT_MERGE=
  ((status == 0)) || fail "run.sh with the downloaded binary exited $status: $(cat "$tmp/good/out")"
  [[ $(output good passed) == 1 && $(output good failed) == 0 ]] ||
    fail "run.sh without jq gave passed='$(output good passed)' failed='$(output good failed)'"

  # A cache restored by actions/cache: nothing is downloaded again.
  before=$(requests)
  # shellcheck disable=SC2046
  step good download.sh $(download_env good)
  ((status == 0)) || fail "download.sh from the cache exited $status: $(cat "$tmp/good/out")"
  grep -q "from the cache" "$tmp/good/out" || fail "the second run did not use the cache: $(cat "$tmp/good/out")"
  [[ $(requests) == "$before" ]] || fail "the second run made $(($(requests) - before)) HTTP request(s)"
fi

# --- version: vX.Y.Z, the action used from a local path (uses: ./) ---
action_path=$source_dir
step input source.sh INPUT_VERSION="$tag" GITHUB_REPOSITORY=acme/fork MAILDOG_RELEASE_BASE_URL="$base/good"
((status == 0)) || fail "source.sh with version: $tag exited $status: $(cat "$tmp/input/out")"
[[ $(output input mode) == download && $(output input tag) == "$tag" ]] ||
  fail "version: $tag gave mode '$(output input mode)' tag '$(output input tag)'"
step input-default source.sh INPUT_VERSION="$tag" GITHUB_REPOSITORY=acme/fork
[[ $(output input-default base-url) == https://github.invalid/acme/fork/releases/download ]] ||
  fail "the default base URL is '$(output input-default base-url)', not the action repository's releases"

# --- what must fail, clearly ---
action_path=$tmp/_actions/maildog-ci/maildog-ci/v0
expect_failure() {  # expect_failure CASE MESSAGE
  step "$1" source.sh INPUT_VERSION= MAILDOG_RELEASE_BASE_URL="$base/$1"
  ((status == 0)) || { fail "$1: source.sh exited $status"; return; }
  # shellcheck disable=SC2046
  step "$1" download.sh $(download_env "$1")
  cat "$tmp/$1/out"
  ((status == 1)) || fail "$1: download.sh exited $status, not 1"
  grep -qF "::error title=maildog-ci::$2" "$tmp/$1/out" || fail "$1: no error annotation '$2'"
  [[ -z $(output "$1" binary) && ! -e $tmp/$1/github_path ]] || fail "$1: a failed download still gave a binary or a PATH entry"
  [[ ! -e $tmp/$1/maildog-ci-release/maildog-ci-$version-linux-$arch ]] || fail "$1: the unverified tarball was extracted into the cache"
}
expect_failure bad-sum "checksum mismatch for $asset: SHA256SUMS of $tag says $wrong, the downloaded file is $sum"
expect_failure no-line "SHA256SUMS of $tag ($base/no-line/$tag/SHA256SUMS) has no line for $asset"
expect_failure no-tarball "cannot download $base/no-tarball/$tag/$asset: HTTP 404 (is there a release $tag with the asset $asset?)"

# --- a branch builds from source (source.sh only: the build itself is tested elsewhere) ---
ln -s "$source_dir" "$tmp/_actions/maildog-ci/maildog-ci/main"
action_path=$tmp/_actions/maildog-ci/maildog-ci/main
step branch source.sh INPUT_VERSION= MAILDOG_RELEASE_BASE_URL="$base/good"
((status == 0)) || fail "source.sh at a branch exited $status: $(cat "$tmp/branch/out")"
[[ $(output branch mode) == build && $(output branch dir) == "$action_path" ]] ||
  fail "at a branch: mode '$(output branch mode)', dir '$(output branch dir)'"

if ((failures)); then
  echo "$failures problem(s) with the action's download path"
  exit 1
fi
echo "the action's download path: verified, extracted, on PATH, cached; bad sums and missing files fail clearly"
