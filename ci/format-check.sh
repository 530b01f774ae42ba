#!/usr/bin/env bash
# Fails when a tracked C/C++ file is not formatted as the repository's .clang-format says, listing
# the files and how to fix them. The style is clang-format 14's (Debian 12's): other versions
# format some constructs differently, so the check refuses to judge with another one.
# Usage: ci/format-check.sh                 every tracked C/C++ file (src, tests, fuzz, bench,
#                                           packaging/launcher)
#        ci/format-check.sh --changed BASE  only those changed since the branch left BASE (a commit,
#                                           branch or tag; committed and uncommitted changes alike)
# Environment: CLANG_FORMAT, the program to run (default: clang-format-14, else clang-format).
# Exit: 0 formatted, 1 some file is not, 2 usage or setup error, 77 clang-format missing outside CI.
set -euo pipefail

usage="usage: ci/format-check.sh [--changed BASE]"
base=
case $# in
  0) ;;
  2) [[ $1 == --changed && -n $2 ]] || { echo "$usage" >&2; exit 2; }; base=$2 ;;
  *) echo "$usage" >&2; exit 2 ;;
esac

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
[[ -f .clang-format ]] || { echo "ci/format-check: no .clang-format in $root" >&2; exit 2; }

clang_format=${CLANG_FORMAT:-}
if [[ -z $clang_format ]]; then
  clang_format=clang-format
  command -v clang-format-14 >/dev/null && clang_format=clang-format-14
fi
if ! command -v "$clang_format" >/dev/null; then
  message="$clang_format is not installed (ci/packages.txt: clang-format, in the test set)"
  # In CI the test set is installed: a missing tool there is a failure, not a skip.
  [[ ${CI:-} == true ]] && { echo "ci/format-check: $message" >&2; exit 2; }
  echo "SKIPPED: $message"
  exit 77
fi
version=$("$clang_format" --version)
if [[ ! $version =~ version\ 14\. ]]; then
  echo "ci/format-check: .clang-format is tuned for clang-format 14 (Debian 12's); $clang_format is: $version" >&2
  echo "ci/format-check: install Debian 12's clang-format, or set CLANG_FORMAT to a clang-format 14" >&2
  exit 2
fi

# The C/C++ sources of the check: what is built, tested, fuzzed and benchmarked.
folders=(src tests fuzz bench packaging/launcher)
is_source() { [[ $1 =~ \.(c|cc|cpp|cxx|h|hh|hpp|hxx)$ ]]; }

files=()
if [[ -n $base ]]; then
  git rev-parse --verify --quiet "$base^{commit}" >/dev/null ||
    { echo "ci/format-check: $base names no commit" >&2; exit 2; }
  # Since the merge base, so that what BASE gained meanwhile is not counted as this branch's.
  since=$(git merge-base "$base" HEAD)
  # Against the working tree: uncommitted edits count too; deleted files are not checked.
  while IFS= read -r -d '' path; do
    is_source "$path" && files+=("$path")
  done < <(git diff -z --name-only --no-renames --diff-filter=d "$since" -- "${folders[@]}")
  # New files not yet added to git are changes too.
  while IFS= read -r -d '' path; do
    is_source "$path" && files+=("$path")
  done < <(git ls-files -z --others --exclude-standard -- "${folders[@]}")
else
  while IFS= read -r -d '' path; do
    is_source "$path" && files+=("$path")
  done < <(git ls-files -z -- "${folders[@]}")
fi

if ((${#files[@]} == 0)); then
  echo "ci/format-check: no C/C++ file to check${base:+ (none changed since $base)}"
  exit 0
fi

unformatted=()
for path in "${files[@]}"; do
  # --dry-run --Werror: exit non-zero, without touching the file, when a reformat would change it.
  if ! "$clang_format" --style=file --dry-run --Werror "$path" >/dev/null 2>&1; then
    unformatted+=("$path")
  fi
done

if ((${#unformatted[@]} == 0)); then
  echo "ci/format-check: ${#files[@]} files formatted as .clang-format says"
  exit 0
fi
echo "ci/format-check: ${#unformatted[@]} of ${#files[@]} files are not formatted as .clang-format says:" >&2
printf '  %s\n' "${unformatted[@]}" >&2
echo "Format them with clang-format 14 (Debian 12's) and commit the result:" >&2
printf '  clang-format -i %s\n' "${unformatted[@]}" >&2
exit 1
