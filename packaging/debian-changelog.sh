#!/usr/bin/env bash
# Prints CHANGELOG.md as a Debian changelog: one entry for VERSION, its text the Markdown folded
# to 78 columns (a list item's continuation lines keep the item's indentation), dated by
# SOURCE_DATE_EPOCH, else the last commit, else now. A native package's changelog.gz must parse
# as a Debian changelog (lintian). Run by cmake/package.cmake at configure time.
# Usage: packaging/debian-changelog.sh NAME VERSION MAINTAINER CHANGELOG.md
set -euo pipefail
name=${1:?usage: debian-changelog.sh NAME VERSION MAINTAINER CHANGELOG.md}
version=${2:?usage: debian-changelog.sh NAME VERSION MAINTAINER CHANGELOG.md}
maintainer=${3:?usage: debian-changelog.sh NAME VERSION MAINTAINER CHANGELOG.md}
changelog=${4:?usage: debian-changelog.sh NAME VERSION MAINTAINER CHANGELOG.md}

epoch=${SOURCE_DATE_EPOCH:-}
[[ -n $epoch ]] || epoch=$(git -C "$(dirname "$changelog")" log -1 --format=%ct 2>/dev/null || true)
[[ -n $epoch ]] || epoch=$(date +%s)

printf '%s (%s) unstable; urgency=medium\n\n' "$name" "$version"
awk -v width=76 '
  function emit(text) { sub(/[ \t]+$/, "", text); print (text == "" ? "" : "  " text) }
  # Prints one paragraph or list item, folded; continuation lines line up with its text.
  function flush(   line, hang, cut, i) {
    if (!pending) return
    line = para
    match(line, /^ *(- )?/)
    hang = sprintf("%*s", RLENGTH, "")
    while (length(line) > width) {
      cut = 0
      for (i = width + 1; i > length(hang); i--) if (substr(line, i, 1) == " ") { cut = i; break }
      if (!cut) break
      emit(substr(line, 1, cut - 1))
      line = hang substr(line, cut + 1)
    }
    emit(line)
    pending = 0
  }
  /^[ \t]*$/ { flush(); print ""; next }
  /^#/ || /^ *- / || /^ *```/ || !pending { flush(); para = $0; pending = 1; next }
  { sub(/^ +/, ""); para = para " " $0 }
  END { flush() }' "$changelog"
printf '\n -- %s  %s\n' "$maintainer" "$(date -u -R -d "@$epoch")"
