#!/usr/bin/env bash
# ci/format-check.sh on a throwaway git repository holding the real script and .clang-format: a
# formatted tree passes; an unformatted file fails the check, which names it and the command that
# formats it; --changed BASE looks only at files changed since BASE (committed, uncommitted or new,
# deleted ones left out), only C/C++ files under the checked folders count, and bad usage is refused.
# Usage: tests/ci/format_check.sh SOURCE_DIR
set -euo pipefail
source_dir=${1:?usage: format_check.sh SOURCE_DIR}
clang_format=${CLANG_FORMAT:-clang-format}
command -v clang-format-14 >/dev/null && clang_format=${CLANG_FORMAT:-clang-format-14}
if ! command -v "$clang_format" >/dev/null; then
  [[ ${CI:-} == true ]] && { echo "FAILED: clang-format is not installed, and CI installs the test set"; exit 1; }
  echo "SKIPPED: clang-format is not installed (ci/packages.txt: clang-format, in the test set)"
  exit 77
fi
command -v git >/dev/null || { echo "SKIPPED: git is not installed"; exit 77; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
repo=$work/repo
mkdir -p "$repo/ci" "$repo/src" "$repo/tests" "$repo/examples"
cp "$source_dir/ci/format-check.sh" "$repo/ci/"
cp "$source_dir/.clang-format" "$repo/"
cd "$repo"
git init -q -b main
git config user.email test@maildog.test
git config user.name format-check-test

failures=0
fail() { echo "FAILED: $*"; failures=$((failures + 1)); }
# check NAME EXPECTED_STATUS ARGS...: runs the check, keeps its output in $out.
check() {
  local name=$1 expected=$2 status=0
  shift 2
  out=$(bash ci/format-check.sh "$@" 2>&1) || status=$?
  if ((status != expected)); then
    fail "$name: exit $status, expected $expected; output:"
    printf '%s\n' "$out"
  fi
}
has() { grep -qF -- "$2" <<<"$out" || fail "$1: the output lacks '$2'; it was: $out"; }
lacks() { ! grep -qF -- "$2" <<<"$out" || fail "$1: the output names '$2'; it was: $out"; }

# Formatted as .clang-format says: clang-format's own output.
write_formatted() {  # write_formatted PATH
  printf 'int answer(int x) {\n  if (x > 0) {\n    return x;\n  }\n  return 0;\n}\n' >"$1"
  "$clang_format" --style=file -i "$1"
}
write_unformatted() {  # write_unformatted PATH
  printf 'int  twice( int x ){return x*2;}\n' >"$1"
}

write_formatted src/good.cpp
write_formatted tests/test_good.hpp
write_unformatted examples/app.cpp  # not a checked folder
echo 'not C++' >src/notes.txt
git add -A
git commit -qm base
base=$(git rev-parse HEAD)

check "a formatted tree" 0
has "a formatted tree" "2 files formatted"
lacks "a formatted tree" "examples/app.cpp"

write_unformatted src/bad.cpp
git add src/bad.cpp
git commit -qm "an unformatted file"
check "an unformatted file" 1
has "an unformatted file" "1 of 3 files are not formatted"
has "an unformatted file" "  src/bad.cpp"
has "an unformatted file" "clang-format -i src/bad.cpp"
lacks "an unformatted file" "src/good.cpp"

check "--changed: the committed change" 1 --changed "$base"
has "--changed: the committed change" "1 of 1 files are not formatted"
has "--changed: the committed change" "clang-format -i src/bad.cpp"

check "--changed HEAD: nothing changed" 0 --changed HEAD
has "--changed HEAD: nothing changed" "no C/C++ file to check (none changed since HEAD)"

# Uncommitted and untracked files count; a non-C++ file and a deleted file do not.
write_unformatted tests/test_good.hpp
write_unformatted src/new.c
echo changed >src/notes.txt
git rm -q src/good.cpp
check "--changed: uncommitted edits and new files" 1 --changed HEAD
has "--changed: uncommitted edits and new files" "2 of 2 files are not formatted"
has "--changed: uncommitted edits and new files" "clang-format -i tests/test_good.hpp"
has "--changed: uncommitted edits and new files" "clang-format -i src/new.c"
lacks "--changed: uncommitted edits and new files" "notes.txt"
lacks "--changed: uncommitted edits and new files" "good.cpp"

# The hint works: after it, the same check passes.
"$clang_format" --style=file -i tests/test_good.hpp src/new.c src/bad.cpp
check "after clang-format -i" 0 --changed "$base"
has "after clang-format -i" "3 files formatted"
check "after clang-format -i, every file" 0

# A branch point, not BASE's tip: what BASE gained since does not count.
git add -A
git commit -qm formatted
git checkout -q -b topic
write_formatted src/topic.cpp
git add src/topic.cpp
git commit -qm topic
git checkout -q main
write_unformatted src/main_only.cpp
git add src/main_only.cpp
git commit -qm "main moves on"
git checkout -q topic
check "--changed main from a branch" 0 --changed main
has "--changed main from a branch" "1 files formatted"

check "an unknown option" 2 --all
check "--changed without BASE" 2 --changed
check "--changed with an unknown BASE" 2 --changed no-such-branch
has "--changed with an unknown BASE" "no-such-branch names no commit"

if ((failures > 0)); then
  echo "$failures checks failed"
  exit 1
fi
echo "ci/format-check.sh: every case passed"
