#!/usr/bin/env bash
# ci/deb.sh on this build: the .deb is lintian-clean (no errors; ci/deb.sh fails otherwise), its
# control fields are right (name, the project's version, dpkg's architecture, section mail,
# the homepage, Depends computed by dpkg-shlibdeps) and its files belong to root with Debian's
# modes (0755 folders and executable, 0644 the rest), the executable stripped.
# The fixture of tests/ci/deb_install.sh, which installs the .deb this leaves in OUT.
# Usage: tests/ci/deb_build.sh SOURCE_DIR BUILD_DIR VERSION OUT
set -euo pipefail
source_dir=${1:?usage: deb_build.sh SOURCE_DIR BUILD_DIR VERSION OUT}
build_dir=${2:?usage: deb_build.sh SOURCE_DIR BUILD_DIR VERSION OUT}
version=${3:?usage: deb_build.sh SOURCE_DIR BUILD_DIR VERSION OUT}
out=${4:?usage: deb_build.sh SOURCE_DIR BUILD_DIR VERSION OUT}
for tool in dpkg-deb dpkg-shlibdeps lintian file; do
  command -v "$tool" >/dev/null ||
    { echo "SKIPPED: $tool is not installed (bash ci/install-deps.sh package installs what ci/deb.sh needs)"; exit 77; }
done

rm -rf "$out"
deb=$(bash "$source_dir/ci/deb.sh" --build-dir "$build_dir" --out "$out" | tee /dev/stderr | tail -n 1)
[[ -f $deb ]] || { echo "FAILED: ci/deb.sh named no .deb ($deb)"; exit 1; }
arch=$(dpkg --print-architecture)
[[ $(basename "$deb") == "maildog-ci_${version}_${arch}.deb" ]] ||
  { echo "FAILED: the package is $(basename "$deb"), not maildog-ci_${version}_${arch}.deb"; exit 1; }

failures=0
fail() { echo "FAILED: $*"; failures=$((failures + 1)); }
field() { dpkg-deb -f "$deb" "$1"; }
[[ $(field Package) == maildog-ci ]] || fail "Package: $(field Package)"
[[ $(field Version) == "$version" ]] || fail "Version: $(field Version), not $version"
[[ $(field Architecture) == "$arch" ]] || fail "Architecture: $(field Architecture), not $arch"
[[ $(field Section) == mail ]] || fail "Section: $(field Section), not mail"
[[ $(field Homepage) == https://github.com/maildog-ci/maildog-ci ]] || fail "Homepage: $(field Homepage)"
[[ $(field Maintainer) == *' <'*'@'*'>' ]] || fail "Maintainer: '$(field Maintainer)' is not 'Name <address>'"
depends=$(field Depends)
for library in libc6 libstdc++6 libgmime-3.0-0 libssl3 libsqlite3-0 libyaml-cpp0.7; do
  [[ $depends == *"$library "* || $depends == *"$library," || $depends == *"$library" ]] ||
    fail "Depends names no $library (dpkg-shlibdeps?): $depends"
done

# Owners and modes of the data, as dpkg will unpack them.
while read -r mode owner _ _ _ path _; do
  [[ $owner == root/root ]] || fail "$path belongs to $owner, not root/root"
  case $mode in
    d*) [[ $mode == drwxr-xr-x ]] || fail "folder $path is $mode, not drwxr-xr-x" ;;
    *) if [[ $path == ./usr/bin/maildog-ci ]]; then
         [[ $mode == -rwxr-xr-x ]] || fail "$path is $mode, not -rwxr-xr-x"
       else
         [[ $mode == -rw-r--r-- ]] || fail "$path is $mode, not -rw-r--r--"
       fi ;;
  esac
done < <(dpkg-deb -c "$deb")
files=$(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { print $6 }' | LC_ALL=C sort)
expected='./usr/bin/maildog-ci
./usr/share/bash-completion/completions/maildog-ci
./usr/share/doc/maildog-ci/changelog.gz
./usr/share/doc/maildog-ci/copyright
./usr/share/fish/vendor_completions.d/maildog-ci.fish
./usr/share/man/man1/maildog-ci.1.gz
./usr/share/zsh/vendor-completions/_maildog-ci'
[[ $files == "$expected" ]] || fail "the package holds other files: $(diff <(echo "$expected") <(echo "$files") | tr '\n' ' ')"
unpacked=$(mktemp -d)
trap 'rm -rf "$unpacked"' EXIT
dpkg-deb -x "$deb" "$unpacked"
file "$unpacked/usr/bin/maildog-ci" | grep -q ', stripped' || fail "usr/bin/maildog-ci is not stripped: $(file -b "$unpacked/usr/bin/maildog-ci")"

if ((failures)); then
  echo "$failures problem(s) with $deb"
  exit 1
fi
echo "$(basename "$deb"): $(du -k "$deb" | cut -f1) KiB, Depends: $depends"
