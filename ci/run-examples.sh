#!/usr/bin/env bash
# Runs the real stacks of examples/ (one folder each: Flask, nodemailer, PHPMailer, Postfix)
# through maildog-ci, one `maildog-ci run examples/NAME` each, and prints each one's wall time.
# With --install, or in CI (CI=true), it first installs their toolchains: the `examples` set of
# ci/packages.txt (as root) and the npm packages of an example's package-lock.json (`npm ci`).
# On a user's machine an example whose toolchain is missing is skipped, visibly; in CI a missing
# toolchain is a failure (--no-install: check only, even in CI). A process an example leaves
# running (in its folder, or a new Postfix master) fails it, and is ended.
# Usage: ci/run-examples.sh [--install|--no-install] [--binary PATH] [EXAMPLE...] [-- RUN-OPTION...]
#   PATH defaults to build/ci/src/cli/maildog-ci, else maildog-ci on PATH; EXAMPLE is a folder
#   name under examples/ (default: all); RUN-OPTIONs go to every `maildog-ci run`.
# Exit codes: 0 every example that ran passed, 1 one failed (or, in CI, could not run),
# 2 bad usage, 77 none could run (CTest's SKIP_RETURN_CODE).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
usage="usage: ci/run-examples.sh [--install|--no-install] [--binary PATH] [EXAMPLE...] [-- RUN-OPTION...]"

install=0
[[ ${CI:-} == true ]] && install=1
binary=
names=()
run_options=()
while (($#)); do
  case $1 in
    --install) install=1 ;;
    --no-install) install=0 ;;
    --binary) binary=${2:?$usage}; shift ;;
    --) shift; run_options=("$@"); break ;;
    -h | --help) echo "$usage"; exit 0 ;;
    -*) echo "$usage" >&2; exit 2 ;;
    *) names+=("$1") ;;
  esac
  shift
done
if [[ -z $binary ]]; then
  binary=$root/build/ci/src/cli/maildog-ci
  [[ -x $binary ]] || binary=$(command -v maildog-ci || true)
fi
[[ -n $binary && -x $binary ]] || { echo "ci/run-examples: no maildog-ci binary (build it: bash ci/build.sh ci maildog-ci, or pass --binary PATH)" >&2; exit 2; }
if ((${#names[@]} == 0)); then
  for dir in "$root"/examples/*/; do names+=("$(basename "$dir")"); done
fi

if ((install)); then
  if ((EUID != 0)); then
    echo "ci/run-examples: --install needs root (apt-get); installing nothing" >&2
    [[ ${CI:-} == true ]] && exit 1
  else
    bash "$root/ci/install-deps.sh" examples
  fi
  for name in "${names[@]}"; do
    if [[ -f $root/examples/$name/package-lock.json ]]; then
      bash "$root/ci/npm-ci-once.sh" "$root/examples/$name" || { echo "ci/run-examples: npm ci failed in examples/$name" >&2; exit 1; }
    fi
  done
fi

# Why an example cannot run here, or nothing when it can: its toolchain, checked the way it runs.
missing_toolchain() {  # missing_toolchain NAME
  case $1 in
    flask-reset)
      /usr/bin/python3 -c 'import flask' 2>/dev/null || { echo "python3-flask not found"; return; }
      command -v curl >/dev/null || echo "curl not found" ;;
    node-nodemailer)
      command -v node >/dev/null || { echo "node not found"; return; }
      [[ -d $root/examples/$1/node_modules/nodemailer ]] || echo "nodemailer not installed: ci/run-examples.sh --install runs npm ci" ;;
    php-phpmailer)
      command -v php >/dev/null || { echo "php not found"; return; }
      [[ -f /usr/share/php/libphp-phpmailer/autoload.php ]] || echo "libphp-phpmailer not found" ;;
    postfix-relay)
      [[ -x /usr/sbin/postfix ]] || { echo "postfix not found"; return; }
      { getent passwd postfix && getent group postdrop; } >/dev/null || { echo "no postfix user or postdrop group"; return; }
      ((EUID == 0)) || echo "Postfix's master must run as root" ;;
    *) [[ -d $root/examples/$1 ]] || echo "no folder examples/$1" ;;
  esac
}

# Processes an example left running: any whose working folder is in the example's folder (its
# app and services), and Postfix masters that were not running before it (a daemon in its own
# session, the kind that outlives a scenario when it is not tracked).
leftovers() {  # leftovers NAME MASTERS_BEFORE
  local pid
  for pid in $(pgrep -x master || true); do
    grep -qxF -- "$pid" <<<"$2" || echo "$pid $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)"
  done
  for pid in /proc/[0-9]*; do
    [[ $(readlink "$pid/cwd" 2>/dev/null) == "$root/examples/$1"* ]] && echo "${pid#/proc/} $(tr '\0' ' ' <"$pid/cmdline" 2>/dev/null)"
  done
  return 0
}

passed=() failed=() skipped=()
for name in "${names[@]}"; do
  why=$(missing_toolchain "$name")
  if [[ -n $why ]]; then
    if [[ ${CI:-} == true ]]; then
      echo "FAILED: $name cannot run in CI ($why)"
      failed+=("$name")
    else
      echo "skipped: $name ($why)"
      skipped+=("$name")
    fi
    continue
  fi
  echo "== examples/$name"
  masters_before=$(pgrep -x master || true)
  start=$(date +%s%N)
  status=0
  "$binary" run "$root/examples/$name" "${run_options[@]}" || status=$?
  seconds=$(awk -v ns=$(($(date +%s%N) - start)) 'BEGIN { printf "%.1f", ns / 1e9 }')
  left=$(leftovers "$name" "$masters_before")
  if [[ -n $left ]]; then
    echo "examples/$name: processes outlived their scenarios (ended now):"; echo "$left"
    mapfile -t pids < <(cut -d' ' -f1 <<<"$left")
    kill -TERM "${pids[@]}" 2>/dev/null || true
    ((status != 0)) || status=1
  fi
  if ((status == 0)); then
    echo "examples/$name: passed in ${seconds} s"
    passed+=("$name ${seconds}s")
  else
    echo "examples/$name: FAILED (exit $status) in ${seconds} s"
    failed+=("$name ${seconds}s")
  fi
done

echo "examples: ${#passed[@]} passed, ${#failed[@]} failed, ${#skipped[@]} skipped"
for line in "${passed[@]}"; do echo "  passed: $line"; done
for line in "${failed[@]}"; do echo "  failed: $line"; done
for line in "${skipped[@]}"; do echo "  skipped: $line"; done
((${#failed[@]} == 0)) || exit 1
((${#passed[@]} > 0)) || exit 77
