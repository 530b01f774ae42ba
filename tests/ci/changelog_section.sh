#!/usr/bin/env bash
# ci/changelog-section.sh, the release notes of the release workflow: the real CHANGELOG.md's
# Unreleased section, a missing version (a clear error naming the sections there are), and on a
# changelog of several versions: each section alone, without the next one or the link references.
# Usage: tests/ci/changelog_section.sh SOURCE_DIR
set -euo pipefail
source_dir=${1:?usage: changelog_section.sh SOURCE_DIR}
script=$source_dir/ci/changelog-section.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAILED: $*"; failures=$((failures + 1)); }

# run NAME ARGS...: stdout to $tmp/NAME.out, stderr to $tmp/NAME.err, exit code in $status.
run() {
  local name=$1
  shift
  set +e
  bash "$script" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
  status=$?
  set -e
}

# The real changelog.
run real Unreleased
((status == 0)) || fail "Unreleased of CHANGELOG.md: exit $status: $(cat "$tmp/real.err")"
first=$(awk '/^## \[Unreleased\]/ { on = 1; next } on && NF { print; exit }' "$source_dir/CHANGELOG.md")
[[ $(head -n 1 "$tmp/real.out") == "$first" ]] || fail "the Unreleased section starts with '$(head -n 1 "$tmp/real.out")', not '$first'"
grep -qx '### Added' "$tmp/real.out" || fail "the Unreleased section has no '### Added'"
! grep -q '^## ' "$tmp/real.out" || fail "the section holds another section's heading: $(grep '^## ' "$tmp/real.out")"

run missing 99.0.0
((status == 1)) || fail "a missing version exits $status, not 1"
[[ ! -s $tmp/missing.out ]] || fail "a missing version printed release notes: $(cat "$tmp/missing.out")"
grep -qF "$source_dir/CHANGELOG.md has no section for 99.0.0 (its sections: Unreleased" "$tmp/missing.err" ||
  fail "a missing version's message: $(cat "$tmp/missing.err")"

# A changelog of several versions.
cat >"$tmp/CHANGELOG.md" <<'MD'
# Changelog

## [Unreleased]

## [0.2.0] - 2027-01-02

### Added
- Two.

## [0.1.0] - 2026-12-07
### Fixed
- One, see [#1].

[Unreleased]: https://example.test/compare/v0.2.0...HEAD
[0.2.0]: https://example.test/compare/v0.1.0...v0.2.0
MD
run two v0.2.0 "$tmp/CHANGELOG.md"
[[ $status == 0 && $(cat "$tmp/two.out") == $'### Added\n- Two.' ]] || fail "0.2.0 gave exit $status and '$(cat "$tmp/two.out")'"
run one 0.1.0 "$tmp/CHANGELOG.md"
[[ $status == 0 && $(cat "$tmp/one.out") == $'### Fixed\n- One, see [#1].' ]] || fail "0.1.0 gave exit $status and '$(cat "$tmp/one.out")'"
run empty Unreleased "$tmp/CHANGELOG.md"
if ((status != 1)) || ! grep -q "the section for Unreleased in .* is empty" "$tmp/empty.err"; then
  fail "an empty section: exit $status, '$(cat "$tmp/empty.err")'"
fi
run prefix 0.1 "$tmp/CHANGELOG.md"
if ((status != 1)) || ! grep -qF "has no section for 0.1 (its sections: Unreleased, 0.2.0, 0.1.0)" "$tmp/prefix.err"; then
  fail "a version that is only a prefix of one: exit $status, '$(cat "$tmp/prefix.err")'"
fi

if ((failures)); then
  echo "$failures problem(s) with ci/changelog-section.sh"
  exit 1
fi
echo "ci/changelog-section.sh: each version's section alone; missing and empty sections fail clearly"
