#!/usr/bin/env bash
# The action's source step: which maildog-ci source to build (the action's own copy, or the ref
# in INPUT_VERSION fetched from the action's repository) and the cache key of its binary, so a
# job builds maildog-ci only when the source or the OS changed.
# Outputs: dir (the source), cache (the folder to cache), key, restore-prefix.
set -euo pipefail

action_dir=${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set: run this as the action step}
work=${RUNNER_TEMP:-/tmp}
source_dir=$action_dir

# The repository the action came from: GitHub unpacks `uses: OWNER/REPO@REF` under
# _actions/OWNER/REPO/REF; a local `uses: ./` action is the workflow's own repository.
action_repository() {
  if [[ $action_dir =~ /_actions/([^/]+)/([^/]+)/[^/]+$ ]]; then
    echo "${BASH_REMATCH[1]}/${BASH_REMATCH[2]}"
  else
    echo "${GITHUB_REPOSITORY:?cannot tell the repository of the action}"
  fi
}

if [[ -n ${INPUT_VERSION-} ]]; then
  url=${MAILDOG_REPOSITORY_URL:-${GITHUB_SERVER_URL:-https://github.com}/$(action_repository).git}
  source_dir=$work/maildog-ci-src
  rm -rf "$source_dir"
  git init -q "$source_dir"
  git -C "$source_dir" fetch -q --depth 1 "$url" "$INPUT_VERSION"
  git -C "$source_dir" -c advice.detachedHead=false checkout -q FETCH_HEAD
  echo "ci/action/source: maildog-ci $INPUT_VERSION from $url"
fi

# Everything that goes into the binary: names and contents.
inputs=()
for entry in CMakeLists.txt CMakePresets.json cmake src schemas; do
  [[ -e $source_dir/$entry ]] && inputs+=("$entry")
done
source_hash=$(cd "$source_dir" && find "${inputs[@]}" -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum |
  sha256sum | cut -c1-20)
# shellcheck source=/dev/null
os=$(. /etc/os-release && echo "${ID}-${VERSION_ID:-rolling}")
prefix="maildog-ci-$os-$(uname -m)-"

{
  echo "dir=$source_dir"
  echo "cache=$work/maildog-ci-cache"
  echo "key=$prefix$source_hash"
  echo "restore-prefix=$prefix"
} >>"${GITHUB_OUTPUT:-/dev/stdout}"
