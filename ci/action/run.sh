#!/usr/bin/env bash
# The action's run step: `maildog-ci run` with the action's inputs (INPUT_* variables), or
# `maildog-ci merge` of shard reports when INPUT_MERGE is set. Writes passed, failed, junit,
# json and html to $GITHUB_OUTPUT and exits with maildog-ci's exit code, so a failed scenario
# fails the step. Annotations and the job summary come from maildog-ci itself
# (GITHUB_ACTIONS=true). Runs in the workspace; report folders are created as needed.
set -euo pipefail

binary=${MAILDOG_BINARY:-maildog-ci}
junit=${INPUT_JUNIT-}
json=${INPUT_JSON-}
html=${INPUT_HTML-}

# passed/failed are read from a JSON report: keep one even when no JSON report is wanted.
counts=$json
if [[ -z $counts ]]; then
  counts=$(mktemp "${RUNNER_TEMP:-/tmp}/maildog-ci-counts.XXXXXX.json")
fi
rm -f -- "$counts"  # a stale report must not give this run's counts
for report in "$junit" "$json" "$html"; do
  [[ -n $report ]] && mkdir -p -- "$(dirname -- "$report")"
done

if [[ -n ${INPUT_MERGE-} ]]; then
  # Lists are whitespace-separated (spaces or newlines), as workflow authors write them.
  read -r -d '' -a patterns <<<"$INPUT_MERGE" || true
  reports=()
  shopt -s nullglob globstar
  for pattern in "${patterns[@]}"; do
    # shellcheck disable=SC2206 # the pattern is meant to expand
    matches=($pattern)
    if ((${#matches[@]} == 0)); then
      matches=("$pattern")  # maildog-ci names what is missing
    fi
    reports+=("${matches[@]}")
  done
  shopt -u nullglob globstar
  command=("$binary" merge --json "$counts")
  [[ -n $junit ]] && command+=(--junit "$junit")
  command+=("${reports[@]}")
else
  read -r -d '' -a scenarios <<<"${INPUT_SCENARIOS:-scenarios/}" || true
  read -r -d '' -a extra <<<"${INPUT_ARGS-}" || true
  command=("$binary" run "${scenarios[@]}" --json "$counts")
  [[ -n $junit ]] && command+=(--junit "$junit")
  [[ -n $html ]] && command+=(--html "$html")
  [[ -n ${INPUT_SHARD-} ]] && command+=(--shard "$INPUT_SHARD")
  # One seed for all shards of a workflow run, so the merged report's seed repeats all of them.
  seed=${INPUT_SEED:-${GITHUB_RUN_ID-}}
  [[ -n $seed ]] && command+=(--seed "$seed")
  command+=("${extra[@]}")
fi

echo "ci/action/run: ${command[*]}"
set +e
"${command[@]}"
status=$?
set -e

case $status in
  0 | 1) ;;
  2) echo "::error title=maildog-ci::invalid scenario files, reports or options (exit 2): see the messages above" ;;
  *) echo "::error title=maildog-ci::the environment failed (exit $status): see the messages above" ;;
esac
# .totals.NAME of the report: with jq where it is installed (the build path installs it, GitHub's
# runners have it), else read from the report's own layout (the download path installs nothing).
total() {
  if command -v jq >/dev/null; then
    jq -r ".totals.$1" "$counts"
  else
    sed -n '/"totals": {/,/}/ s/^ *"'"$1"'": *\([0-9][0-9]*\).*/\1/p' "$counts" | head -n 1
  fi
}
{
  if [[ -f $counts ]]; then
    echo "passed=$(total passed)"
    echo "failed=$(total failed)"
  fi
  echo "junit=$junit"
  echo "json=$json"
  echo "html=$html"
} >>"${GITHUB_OUTPUT:-/dev/stdout}"
if [[ -z $json ]]; then
  rm -f -- "$counts"
fi
exit "$status"
