#!/usr/bin/env bash
# The action's download step (a release ref, chosen by ci/action/source.sh): the release's
# tarball MAILDOG_ASSET and SHA256SUMS from MAILDOG_BASE_URL/MAILDOG_TAG/, the tarball checked
# against its line in SHA256SUMS, extracted into MAILDOG_CACHE (the folder actions/cache keeps).
# A cache restored with that release already extracted and verified downloads nothing.
# Needs curl, sha256sum and tar (GitHub's runners have them): no apt, no compiler.
# Outputs: binary. Adds the release's bin/ to GITHUB_PATH for later steps.
set -euo pipefail

base_url=${MAILDOG_BASE_URL:?}
tag=${MAILDOG_TAG:?}
asset=${MAILDOG_ASSET:?}
cache=${MAILDOG_CACHE:?}
folder=${asset%.tar.gz}           # the tarball holds this one folder
binary=$cache/$folder/bin/maildog-ci
stamp=$cache/$folder.sha256       # written once the tarball was verified and extracted

fail() {
  echo "::error title=maildog-ci::$*"
  exit 1
}

for tool in curl sha256sum tar; do
  command -v "$tool" >/dev/null || fail "the download of a release needs $tool, which is not installed: install it, or use a branch or commit as the action's ref to build from source"
done

download() {  # download URL FILE
  local status
  status=$(curl --silent --show-error --location --retry 3 --connect-timeout 20 --max-time 300 \
    --output "$2" --write-out '%{http_code}' "$1") || fail "cannot download $1 (curl failed, above)"
  [[ $status == 200 ]] || fail "cannot download $1: HTTP $status (is there a release $tag with the asset $(basename "$2")?)"
}

if [[ -x $binary && -f $stamp ]]; then
  echo "ci/action/download: $folder from the cache (verified $(cut -c1-16 "$stamp")…)"
else
  work=$(mktemp -d "${RUNNER_TEMP:-/tmp}/maildog-ci-download.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  url=$base_url/$tag
  echo "ci/action/download: $url/$asset"
  download "$url/SHA256SUMS" "$work/SHA256SUMS"
  download "$url/$asset" "$work/$asset"

  # sha256sum lines: HASH, two spaces (or space and '*' for binary mode), the file name.
  expected=$(awk -v name="$asset" '$2 == name || $2 == "*" name { print $1; exit }' "$work/SHA256SUMS")
  [[ -n $expected ]] || fail "SHA256SUMS of $tag ($url/SHA256SUMS) has no line for $asset"
  actual=$(sha256sum "$work/$asset" | cut -d' ' -f1)
  [[ ${expected,,} == "$actual" ]] ||
    fail "checksum mismatch for $asset: SHA256SUMS of $tag says $expected, the downloaded file is $actual"
  echo "ci/action/download: $asset matches SHA256SUMS ($actual)"

  mkdir -p "$work/x"
  tar -xzf "$work/$asset" -C "$work/x" || fail "cannot extract $asset"
  [[ -x $work/x/$folder/bin/maildog-ci ]] || fail "$asset holds no $folder/bin/maildog-ci"
  mkdir -p "$cache"
  rm -rf "${cache:?}/$folder" "$stamp"
  mv "$work/x/$folder" "$cache/$folder"
  echo "$actual" >"$stamp"
fi

"$binary" --version || fail "$binary --version failed: is this release built for this system?"
echo "binary=$binary" >>"${GITHUB_OUTPUT:-/dev/stdout}"
if [[ -n ${GITHUB_PATH-} ]]; then
  echo "$cache/$folder/bin" >>"$GITHUB_PATH"
fi
