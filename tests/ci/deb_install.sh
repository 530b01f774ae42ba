#!/usr/bin/env bash
# Installs the .deb on this machine with apt-get, as a user would, and removes it again:
# /usr/bin/maildog-ci prints the project's version and runs bundled client-only scenarios, the man
# page and completions are where man and the shells look, and remove + purge leave nothing
# behind. A trap removes the package even when a check fails. Runs serially (RUN_SERIAL): while
# it is installed, /usr/bin/maildog-ci must not stand in for the built binary in other tests.
# Skips (77) when not root or without apt-get/dpkg. Refuses to touch a /usr/bin/maildog-ci that
# another package or a hand install put there.
# Usage: tests/ci/deb_install.sh SOURCE_DIR BUILD_DIR VERSION DEB_DIR
#   DEB_DIR holds the maildog-ci_*.deb that ci/deb.sh made (the test "package: ci/deb.sh ...");
#   when it holds none, ci/deb.sh is run here.
set -euo pipefail
source_dir=${1:?usage: deb_install.sh SOURCE_DIR BUILD_DIR VERSION DEB_DIR}
build_dir=${2:?usage: deb_install.sh SOURCE_DIR BUILD_DIR VERSION DEB_DIR}
version=${3:?usage: deb_install.sh SOURCE_DIR BUILD_DIR VERSION DEB_DIR}
deb_dir=${4:?usage: deb_install.sh SOURCE_DIR BUILD_DIR VERSION DEB_DIR}

[[ $(id -u) == 0 ]] || { echo "SKIPPED: installing a package needs root (this is uid $(id -u))"; exit 77; }
for tool in apt-get dpkg dpkg-query; do
  command -v "$tool" >/dev/null || { echo "SKIPPED: $tool is not installed (not a Debian system)"; exit 77; }
done
export DEBIAN_FRONTEND=noninteractive

owner=$(dpkg-query -S /usr/bin/maildog-ci 2>/dev/null | sed 's/: .*//' || true)
if [[ -e /usr/bin/maildog-ci && $owner != maildog-ci ]]; then
  echo "FAILED: /usr/bin/maildog-ci exists and does not come from the maildog-ci package (${owner:-no package}):"
  echo "        this test will not overwrite it; remove it first"
  exit 1
fi
if [[ -n $owner ]]; then
  echo "note: maildog-ci $(dpkg-query -W -f='${Version}' maildog-ci) is installed (a run that did not finish?): it is replaced"
fi

shopt -s nullglob
debs=("$deb_dir"/maildog-ci_*.deb)
if ((${#debs[@]} == 0)); then
  echo "no .deb in $deb_dir: ci/deb.sh --build-dir $build_dir --out $deb_dir"
  bash "$source_dir/ci/deb.sh" --build-dir "$build_dir" --out "$deb_dir" | tail -n 3
  debs=("$deb_dir"/maildog-ci_*.deb)
fi
((${#debs[@]} == 1)) || { echo "FAILED: expected one maildog-ci_*.deb in $deb_dir, found ${#debs[@]}"; exit 1; }
deb=${debs[0]}

remove_package() {
  if dpkg-query -W -f='${Status}' maildog-ci 2>/dev/null | grep -q 'installed\|config-files'; then
    apt-get purge -y -qq -oDPkg::Lock::Timeout=180 maildog-ci >/dev/null 2>&1 || dpkg --purge maildog-ci >/dev/null 2>&1 || true
  fi
}
trap 'remove_package' EXIT

failures=0
fail() { echo "FAILED: $*"; failures=$((failures + 1)); }

echo "== installing $deb with apt-get"
install_deb() {  # the one maildog-ci_*.deb of the folder, as a user installs a downloaded .deb
  cd "$1"
  apt-get install -y -qq -oDPkg::Lock::Timeout=180 ./maildog-ci_*.deb
}
if ! (install_deb "$(dirname "$deb")") >"$deb_dir/apt.log" 2>&1; then
  cat "$deb_dir/apt.log"
  echo "FAILED: apt-get could not install $deb (above)"
  exit 1
fi
[[ $(dpkg-query -W -f='${Status} ${Version}' maildog-ci) == "install ok installed $version" ]] ||
  { echo "FAILED: maildog-ci $version is not installed: $(dpkg-query -W -f='${Status} ${Version}' maildog-ci 2>&1)"; exit 1; }

installed_version=$(/usr/bin/maildog-ci --version)
echo "/usr/bin/maildog-ci --version: $installed_version"
[[ $installed_version == "maildog-ci $version "* || $installed_version == "maildog-ci $version" ]] ||
  fail "/usr/bin/maildog-ci --version does not print version $version"

# Bundled scenarios that need no app (a scripted client against the sandbox), from the source tree.
scenarios=(scenarios/auth_required.yaml scenarios/dkim_signed_passes_dmarc.yaml)
if (cd "$source_dir" && timeout 120 /usr/bin/maildog-ci run --no-color "${scenarios[@]}" >"$deb_dir/run.log" 2>&1); then
  echo "ok: /usr/bin/maildog-ci run ${scenarios[*]}: $(tail -n 1 "$deb_dir/run.log")"
else
  fail "/usr/bin/maildog-ci run ${scenarios[*]} failed:"; cat "$deb_dir/run.log"
fi

for file in /usr/share/bash-completion/completions/maildog-ci /usr/share/zsh/vendor-completions/_maildog-ci \
            /usr/share/fish/vendor_completions.d/maildog-ci.fish /usr/share/doc/maildog-ci/copyright \
            /usr/share/doc/maildog-ci/changelog.gz /usr/share/man/man1/maildog-ci.1.gz; do
  [[ -f $file ]] || fail "$file is not installed"
done
if command -v man >/dev/null; then
  page=$(man -w maildog-ci 2>&1) || true
  if [[ $page == /usr/share/man/man1/maildog-ci.1.gz ]]; then
    echo "ok: man -w maildog-ci: $page"
  else
    fail "man -w maildog-ci gives '$page', not /usr/share/man/man1/maildog-ci.1.gz"
  fi
else
  echo "note: man is not installed: only the man page's file is checked"
fi
[[ $(stat -c '%a %U:%G' /usr/bin/maildog-ci) == '755 root:root' ]] ||
  fail "/usr/bin/maildog-ci is $(stat -c '%a %U:%G' /usr/bin/maildog-ci), not 755 root:root"
file /usr/bin/maildog-ci | grep -q 'not stripped' && fail "/usr/bin/maildog-ci is not stripped"
mapfile -t owned < <(dpkg-query -L maildog-ci | while read -r path; do [[ -f $path ]] && echo "$path"; done)
echo "the package installed ${#owned[@]} files"

echo "== apt-get remove, then purge"
apt-get remove -y -qq -oDPkg::Lock::Timeout=180 maildog-ci >/dev/null
[[ ! -e /usr/bin/maildog-ci ]] || fail "/usr/bin/maildog-ci is still there after apt-get remove"
# Without conffiles, remove already forgets the package (apt-get purge would not find it).
if dpkg-query -W -f='${Status}' maildog-ci 2>/dev/null | grep -q config-files; then
  apt-get purge -y -qq -oDPkg::Lock::Timeout=180 maildog-ci >/dev/null
else
  dpkg --purge maildog-ci >/dev/null 2>&1 || true  # a no-op: remove forgot it already (checked below)
fi
listed=$(dpkg-query -L maildog-ci 2>/dev/null || true)
[[ -z $listed ]] || fail "dpkg -L maildog-ci still lists files after purge: $listed"
status=$(dpkg-query -W -f='${Status}' maildog-ci 2>/dev/null || true)
[[ -z $status || $status == 'unknown ok not-installed' ]] || fail "dpkg still knows maildog-ci after purge: $status"
for path in "${owned[@]}"; do
  [[ ! -e $path ]] || fail "$path is left after purge"
done
[[ ! -e /usr/share/doc/maildog-ci ]] || fail "/usr/share/doc/maildog-ci is left after purge"

if ((failures)); then
  echo "$failures problem(s) with installing or removing $deb"
  exit 1
fi
echo "installed $deb with apt-get, ran it, and removed it without a trace"
