#!/usr/bin/env bash
# ci/packages.txt is the one package manifest. Fails when a package CMake found for this build
# belongs to no package of the manifest's `build` set (`test` for the test framework), when the
# `runtime` set and the packages of the libraries the built binary links (its DT_NEEDED) differ,
# and when a script of the repository installs a package the manifest does not list.
# Usage: tests/ci/packages_manifest.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
source_dir=${1:?usage: packages_manifest.sh SOURCE_DIR BUILD_DIR}
build_dir=${2:?usage: packages_manifest.sh SOURCE_DIR BUILD_DIR}
cache=$build_dir/CMakeCache.txt
[[ -f $cache ]] || { echo "no $cache"; exit 1; }
command -v dpkg >/dev/null || { echo "SKIPPED: dpkg is not installed (not a Debian system)"; exit 77; }

manifest_all=$(bash "$source_dir/ci/packages.sh" runtime build scenarios action test fuzz bench workflow package examples)
failures=0
fail() { echo "FAILED: $*"; failures=$((failures + 1)); }

# The packages of the sets covered_by is asked about, read from the manifest once per set list
# (it is asked for every file CMake found): into `listed`, not through a subshell that would
# forget the cache.
declare -A set_cache
set_packages() {
  local key="$*"
  [[ -n ${set_cache[$key]+x} ]] || set_cache[$key]=$(bash "$source_dir/ci/packages.sh" "$@")
  listed=${set_cache[$key]}
}

# A listed package covers a file when it owns it, or depends directly on the package that does
# (pkg-config is Debian 12's transitional name for pkgconf, which owns /usr/bin/pkg-config).
covered_by() {  # covered_by PATH SET...
  local path=$1; shift
  local owners listed p
  owners=$(dpkg -S "$path" 2>/dev/null | sed 's/: .*//; s/, /\n/g; s/:[a-z0-9]*$//' | sort -u)
  [[ -n $owners ]] || return 1
  set_packages "$@"
  for p in $listed; do
    grep -qx -- "$p" <<<"$owners" && return 0
    dpkg-query -W -f='${Depends}\n' "$p" 2>/dev/null | tr ',|' '\n\n' | sed 's/[ (].*//; s/^ *//; s/:any$//' |
      grep -qxF -f <(echo "$owners") && return 0
  done
  return 1
}

cache_value() { sed -n "s/^$1:[A-Z]*=//p" "$cache" | head -n 1; }

# The files CMake found for one dependency: its config folder, libraries and programs.
files_of() {  # files_of NAME
  local name=$1 upper
  upper=$(tr 'a-z-' 'A-Z_' <<<"$name")
  case $name in
    PkgConfig) cache_value PKG_CONFIG_EXECUTABLE; return ;;
  esac
  grep -E "^(${name}|${upper})_(DIR|[A-Z_]*LIBRARY|EXECUTABLE):(PATH|FILEPATH)=/" "$cache" | sed 's/^[^=]*=//' || true
  grep -E "^pkgcfg_lib_${name}_[^:]*:FILEPATH=/" "$cache" | sed 's/^[^=]*=//'  || true
}

check_dependency() {  # check_dependency NAME SET...
  local name=$1; shift
  local files path ok=0
  files=$(files_of "$name")
  [[ -n $files ]] || { fail "$name: CMake recorded no file for it in $cache"; return; }
  while read -r path; do
    [[ -e $path ]] || continue
    covered_by "$path" "$@" && { ok=1; break; }
  done <<<"$files"
  if ((ok)); then
    echo "ok: $name ($(head -n 1 <<<"$files")) is installed by the manifest's $*"
  else
    fail "$name: none of $(tr '\n' ' ' <<<"$files")belongs to a package of the manifest's $* set (ci/packages.txt)"
  fi
}

deps=$source_dir/cmake/dependencies.cmake
while read -r name; do
  [[ $name == Threads ]] && continue  # the C library's
  check_dependency "$name" build
done < <(sed -n 's/^ *find_package(\([A-Za-z0-9_-]*\).*/\1/p; s/^ *pkg_check_modules(\([A-Z0-9_]*\) .*/\1/p' "$deps")
# find_path(VAR FILE ...): the header it found.
while read -r var file; do
  dir=$(cache_value "$var")
  if [[ -n $dir ]] && covered_by "$dir/$file" build; then
    echo "ok: $file is installed by the manifest's build"
  else
    fail "$file ($var=$dir) belongs to no package of the manifest's build set"
  fi
done < <(sed -n 's/^ *find_path(\([A-Z_]*\) \([^ ]*\) .*/\1 \2/p' "$deps")
while read -r name; do
  check_dependency "$name" test
done < <(sed -n 's/^ *find_package(\([A-Za-z0-9_-]*\).*/\1/p' "$source_dir/tests/CMakeLists.txt")

# The runtime set is exactly the packages owning the libraries the binary links (as ldd resolves
# them; under merged /usr, dpkg knows a library by its /lib or its /usr/lib path), plus data.
binary=$build_dir/src/cli/maildog-ci
if [[ -x $binary ]]; then
  runtime=$(bash "$source_dir/ci/packages.sh" runtime)
  needed_owners=
  while read -r soname; do
    path=$(ldd "$binary" | awk -v s="$soname" '$1 == s { print $3 }')
    owner=$(dpkg -S "$path" 2>/dev/null || dpkg -S "/usr$path" 2>/dev/null || dpkg -S "${path#/usr}" 2>/dev/null || true)
    owner=$(sed 's/: .*//; s/:[a-z0-9]*$//' <<<"$owner" | head -n 1)
    [[ -n $owner ]] || { fail "runtime: no package owns $soname ($path)"; continue; }
    needed_owners+="$owner"$'\n'
    grep -qx -- "$owner" <<<"$runtime" || fail "runtime: the binary links $soname from $owner, which the manifest's runtime set does not name"
  done < <(readelf -d "$binary" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p')
  for p in $runtime; do
    [[ $p == publicsuffix ]] && continue  # data libpsl reads, not a library
    grep -qx -- "$p" <<<"$needed_owners" || fail "runtime: $p is in the runtime set but the binary links no library of it"
  done
  echo "ok: the runtime set names the $(sort -u <<<"$needed_owners" | grep -c .) packages of the libraries the binary links"
else
  fail "no built binary at $binary"
fi

# Every package a script names on an apt-get install line is listed; packages from variables
# must come from ci/packages.sh in that script.
while IFS=: read -r file line text; do
  rest=${text#*apt-get install}
  for word in $rest; do
    case $word in
      '&&' | '||' | ';' | '|') break ;;  # the end of the install command
      -* | '>'* | *'$'* | '"${'*) continue ;;
      *.deb) continue ;;  # a package file built here (tests/ci/deb_install.sh), not one from the archive
    esac
    grep -qx -- "$word" <<<"$manifest_all" || fail "$file:$line installs '$word', which ci/packages.txt does not list"
  done
  if [[ $rest == *'$'* ]] && ! grep -q 'packages.sh' "$source_dir/$file"; then
    fail "$file:$line installs packages that do not come from ci/packages.sh"
  fi
done < <(cd "$source_dir" && {
  grep -rn --include='*.sh' 'apt-get install' ci bench tests .ci 2>/dev/null | grep -v '^tests/ci/packages_manifest.sh'
  grep -rn --include='*.yml' --include='*.yaml' 'apt-get install' .github action.yml 2>/dev/null
} || true)

if ((failures)); then
  echo "$failures problem(s) with ci/packages.txt"
  exit 1
fi
echo "ci/packages.txt covers every package CMake found and every package a script installs"
