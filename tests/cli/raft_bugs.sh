#!/usr/bin/env bash
# Every known Raft bug is found by a sweep of a shipped scenario, names the invariant it
# breaks, and `faultline run --seed N` of the first failing seed reproduces the same
# violation at the same step, twice over.  (The correct protocol passes the same
# scenarios: raft_chaos.sh.)
source "$(dirname "$0")/lib/common.bash"

"$FL" protocols 2>/dev/null | grep -q '^raft' || {
  fail "raft is not registered in this binary (sim/protocols/registry.c)"
  finish
}
SCN=$SRC/sim/scenarios

# bug  scenario  seeds  the invariants it may break (a regular expression)
while read -r bug sc seeds checks; do
  set_bug="params.bugs=[\"$bug\"]"
  "$FL" sweep "$SCN/$sc.json" --set "$set_bug" --seeds "$seeds" --stop-after 1 -j 2 \
    --db "$bug.db" --record none --quiet >/dev/null 2>"$bug.err"
  rc=$?
  [ "$rc" = 1 ] || { fail "$bug: sweep of $sc exited $rc, expected 1: $(head -c 300 "$bug.err")"; continue; }
  row=$("$FL" query "$bug.db" "SELECT seed, check_name, fail_step FROM runs WHERE outcome = 'violation' ORDER BY seed LIMIT 1" --format csv | tail -n 1)
  IFS=, read -r seed check step <<<"$row"
  [[ "$check" =~ ^($checks)$ ]] && pass || fail "$bug: seed $seed broke '$check', expected one of $checks"
  for i in 1 2; do
    "$FL" run "$SCN/$sc.json" --set "$set_bug" --seed "$seed" >"$bug.run$i" 2>/dev/null
    rc=$?
    [ "$rc" = 1 ] || fail "$bug: run --seed $seed exited $rc, expected 1"
  done
  grep -qE "^outcome: +violation \($check: " "$bug.run1" && pass || fail "$bug: run --seed $seed: $(grep '^outcome' "$bug.run1")"
  grep -qE "^at step: +$step " "$bug.run1" && pass || fail "$bug: run --seed $seed: $(grep '^at step' "$bug.run1"), the sweep said step $step"
  cmp -s "$bug.run1" "$bug.run2" && pass || fail "$bug: two runs of seed $seed differ"
done <<'TABLE'
quorum_off_by_one  raft-chaos    200   election_safety|durability
forget_vote        raft-crash    2000  election_safety|leader_completeness
accept_stale_term  raft-crash    500   durability|state_machine_safety|leader_completeness
keep_conflicts     raft-chaos    200   durability|log_matching|state_machine_safety
vote_any_log       raft-chaos    200   leader_completeness
commit_old_term    raft-figure8  5000  leader_completeness
ack_before_sync    raft-chaos    50    durability
TABLE
finish
