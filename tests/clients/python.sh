#!/usr/bin/env bash
# The Python client (clients/python): installs it offline into a venv under the build tree, as the
# README says (--system-site-packages, pip --no-build-isolation), type-checks it with mypy, and runs
# its pytest suite (smtplib sends, rules with times, -n 2 isolation, failure messages, the README's
# example) against the built binary.
# Usage: tests/clients/python.sh SOURCE_DIR WORK_DIR MAILDOG_CI_BINARY
# Exits 77 (skip) where the Debian packages of the `test` set are missing, except in CI (CI=true).
set -euo pipefail
source_dir=${1:?usage: python.sh SOURCE_DIR WORK_DIR MAILDOG_CI_BINARY}
work_dir=${2:?usage: python.sh SOURCE_DIR WORK_DIR MAILDOG_CI_BINARY}
binary=${3:?usage: python.sh SOURCE_DIR WORK_DIR MAILDOG_CI_BINARY}
python=/usr/bin/python3

missing=()
for module in venv ensurepip pip setuptools pytest xdist; do
  "$python" -c "import $module" 2>/dev/null || missing+=("$module")
done
command -v mypy >/dev/null || missing+=(mypy)
if ((${#missing[@]})); then
  echo "missing Python modules or tools: ${missing[*]} (ci/packages.txt, test set: bash ci/install-deps.sh test)"
  [[ ${CI:-} == true ]] && exit 1
  echo "SKIPPED"
  exit 77
fi

# The package is copied first: pip builds in the folder it is given (egg-info, build/), and the
# source tree stays clean.
rm -rf "$work_dir/python"
mkdir -p "$work_dir/python"
cp -r "$source_dir/clients/python" "$work_dir/python/package"
venv="$work_dir/python/venv"
"$python" -m venv --system-site-packages "$venv"
"$venv/bin/pip" install --quiet --no-build-isolation --no-index --disable-pip-version-check "$work_dir/python/package"

# Typed (py.typed): the installed package passes mypy --strict.
(cd "$work_dir/python/package" && mypy --strict --no-incremental --cache-dir=/dev/null src/maildog)

cd "$source_dir/clients/python/tests"
export MAILDOG_CI="$binary" MAILDOG_SOURCE_DIR="$source_dir"
unset MAILDOG_CONFIG MAILDOG_API_TOKEN
exec "$venv/bin/python" -m pytest -p no:cacheprovider -q -ra --rootdir "$source_dir/clients/python/tests" \
  --basetemp "$work_dir/python/tmp" .
