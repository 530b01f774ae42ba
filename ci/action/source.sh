#!/usr/bin/env bash
# The action's first step: where maildog-ci comes from, and the cache key of what it gives.
#
# A release tag downloads that release's tarball (ci/action/download.sh); anything else is built
# from source (ci/action/install.sh, then ci/action/build.sh). The ref is INPUT_VERSION when set,
# else the ref the action was used at, read from GITHUB_ACTION_PATH (github.action_ref is empty
# inside composite actions): the runner unpacks `uses: OWNER/REPO@REF` under _actions/OWNER/REPO/REF.
#   vX.Y.Z (or vX.Y.Z-PRE)  release X.Y.Z
#   vN (a major tag, v0)    the release whose tree the tag points at: the release workflow moves vN
#                           to the commit of vX.Y.Z and checks that CMakeLists.txt's project
#                           version there is X.Y.Z, so X.Y.Z is read from that tree (the action's
#                           own copy, or a shallow fetch of INPUT_VERSION)
#   anything else           a branch or commit: built from source
#
# Outputs: mode (download or build), cache (the folder to cache), key, restore-prefix;
#   download: version, tag, asset (the tarball's file name), base-url;
#   build: dir (the source).
# Environment: MAILDOG_RELEASE_BASE_URL overrides where releases are downloaded from (default
# GITHUB_SERVER_URL/OWNER/REPO/releases/download of the action's repository);
# MAILDOG_REPOSITORY_URL overrides the git repository a ref is fetched from.
set -euo pipefail

action_dir=${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set: run this as the action step}
work=${RUNNER_TEMP:-/tmp}
source_dir=$action_dir
server=${GITHUB_SERVER_URL:-https://github.com}

# The repository and ref the action came from; a local `uses: ./` action is the workflow's own
# repository, at no release ref.
action_ref=
if [[ $action_dir =~ /_actions/([^/]+)/([^/]+)/([^/]+)$ ]]; then
  repository="${BASH_REMATCH[1]}/${BASH_REMATCH[2]}"
  action_ref=${BASH_REMATCH[3]}
else
  repository=${GITHUB_REPOSITORY:-}
fi
action_repository() {
  echo "${repository:?cannot tell the repository of the action (no _actions/OWNER/REPO/REF path, no GITHUB_REPOSITORY)}"
}

ref=${INPUT_VERSION:-$action_ref}

# Fetches INPUT_VERSION from the action's repository into $work/maildog-ci-src.
fetch_source() {
  local url=${MAILDOG_REPOSITORY_URL:-$server/$(action_repository).git}
  source_dir=$work/maildog-ci-src
  rm -rf "$source_dir"
  git init -q "$source_dir"
  if ! git -C "$source_dir" fetch -q --depth 1 "$url" "$INPUT_VERSION"; then
    echo "::error title=maildog-ci::cannot fetch '$INPUT_VERSION' from $url: no such tag, branch or commit there?"
    exit 1
  fi
  git -C "$source_dir" -c advice.detachedHead=false checkout -q FETCH_HEAD
  echo "ci/action/source: maildog-ci $INPUT_VERSION from $url"
}

# The project version in a source tree's CMakeLists.txt: project(maildog-ci VERSION X.Y.Z ...).
tree_version() {
  sed -n 's/^project(maildog-ci VERSION \([0-9][0-9.]*\).*/\1/p' "$1/CMakeLists.txt" 2>/dev/null | head -n 1
}

version=
if [[ $ref =~ ^v([0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?)$ ]]; then
  version=${BASH_REMATCH[1]}
elif [[ $ref =~ ^v([0-9]+)$ ]]; then
  major=${BASH_REMATCH[1]}
  [[ -n ${INPUT_VERSION-} ]] && fetch_source
  version=$(tree_version "$source_dir")
  if [[ ! $version =~ ^$major\. ]]; then
    echo "::error title=maildog-ci::the major tag $ref points at a tree whose project version is '${version:-none}' (in $source_dir/CMakeLists.txt), not $major.x.y: use a full release tag such as v$major.1.0"
    exit 1
  fi
fi

if [[ -n $version ]]; then
  os=$(uname -s)
  arch=$(uname -m)
  case $arch in
    x86_64 | amd64) arch=x86_64 ;;
    aarch64 | arm64) arch=aarch64 ;;
  esac
  if [[ $os != Linux || ($arch != x86_64 && $arch != aarch64) ]]; then
    echo "::error title=maildog-ci::maildog-ci releases are built for Linux on x86_64 and aarch64, not $os on $(uname -m): use a branch or commit as the action's ref (or version:) to build from source"
    exit 1
  fi
  base_url=${MAILDOG_RELEASE_BASE_URL:-$server/$(action_repository)/releases/download}
  asset=maildog-ci-$version-linux-$arch.tar.gz
  echo "ci/action/source: maildog-ci $version ($ref): the release tarball $asset"
  {
    echo "mode=download"
    echo "version=$version"
    echo "tag=v$version"
    echo "asset=$asset"
    echo "base-url=${base_url%/}"
    echo "cache=$work/maildog-ci-release"
    echo "key=maildog-ci-release-$version-linux-$arch"
    echo "restore-prefix="  # another version's tarball is of no use
  } >>"${GITHUB_OUTPUT:-/dev/stdout}"
  exit 0
fi

if [[ -n ${INPUT_VERSION-} ]]; then
  fetch_source
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
  echo "mode=build"
  echo "dir=$source_dir"
  echo "cache=$work/maildog-ci-cache"
  echo "key=$prefix$source_hash"
  echo "restore-prefix=$prefix"
} >>"${GITHUB_OUTPUT:-/dev/stdout}"
