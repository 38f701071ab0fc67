#!/usr/bin/env bash
# faultline diff DB A B: the same run twice (or a replay of it) is "identical", exit 0;
# two seeds, and a run and its script, differ (exit 1) at the first step whose digest
# chain differs, with the faults of one and not the other and the node states that
# differ there; --json says the same; bad input is one line on stderr, exit 2.
source "$(dirname "$0")/lib/common.bash"

sc="$SRC/sim/scenarios/raft-chaos.json"
bug='params.bugs=["vote_any_log"]'
"$FL" run "$sc" --seed 1 --set "$bug" --db d.db >/dev/null 2>&1           # run 1
"$FL" run "$sc" --seed 1 --set "$bug" --db d.db >/dev/null 2>&1           # run 2: the same
"$FL" run "$sc" --seed 2 --set "$bug" --db d.db >/dev/null 2>&1           # run 3
"$FL" script d.db 1 --out s.json >/dev/null
"$FL" run s.json --db d.db >/dev/null 2>&1 </dev/null                     # run 4: its script

expect_exit 0 "same run twice" -- "$FL" diff d.db 1 1
grep -q '^identical: the same [0-9]* steps, digest [0-9a-f]\{16\}$' out && pass ||
  fail "a run against itself is identical: $(cat out)"
expect_exit 0 "a rerun of the same seed" -- "$FL" diff d.db 1 2
grep -q '^identical' out && grep -q '^faults only in run 1 (0 of [0-9]*): none$' out && pass ||
  fail "the same seed twice is identical, with the same faults: $(cat out)"

# two seeds: the first divergent step is the first step whose chain differs
want=$(sqlite3 d.db "SELECT min(a.step) FROM events a JOIN events b ON b.run_id = 3 AND b.step = a.step
                     WHERE a.run_id = 1 AND a.chain <> b.chain")
expect_exit 1 "two seeds" -- "$FL" diff d.db 1 3
grep -q "^first divergent step: $want$" out && pass || fail "two seeds diverge at step $want: $(head -5 out)"
grep -q "^  run 1 #$want: " out && grep -q "^  run 3 #$want: " out && pass ||
  fail "each run's step there is shown"
grep -q '^faults only in run 1 ([1-9][0-9]* of [0-9]*):$' out && pass || fail "seed 1 has faults seed 3 has not"
grep -q "^states that differ after step $want:" out && pass || fail "the states at that step are compared"

# a run and its script: they part at once (the script has no timing), the script has no
# faults, and both end in the same check
expect_exit 1 "a run and its script" -- "$FL" diff d.db 1 4
grep -q '^faults only in run 4 (0 of 0): none$' out && pass || fail "the script has no faults: $(grep '^faults' out)"
[ "$(grep -c '(leader_completeness) at step' out)" = 2 ] && pass ||
  fail "both runs fail leader_completeness: $(head -2 out)"

# a bug's script with the bug on and off: they part where the bug acts, and node 1's
# state there shows it (a leader with the bug, still a candidate without)
q="$SRC/tests/scripts/bugs/quorum_off_by_one.json"
"$FL" run "$q" --db q.db >/dev/null 2>&1 </dev/null
"$FL" run "$q" --set 'params.bugs=[]' --db q.db >/dev/null 2>&1 </dev/null
expect_exit 1 "bug on and off" -- "$FL" diff q.db 1 2
grep -q '^  node 1: role "leader" | "candidate", ' out && pass ||
  fail "the state that differs is shown, key by key: $(grep -A3 '^states' out)"

# --json: the same answers, parseable
expect_exit 1 "--json" -- "$FL" diff d.db 1 3 --json
[ "$(jq -r '.identical' out)" = false ] && [ "$(jq -r '.first_divergent_step' out)" = "$want" ] &&
  [ "$(jq -r '.a.run' out)" = 1 ] && [ "$(jq -r '.b.run' out)" = 3 ] && pass ||
  fail "--json: $(head -c 300 out)"
[ "$(jq '.a.faults_only_here | length' out)" -gt 0 ] && pass || fail "--json lists faults only in a"
expect_exit 0 "--json identical" -- "$FL" diff d.db 2 1 --json
[ "$(jq -r '.identical' out)" = true ] && [ "$(jq -r '.first_divergent_step' out)" = null ] && pass ||
  fail "--json identical: $(head -c 300 out)"

# a run not recorded in full: steps cannot be compared, and diff says why
"$FL" sweep "$sc" --seeds 2 -j 1 --set 'params.bugs=["quorum_off_by_one"]' --db sw.db \
  --record-max 1 --quiet >/dev/null 2>&1
expect_exit 1 "a bare run" -- "$FL" diff sw.db 1 2
grep -q '^first divergent step: unknown (a run not recorded in full' out && pass ||
  fail "a bare run's steps cannot be compared: $(cat out)"

# ---- bad input ----
sum=$(sha256sum d.db)
expect_exit 2 "missing run" -- "$FL" diff d.db 1 9
expect_error_line '^faultline: diff: no run 9 in d.db$' "missing run"
echo "not a database" >junk.db
expect_exit 2 "not our db" -- "$FL" diff junk.db 1 2
expect_error_line '^faultline: diff: junk.db: not a faultline database' "not our db"
expect_exit 2 "missing db" -- "$FL" diff nothere.db 1 2
expect_error_line 'nothere.db' "missing db"
[ ! -e nothere.db ] && pass || fail "a missing database is not created"
expect_exit 2 "one run only" -- "$FL" diff d.db 1
expect_error_line '^faultline: diff: expected DB and two run ids A B' "one run only"
expect_exit 2 "bad run id" -- "$FL" diff d.db 1 two
expect_error_line "two" "bad run id"
expect_exit 2 "unknown option" -- "$FL" diff d.db 1 2 --step 3
expect_error_line "^faultline: diff: unknown option '--step'" "unknown option"
[ "$(sha256sum d.db)" = "$sum" ] && pass || fail "diff changes nothing in the database"

finish
