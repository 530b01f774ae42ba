#!/usr/bin/env bash
# Prints the packages of the given sets of ci/packages.txt, one a line, each once, in the
# manifest's order. Usage: ci/packages.sh SET...   (sets: runtime build scenarios action test fuzz bench workflow package examples)
set -euo pipefail
(($#)) || { echo "usage: ci/packages.sh SET..." >&2; exit 2; }
manifest="$(dirname "${BASH_SOURCE[0]}")/packages.txt"
known=$(awk '!/^#/ && NF { print $1 }' "$manifest" | sort -u)
for set in "$@"; do
  grep -qx -- "$set" <<<"$known" || { echo "ci/packages: no set '$set' in $manifest (sets: $(echo $known))" >&2; exit 2; }
done
awk -v wanted="$*" '
  BEGIN { n = split(wanted, sets, " "); for (i = 1; i <= n; i++) want[sets[i]] = 1 }
  /^#/ || NF == 0 { next }
  ($1 in want) && !seen[$2]++ { print $2 }
' "$manifest"
