#!/usr/bin/env bash
# show narrows: --from/--to, --around/--context, --node; a failing run is shown around
# its failing step by default, with the violation marked inline; a run stored bare says
# so and prints the command that records it (exit 1), and that command works; a step
# past the end is exit 2 with one line.
source "$(dirname "$0")/lib/common.bash"

sc="$SRC/sim/scenarios/raft-chaos.json"
bug='params.bugs=["quorum_off_by_one"]'
# seeds 1..3 all fail; only the first is recorded in full
"$FL" sweep "$sc" --seeds 3 -j 1 --db s.db --set "$bug" --record-max 1 --quiet >/dev/null 2>&1
[ "$(sqlite3 s.db "SELECT group_concat(recorded) FROM (SELECT recorded FROM runs ORDER BY id)")" = all,none,none ] &&
  pass || fail "the sweep recorded run 1 in full, 2 and 3 bare"
fail_step=$(sqlite3 s.db "SELECT fail_step FROM runs WHERE id = 1")
check=$(sqlite3 s.db "SELECT check_name FROM runs WHERE id = 1")
steps() { grep '^\[' out | sed 's/.*#\([0-9]*\)\].*/\1/' | sort -n | uniq; }

# default: around the failing step, marked
expect_exit 0 "show failing run" -- "$FL" show s.db 1 --context 3
[ "$(steps | head -1)" = $((fail_step - 3)) ] && [ "$(steps | tail -1)" = "$fail_step" ] && pass ||
  fail "a failing run is shown around its failing step $fail_step: $(steps | tr '\n' ' ')"
grep -qE "^\[ *[0-9.]+s #$fail_step\] >>> violation: $check: " out && pass ||
  fail "the failing step is marked with the check: $(grep '>>>' out)"
grep -q "^-- run 1, steps $((fail_step - 3))\.\.$fail_step of 0\.\.$fail_step (around the failing step" out &&
  pass || fail "the header says which steps are shown and why: $(head -1 out)"
expect_exit 0 "show --from 0" -- "$FL" show s.db 1 --from 0
[ "$(steps | head -1)" = 0 ] && [ "$(steps | wc -l)" = $((fail_step + 1)) ] && pass ||
  fail "--from 0 shows the whole run"

# --from/--to, --step, --around
expect_exit 0 "show --from --to" -- "$FL" show s.db 1 --from 2 --to 4
[ "$(steps | tr '\n' ' ')" = "2 3 4 " ] && pass || fail "--from 2 --to 4: $(steps | tr '\n' ' ')"
grep -q '^-- every node at step 4:' out && pass || fail "states are given at the last step shown"
grep -q "^-- the run fails at step $fail_step (violation: $check), outside steps 2..4" out && pass ||
  fail "a range without the failing step says where it is"
expect_exit 0 "show --around" -- "$FL" show s.db 1 --around 5 --context 1
[ "$(steps | tr '\n' ' ')" = "4 5 6 " ] && pass || fail "--around 5 --context 1: $(steps | tr '\n' ' ')"

# --node: only what that node does, sends and receives (and faults, node 0)
expect_exit 0 "show --node" -- "$FL" show s.db 1 --from 0 --node 2
grep '^\[' out >lines
grep -qE '\] (state|raft|start|timer|client|synced) [13]:' lines && fail "--node 2 shows other nodes' lines" || pass
grep -qE '\] state 2:' lines && pass || fail "--node 2 shows node 2's state changes"
grep -E '\] soup: ' lines | grep -vqE 'soup: (2 -> [0-9]+|[0-9]+ -> 2) ' && fail "--node 2 shows messages of others" || pass
[ "$(grep -c '^node ' out)" = 1 ] && grep -q '^node 2 ' out && pass || fail "--node 2: only node 2's state at the end"
expect_exit 0 "show two nodes" -- "$FL" show s.db 1 --from 0 --node 1 --node 3
[ "$(grep -c '^node ' out)" = 2 ] && pass || fail "--node is repeatable"

# a run stored bare
expect_exit 1 "show bare run" -- "$FL" show s.db 2
grep -q '^run 2 was not recorded in full' out && pass || fail "a bare run says so: $(cat out)"
cmd=$(sed -n 's/^To record it: //p' out)
[ "$cmd" = "faultline replay s.db 2 --record" ] && pass || fail "the command to record it: '$cmd'"
[ -s err ] && fail "nothing on stderr for a bare run: $(cat err)" || pass
expect_exit 0 "replay --record" -- "$FL" replay s.db 2 --record --quiet
grep -q '^replay: run 2 is now recorded in full' out && pass || fail "replay --record: $(tail -2 out)"
[ "$(sqlite3 s.db "SELECT recorded, origin, sweep_id FROM runs WHERE id = 2")" = "all|sweep|1" ] && pass ||
  fail "the same row, recorded in full: $(sqlite3 s.db "SELECT * FROM runs WHERE id = 2")"
[ "$(sqlite3 s.db "SELECT count(*) FROM runs")" = 3 ] && pass || fail "no new row"
[ "$(sqlite3 s.db "SELECT steps FROM runs WHERE id = 2")" = "$(sqlite3 s.db "SELECT count(*) FROM events WHERE run_id = 2")" ] &&
  pass || fail "every step of run 2 is in events"
expect_exit 0 "show recorded run" -- "$FL" show s.db 2
grep -q '>>> violation: ' out && pass || fail "the recorded run shows its violation"
expect_exit 0 "replay --record again" -- "$FL" replay s.db 2 --record --quiet
grep -q 'recorded in full already' out && pass || fail "a second --record changes nothing"

# a run in which no step completed: its row, not an empty trace
cp s.db zero.db
sqlite3 zero.db "UPDATE runs SET steps = 0, outcome = 'crash', check_name = 'crash', detail = 'Segmentation fault (signal 11)', fail_step = 0 WHERE id = 3"
expect_exit 0 "show, no step" -- "$FL" show zero.db 3
[ "$(cat out)" = "run 3: crash, no step completed: Segmentation fault (signal 11)" ] && pass ||
  fail "a run without steps: $(cat out)"
expect_exit 2 "show --step, no step" -- "$FL" show zero.db 3 --step 0 && expect_error_line 'run 3 has no steps' "--step 0 of no steps"

# bad input: one line, exit 2, and the database as it was
last=$fail_step
before=$(md5sum <s.db)
for args in "--step $((last + 1))" "--from $((last + 1))" "--around 99999" "--to 99999"; do
  expect_exit 2 "show $args" -- "$FL" show s.db 1 $args &&
    expect_error_line "past the end of run 1 \(steps 0\.\.$last\)" "show $args"
done
expect_exit 2 "from after to" -- "$FL" show s.db 1 --from 5 --to 2 && expect_error_line 'is after --to' "from > to"
expect_exit 2 "node out of range" -- "$FL" show s.db 1 --node 4 && expect_error_line 'has nodes 1\.\.3' "--node 4"
expect_exit 2 "node zero" -- "$FL" show s.db 1 --node 0 && expect_error_line 'expected a node id' "--node 0"
expect_exit 2 "around with from" -- "$FL" show s.db 1 --around 3 --from 1 && expect_error_line 'goes without' "--around --from"
expect_exit 2 "bad context" -- "$FL" show s.db 1 --context x && expect_error_line 'context: expected a step number' "--context x"
expect_exit 2 "missing value" -- "$FL" show s.db 1 --from && expect_error_line 'needs a value' "--from"
expect_exit 2 "missing run" -- "$FL" show s.db 9 && expect_error_line 'no run 9' "run 9"
[ "$(md5sum <s.db)" = "$before" ] && pass || fail "a bad show changed the database"
finish
