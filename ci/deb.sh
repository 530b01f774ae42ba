#!/usr/bin/env bash
# Builds the Debian package of maildog-ci with CPack from an already built tree, then checks it
# with lintian: any lintian error fails, warnings are printed. Needs dpkg-dev (dpkg-shlibdeps
# computes Depends), file (CPack's strip step) and lintian: `bash ci/install-deps.sh package`.
# Usage: ci/deb.sh [--build-dir DIR] [--out DIR]
#   --build-dir  a configured and built tree (default build/release, built here from the
#                `release` preset when it is missing; CI passes build/ci)
#   --out        where maildog-ci_VERSION_ARCH.deb goes (default BUILD_DIR/package)
# The last line of output is the path of the .deb.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=build/release
out=''
while (($#)); do
  case $1 in
    --build-dir) build_dir=${2:?--build-dir needs a folder}; shift 2 ;;
    --out) out=${2:?--out needs a folder}; shift 2 ;;
    -h | --help) sed -n '2,10s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "ci/deb: unknown argument '$1' (usage: ci/deb.sh [--build-dir DIR] [--out DIR])" >&2; exit 2 ;;
  esac
done
out=${out:-$build_dir/package}

missing=()
for tool in cpack:cmake dpkg-deb:dpkg dpkg-shlibdeps:dpkg-dev file:file lintian:lintian; do
  command -v "${tool%%:*}" >/dev/null || missing+=("${tool%%:*} (Debian package ${tool#*:})")
done
if ((${#missing[@]})); then
  echo "ci/deb: missing ${missing[*]}; run: bash ci/install-deps.sh package" >&2
  exit 1
fi
if [[ $build_dir == build/release && ! -x build/release/src/cli/maildog-ci ]]; then
  bash ci/build.sh release
fi
config=$build_dir/CPackConfig.cmake
[[ -f $config ]] || { echo "ci/deb: no $config: configure and build first (bash ci/build.sh PRESET maildog-ci)" >&2; exit 1; }
[[ -x $build_dir/src/cli/maildog-ci ]] || { echo "ci/deb: no $build_dir/src/cli/maildog-ci: build it first" >&2; exit 1; }

mkdir -p "$out"
out=$(cd "$out" && pwd)
# CPack's own staging folder; the .deb lands in OUT (an old one of another version is removed).
staging=$build_dir/_CPack_Packages
rm -rf "$staging"
rm -f "$out"/maildog-ci_*.deb
# Files keep the permissions they have in the staging tree: make them independent of the umask.
umask 022
echo "ci/deb: cpack in $build_dir"
cpack --config "$config" -G DEB -B "$out" >"$build_dir/cpack-deb.log" 2>&1 || {
  cat "$build_dir/cpack-deb.log" >&2
  echo "ci/deb: cpack failed (log above)" >&2
  exit 1
}
rm -rf "$out/_CPack_Packages"
shopt -s nullglob
debs=("$out"/maildog-ci_*.deb)
((${#debs[@]} == 1)) || { echo "ci/deb: expected one maildog-ci_*.deb in $out, found ${#debs[@]}" >&2; exit 1; }
deb=${debs[0]}

echo "ci/deb: lintian $deb"
# --fail-on error: warnings are printed but do not fail; lintian exits 2 on its own trouble.
set +e
lintian --fail-on error --display-info "$deb"
status=$?
set -e
if ((status != 0)); then
  echo "ci/deb: lintian found errors in $deb (exit $status)" >&2
  exit 1
fi
echo "ci/deb: $(du -h "$deb" | cut -f1) $deb"
echo "$deb"
