#!/usr/bin/env bash
# tests/scripts/bugs/<bug>.json: one script per known Raft bug (docs/raft.md), converted
# by `faultline script` from the failing seed with the fewest steps to its failure
# (tests/scripts/bugs/generate.sh).  Each runs with no seed and no timing to a violation
# of the check that catches its bug, its expects holding on the way (a failed expect
# would end it as divergence).
source "$(dirname "$0")/lib/common.bash"

dir="$SRC/tests/scripts/bugs"
while read -r bug check; do
  f="$dir/$bug.json"
  [ -f "$f" ] || { fail "$bug: no script $f"; continue; }
  expect_exit 1 "$bug script" -- "$FL" run "$f" </dev/null || continue
  got=$(sed -n 's/^outcome: *//p' out)
  case "$got" in
  "violation ($check:"*) pass ;;
  *) fail "$bug: '$got', expected a violation of $check" ;;
  esac
  [ "$(jq -r '.params.bugs | join(",")' "$f")" = "$bug" ] && pass || fail "$bug: the script turns on $bug alone"
  # the violation is the bug's: with the bug off, the same script does not reach it
  "$FL" run "$f" --set 'params.bugs=[]' </dev/null >out 2>err
  case "$(sed -n 's/^outcome: *//p' out)" in
  "violation ($check:"*) fail "$bug: the script fails $check with the bug off too" ;;
  *) pass ;;
  esac
done <<'TABLE'
quorum_off_by_one durability
forget_vote election_safety
accept_stale_term state_machine_safety
keep_conflicts durability
vote_any_log leader_completeness
commit_old_term leader_completeness
ack_before_sync durability
stale_read linearizability
early_ack linearizability
TABLE
[ "$(ls "$dir"/*.json | wc -l)" = 9 ] && pass || fail "one script per known bug, 9 in all"

finish
