#!/usr/bin/env bash
# Builds the maildog-ci container image (Containerfile) from a portable tarball of ci/package.sh:
# the tarball is extracted into a temporary build context beside the Containerfile, with the
# build host's CA certificates, and built FROM scratch. Prints the image's size at the end.
#
# Usage: ci/container.sh [--tarball FILE] [--tag TAG] [--engine podman|docker]
#   --tarball FILE  maildog-ci-VERSION-linux-ARCH.tar.gz (default: the one for this machine in
#                   build/release/package, made with ci/package.sh when it is missing); checked
#                   against the SHA256SUMS beside it when there is one
#   --tag TAG       the image's name (default: maildog-ci:VERSION)
#   --engine NAME   podman (default when installed) or docker
# Under Podman the image is built with --format docker: the OCI format has no HEALTHCHECK.
set -euo pipefail
cd "$(dirname "$0")/.."
tarball=
tag=
engine=
while (($#)); do
  case $1 in
    --tarball) tarball=${2:?--tarball needs a file}; shift 2 ;;
    --tag) tag=${2:?--tag needs a name}; shift 2 ;;
    --engine) engine=${2:?--engine needs podman or docker}; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "ci/container.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

fail() { echo "ci/container.sh: $*" >&2; exit 1; }

if [[ -z $engine ]]; then
  if command -v podman >/dev/null; then engine=podman
  elif command -v docker >/dev/null; then engine=docker
  else fail "neither podman nor docker is installed (ci/install-deps.sh test installs podman)"
  fi
fi
case $engine in
  podman|docker) command -v "$engine" >/dev/null || fail "--engine $engine: $engine is not installed" ;;
  *) fail "--engine must be podman or docker, not '$engine'" ;;
esac

if [[ -z $tarball ]]; then
  shopt -s nullglob
  found=(build/release/package/maildog-ci-*-linux-"$(uname -m)".tar.gz)
  shopt -u nullglob
  if ((${#found[@]} == 0)); then
    echo "ci/container.sh: no tarball in build/release/package; making one with ci/package.sh"
    bash ci/package.sh
    found=(build/release/package/maildog-ci-*-linux-"$(uname -m)".tar.gz)
  fi
  ((${#found[@]} == 1)) || fail "expected one tarball for $(uname -m) in build/release/package, found ${#found[@]}: pass --tarball"
  tarball=${found[0]}
fi
[[ -f $tarball ]] || fail "no tarball at $tarball"
name=$(basename "$tarball" .tar.gz)
[[ $name =~ ^maildog-ci-(.+)-linux-([a-z0-9_]+)$ ]] ||
  fail "$tarball is not named maildog-ci-VERSION-linux-ARCH.tar.gz"
version=${BASH_REMATCH[1]}
sums=$(dirname "$tarball")/SHA256SUMS
if [[ -f $sums ]]; then
  (cd "$(dirname "$tarball")" && grep -F " $name.tar.gz" SHA256SUMS | sha256sum --check --strict --quiet -) ||
    fail "$tarball does not match $sums"
fi
certificates=/etc/ssl/certs/ca-certificates.crt
[[ -s $certificates ]] || fail "no CA certificates at $certificates (Debian package ca-certificates)"
tag=${tag:-maildog-ci:$version}
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)

context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
rootfs=$context/rootfs
mkdir -p "$rootfs/opt" "$rootfs/etc/ssl/certs" "$rootfs/tmp" "$context/work"
tar -xzf "$tarball" -C "$rootfs/opt"
[[ -x $rootfs/opt/$name/bin/maildog-ci ]] || fail "$tarball holds no $name/bin/maildog-ci"
mv "$rootfs/opt/$name" "$rootfs/opt/maildog-ci"
install -m 0644 "$certificates" "$rootfs/etc/ssl/certs/ca-certificates.crt"
# The user the image runs as, by name too (what `id` or a getpwuid() shows); names in /etc/hosts
# (compose services) before DNS.
printf 'root:x:0:0:root:/root:/sbin/nologin\nmaildog:x:10001:10001:maildog-ci:/tmp:/sbin/nologin\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nmaildog:x:10001:\n' >"$rootfs/etc/group"
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$rootfs/etc/nsswitch.conf"
chmod 0644 "$rootfs/etc/passwd" "$rootfs/etc/group" "$rootfs/etc/nsswitch.conf"
chmod 1777 "$rootfs/tmp"
chmod 0755 "$context/work" "$rootfs" "$rootfs/opt" "$rootfs/etc" "$rootfs/etc/ssl" "$rootfs/etc/ssl/certs"
cp Containerfile "$context/Containerfile"

format=()
# --layers=false: no intermediate image per instruction left behind (nothing here is worth caching).
[[ $engine == podman ]] && format=(--format docker --layers=false)
echo "ci/container.sh: building $tag from $name with $engine"
"$engine" build "${format[@]}" --build-arg "VERSION=$version" --build-arg "REVISION=$revision" \
  --tag "$tag" --file "$context/Containerfile" "$context"

# The size an engine lists (layers unpacked) and roughly what a pull downloads (gzip, as a
# registry stores layers).
bytes=$("$engine" image inspect --format '{{.Size}}' "$tag")
compressed=$("$engine" save "$tag" | gzip -6 | wc -c)
echo "ci/container.sh: $tag: $((bytes / 1024)) KiB unpacked, about $((compressed / 1024)) KiB to download (gzip)"
