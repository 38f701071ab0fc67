#!/usr/bin/env bash
# cli_shrink_budget.sh -- `faultline shrink --budget` bounds the whole command, the
# final recording included (docs/shrink.md, "Budget, parallelism, determinism"): a
# shrink of raft-figure8 seed 6 with commit_old_term (1,358 decisions, which no budget
# this short can finish) given 3 s ends within 3 s of wall time by the clock of this
# test, says it is not 1-minimal, and records its result; and a capped shrink of that
# run, whose candidates stop at the original's failing time plus a margin and go to the
# pool in batches that grow, gives the same schedule and digest at -j1 and -j2.
source "$(dirname "$0")/lib/common.bash"

SC="$SRC/sim/scenarios/raft-figure8.json"
BUG='params.bugs=["commit_old_term"]'
"$FL" run "$SC" --seed 6 --set "$BUG" --db a.db >/dev/null 2>&1
[ "$(sqlite3 a.db "SELECT outcome || ' ' || check_name FROM runs WHERE id = 1")" = "violation leader_completeness" ] &&
  pass || fail "run 1 fails leader_completeness"

# ---- the budget bounds the whole command ----
cp a.db b.db
t0=$(date +%s%N)
expect_exit 0 "shrink with a 3 s budget" -- "$FL" shrink b.db 1 -j 2 --budget 3s --out b.json && cp out b.out
t1=$(date +%s%N)
ms=$(((t1 - t0) / 1000000))
[ "$ms" -lt 3000 ] && pass || fail "a 3 s budget took $ms ms from start to exit"
grep -q '1-minimal: no (the budget ran out)' b.out && pass ||
  fail "the budget ran out before the shrink ended: $(grep candidates b.out)"
[ "$(sqlite3 b.db "SELECT count(*) FROM runs WHERE origin = 'shrink' AND recorded = 'all'")" = 1 ] && pass ||
  fail "the smallest schedule found was recorded"
[ "$(sqlite3 b.db "SELECT wall_us < 3000000 FROM shrinks")" = 1 ] && pass ||
  fail "shrinks.wall_us under the budget: $(sqlite3 b.db "SELECT wall_us FROM shrinks")"

# ---- determinism with stopped candidates and growing batches ----
cp a.db j1.db
cp a.db j2.db
expect_exit 0 "capped shrink -j1" -- "$FL" shrink j1.db 1 -j 1 --max-candidates 150 --out j1.json && cp out j1.out
expect_exit 0 "capped shrink -j2" -- "$FL" shrink j2.db 1 -j 2 --max-candidates 150 --out j2.json && cp out j2.out
cmp -s j1.json j2.json && pass || fail "-j1 and -j2 give different schedules"
[ -n "$(grep digest j1.out)" ] && [ "$(grep digest j1.out)" = "$(grep digest j2.out)" ] && pass ||
  fail "-j1 and -j2 give different digests: $(grep digest j1.out) / $(grep digest j2.out)"
grep -q '^shrink: 150 candidates' j1.out && grep -q '^shrink: 150 candidates' j2.out && pass ||
  fail "both count 150 candidates: $(grep candidates j1.out) / $(grep candidates j2.out)"
before=$(sqlite3 j1.db "SELECT decisions_before FROM shrinks")
after=$(sqlite3 j1.db "SELECT decisions_after FROM shrinks")
[ "$after" -lt "$before" ] && pass || fail "150 candidates removed nothing: $before -> $after"

finish
