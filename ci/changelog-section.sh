#!/usr/bin/env bash
# Prints the section of one version of CHANGELOG.md (Keep a Changelog: `## [X.Y.Z] - DATE`, or
# `## [Unreleased]`), without its heading, up to the next `## ` heading or the link references
# at the end: the release notes of that version. Fails, naming the versions it has, when the
# changelog has no such section or the section is empty.
# Usage: ci/changelog-section.sh VERSION [CHANGELOG]   (VERSION: 0.1.0, v0.1.0 or Unreleased;
#        CHANGELOG defaults to the repository's CHANGELOG.md)
set -euo pipefail
version=${1:?usage: ci/changelog-section.sh VERSION [CHANGELOG]}
changelog=${2:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/CHANGELOG.md}
version=${version#v}
[[ -f $changelog ]] || { echo "ci/changelog-section: no changelog at $changelog" >&2; exit 1; }

section=$(awk -v wanted="$version" '
  # A version heading: "## [X.Y.Z]" with an optional " - DATE", or "## X.Y.Z".
  function heading_version(line) {
    sub(/^## +\[?/, "", line)
    sub(/\].*$/, "", line)
    sub(/ .*$/, "", line)
    return line
  }
  /^## / { inside = (heading_version($0) == wanted); found = found || inside; next }
  /^\[[^]]+\]: / { inside = 0 }   # the link references at the end
  inside { print }
  END { exit found ? 0 : 3 }
' "$changelog") || {
  status=$?
  if ((status == 3)); then
    known=$(sed -n 's/^## \[\{0,1\}\([^] ]*\).*/\1/p' "$changelog" | paste -sd, - | sed 's/,/, /g')
    echo "ci/changelog-section: $changelog has no section for $version (its sections: ${known:-none}); add '## [$version] - YYYY-MM-DD' before tagging" >&2
  fi
  exit 1
}
# Without the blank lines around it.
section=$(sed -e '/./,$!d' <<<"$section")
[[ -n $section ]] || { echo "ci/changelog-section: the section for $version in $changelog is empty" >&2; exit 1; }
printf '%s\n' "$section"
