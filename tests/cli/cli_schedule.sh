#!/usr/bin/env bash
# Fault schedules on the command line: a generated schedule written out with
# --write-schedule and given back with --schedule reproduces the run exactly; a
# hand-written one is applied; a schedule with errors is exit code 2 with one line
# naming the entry and the field.
source "$(dirname "$0")/lib/common.bash"

SC="$SRC/sim/scenarios/raft-chaos.json"
for seed in 1 7 42; do
  "$FL" run "$SC" --seed $seed --write-schedule "s$seed.json" >gen.out 2>/dev/null
  "$FL" run "$SC" --seed $seed --schedule "s$seed.json" >given.out 2>/dev/null
  [ -s "s$seed.json" ] && grep -q '"kind":"partition"' "s$seed.json" && pass ||
    fail "seed $seed: the written schedule has partitions"
  a=$(grep '^digest:' gen.out) b=$(grep '^digest:' given.out)
  [ -n "$a" ] && [ "$a" = "$b" ] && pass || fail "seed $seed: written and given back: $a vs $b"
done

# A hand-written schedule: node 2 crashes at 1.5s and restarts at 2s; the trace shows it.
cat >hand.json <<'JSON'
[
  {"at": "1.5s", "kind": "crash", "node": 2},
  {"at": "2s", "kind": "restart", "node": 2}
]
JSON
expect_exit 0 "hand-written schedule" -- "$FL" run "$SC" --seed 1 --schedule hand.json --trace
grep -qE '^\[  1\.500000s #[0-9]+\] fault: crash 2' out && pass || fail "the crash at 1.5s is in the trace"
grep -qE '^\[  2\.000000s #[0-9]+\] start 2' out && pass || fail "the restart at 2s is in the trace"
grep -qE '^faults: .*crash 1( |,|$)' out && pass || fail "the summary counts the crash"

check() { # check PATTERN WHAT FILE-CONTENT
  printf '%s\n' "$3" >bad.json
  expect_exit 2 "$2" -- "$FL" run "$SC" --seed 1 --schedule bad.json && expect_error_line "$1" "$2"
}
check 'schedule.*(JSON|line|column|malformed)' "malformed schedule" '[{"at": "1s", "kind": '
check 'schedule\[1\]\.kind' "unknown kind" '[{"at": "1s", "kind": "meteor"}]'
check 'schedule\[1\]\.node: expected a node id in \[1,3\], got 7' "node out of range" '[{"at": "1s", "kind": "crash", "node": 7}]'
check 'schedule\[1\]' "time outside the run" '[{"at": "99s", "kind": "crash", "node": 1}]'
check 'schedule\[1\]' "restart of a node that is up" '[{"at": "1s", "kind": "restart", "node": 1}]'
check 'schedule\[2\]' "crash of a node that is down" '[{"at": "1s", "kind": "crash", "node": 1}, {"at": "2s", "kind": "crash", "node": 1}]'
check 'schedule bad.json: empty file' "empty schedule file" ''
rm -f bad.json
expect_exit 2 "missing schedule file" -- "$FL" run "$SC" --schedule nosuch.json &&
  expect_error_line 'nosuch.json' "missing schedule file"
finish
