#!/usr/bin/env bash
# `cmake --install` puts exactly the documented tree under its prefix (cmake/package.cmake):
# the executable, the gzipped man page, the three completions, copyright and changelog; the
# tarball (ci/package.sh) copies its share/ and the .deb is made from it. Also checks that the
# gzipped files carry no time stamp (gzip -n) and that the man page's title names the version.
# Usage: tests/ci/install_tree.sh BUILD_DIR VERSION
set -euo pipefail
build_dir=${1:?usage: install_tree.sh BUILD_DIR VERSION}
version=${2:?usage: install_tree.sh BUILD_DIR VERSION}
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build_dir" --prefix "$prefix" >/dev/null

expected='bin/maildog-ci
share/bash-completion/completions/maildog-ci
share/doc/maildog-ci/changelog.gz
share/doc/maildog-ci/copyright
share/fish/vendor_completions.d/maildog-ci.fish
share/man/man1/maildog-ci.1.gz
share/zsh/vendor-completions/_maildog-ci'
actual=$(cd "$prefix" && find . -type f -o -type l | sed 's|^\./||' | LC_ALL=C sort)
if [[ $actual != "$expected" ]]; then
  echo "FAILED: cmake --install made another tree:"
  diff <(echo "$expected") <(echo "$actual") || true
  exit 1
fi
failures=0
[[ -x $prefix/bin/maildog-ci ]] || { echo "FAILED: bin/maildog-ci is not executable"; failures=1; }
for gz in share/man/man1/maildog-ci.1.gz share/doc/maildog-ci/changelog.gz; do
  # Bytes 4-7 of a gzip header are the time stamp; gzip -n writes zeros (reproducible packages).
  stamp=$(od -An -tx1 -j4 -N4 "$prefix/$gz" | tr -d ' ')
  [[ $stamp == 00000000 ]] || { echo "FAILED: $gz has a time stamp ($stamp): not gzip -n"; failures=1; }
done
title=$(zcat "$prefix/share/man/man1/maildog-ci.1.gz" | grep '^\.TH ')
[[ $title == *"\"maildog-ci $version\""* ]] || { echo "FAILED: the man page's title does not name $version: $title"; failures=1; }
zcat "$prefix/share/doc/maildog-ci/changelog.gz" | head -n 1 | grep -qx "maildog-ci ($version) unstable; urgency=medium" ||
  { echo "FAILED: changelog.gz does not start with a Debian changelog entry for $version"; failures=1; }
grep -q '^License: Apache-2.0$' "$prefix/share/doc/maildog-ci/copyright" ||
  { echo "FAILED: copyright names no Apache-2.0 licence"; failures=1; }
((failures == 0)) || exit 1
echo "cmake --install made exactly:"
sed 's/^/  /' <<<"$actual"
