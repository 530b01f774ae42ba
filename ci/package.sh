#!/usr/bin/env bash
# Builds the portable tarball maildog-ci-VERSION-linux-ARCH.tar.gz and its SHA256SUMS: the
# executable with its own copies of every shared library, the glibc loader and glibc's gconv
# modules, started by a small static launcher (packaging/launcher/launcher.c), so it needs
# nothing from the host but the Linux kernel. Plus LICENSE, the man page, the completions and
# the licences of every library it bundles or compiled in (share/doc/maildog-ci/third-party/).
#
# Usage: ci/package.sh [--build-dir DIR] [--out DIR]
#   --build-dir DIR  a configured and built CMake binary folder (default: build/release, built
#                    here from the `release` preset when it is missing); CI passes build/ci so
#                    the tarball it tests is made from the binary the other tests ran
#   --out DIR        where the tarball and SHA256SUMS go (default: BUILD_DIR/package)
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=build/release
out=
while (($#)); do
  case $1 in
    --build-dir) build_dir=${2:?--build-dir needs a folder}; shift 2 ;;
    --out) out=${2:?--out needs a folder}; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "ci/package.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
if [[ $build_dir == build/release && ! -x build/release/src/cli/maildog-ci ]]; then
  bash ci/build.sh release
fi
program=$build_dir/src/cli/maildog-ci
[[ -x $program ]] || { echo "ci/package.sh: no built maildog-ci at $program (build it first)" >&2; exit 1; }
out=${out:-$build_dir/package}

version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build_dir/CMakeCache.txt")
[[ -n $version ]] || { echo "ci/package.sh: no project version in $build_dir/CMakeCache.txt" >&2; exit 1; }
arch=$(uname -m)
name=maildog-ci-$version-linux-$arch
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root=$stage/$name
bundle=$root/lib/maildog-ci
mkdir -p "$root/bin" "$bundle/gconv"

# What `cmake --install` puts under share/ (man page, completions, copyright) goes in as it is.
cmake --install "$build_dir" --prefix "$stage/install" >/dev/null
[[ -d $stage/install/share ]] && cp -a "$stage/install/share" "$root/"
cp LICENSE "$root/LICENSE"
install -m 0755 "$program" "$bundle/maildog-ci"
strip --strip-all "$bundle/maildog-ci"

# Every shared library the loader resolves for this executable, under its soname, and the loader
# itself as ld.so (the launcher runs it). The host's ld.so.cache decides which files those are.
libraries=$(ldd "$program")  # read again below, for the licences
libc=
while read -r soname arrow path _; do
  if [[ $arrow == "=>" && -f $path ]]; then
    install -m 0644 "$(readlink -f "$path")" "$bundle/$soname"
    [[ $soname == libc.so.* ]] && libc=$(readlink -f "$path")
  elif [[ $soname == /*ld-linux* ]]; then
    install -m 0755 "$(readlink -f "$soname")" "$bundle/ld.so"
  elif [[ $arrow == "=>" && $path == "not" ]]; then
    echo "ci/package.sh: $program needs $soname, which is not found" >&2; exit 1
  fi
done <<<"$libraries"
[[ -f $bundle/ld.so && -n $libc ]] || { echo "ci/package.sh: ldd named no loader or no libc for $program" >&2; exit 1; }
strip --strip-unneeded "$bundle"/lib*.so* 2>/dev/null || true

# glibc's iconv modules (GMime decodes charsets through iconv), next to the libc they belong to.
# EBCDIC code pages (IBM*, EBCDIC-*) are left out: mail never uses them, and they are half the size.
# glibc also reads its built-in gconv folder after GCONV_PATH's, so on a Debian-like host a message
# in such a charset would load the host's module into the bundled glibc (gconv's module interface
# is long stable; a module that does not load leaves that part undecoded, as an unknown charset).
gconv=$(dirname "$libc")/gconv
[[ -f $gconv/gconv-modules ]] || { echo "ci/package.sh: no gconv modules at $gconv" >&2; exit 1; }
cp -a "$gconv/gconv-modules" "$bundle/gconv/"
[[ -d $gconv/gconv-modules.d ]] && cp -a "$gconv/gconv-modules.d" "$bundle/gconv/"
find "$gconv" -maxdepth 1 -name '*.so' ! -name 'IBM*' ! -name 'EBCDIC*' -exec cp -a {} "$bundle/gconv/" \;

# The bundled libraries' own licences (GMime, GLib and glibc are LGPL, others Apache, MIT, BSD...):
# the Debian copyright file of each package a bundled file came from.
notices=$root/share/doc/maildog-ci/third-party
mkdir -p "$notices"
for file in "$bundle"/*.so* "$gconv/gconv-modules"; do
  origin=$file
  [[ $file == "$bundle"/* ]] && origin=$(awk -v s="$(basename "$file")" '$1 == s { print $3 }' <<<"$libraries")
  [[ $file == "$bundle/ld.so" ]] && origin=$(awk '/ld-linux/ { print $1 }' <<<"$libraries")
  owner=$(dpkg -S "$origin" 2>/dev/null || dpkg -S "/usr$origin" 2>/dev/null || true)
  owner=$(sed 's/: .*//; s/:[a-z0-9]*$//' <<<"$owner" | head -n 1)
  [[ -n $owner ]] || { echo "ci/package.sh: no Debian package owns $origin, so its licence is unknown" >&2; exit 1; }
  cp "/usr/share/doc/$owner/copyright" "$notices/$owner.copyright"
done
# Header-only libraries compiled into the executable whose licences (MIT, BSD) ask for their
# notices in binary copies; the Boost licence does not, and its Debian file is 2 MB.
for owner in nlohmann-json3-dev libcli11-dev libvalijson-dev; do
  [[ -f /usr/share/doc/$owner/copyright ]] || { echo "ci/package.sh: no copyright file of $owner (is it installed?)" >&2; exit 1; }
  cp "/usr/share/doc/$owner/copyright" "$notices/$owner.copyright"
done

# The launcher: static, so it runs before any library can be found.
cc -std=c11 -O2 -Wall -Wextra -Werror -static -s -o "$root/bin/maildog-ci" packaging/launcher/launcher.c

# Reproducible archive: sorted names, fixed owner and times (the last commit's, else now).
mtime=$(git log -1 --format=%ct 2>/dev/null || date +%s)
mkdir -p "$out"
tarball=$out/$name.tar.gz
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$mtime" -C "$stage" -cf - "$name" | gzip -9n >"$tarball"
(cd "$out" && shopt -s nullglob && sha256sum -- *.tar.gz *.deb >SHA256SUMS)

echo "ci/package.sh: $tarball ($(du -k "$tarball" | cut -f1) KiB; $(du -sk "$root" | cut -f1) KiB extracted, $(find "$root" -type f | wc -l) files)"
echo "ci/package.sh: $out/SHA256SUMS"
