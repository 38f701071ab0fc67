#!/usr/bin/env bash
# cli_fault_warnings.sh -- faultline says what it will not do (docs/faults.md): a
# partition kind the cluster is too small for is one warning line from `scenario` and
# `run` (ring on 3 nodes is the full mesh and is never drawn); an explicit schedule that
# leaves a node down or a partition in place gets no liveness check, and `run` says so
# instead of a bare `ok`; and `run --format json` is one JSON object of the documented
# shape.
source "$(dirname "$0")/lib/common.bash"

CHAOS="$SRC/sim/scenarios/raft-chaos.json"
RING='faultline: warning: faults.partition.kinds: ring needs at least 4 nodes; the scenario has 3, so it is never drawn'
json() { sqlite3 :memory: "SELECT json_extract(readfile('$1'), '$2')"; }

expect_exit 0 "scenario with ring on 3 nodes" -- "$FL" scenario "$CHAOS"
[ "$(cat err)" = "$RING" ] && pass || fail "scenario warns once about ring: $(cat err)"
grep -qxF "$RING" "$SRC/docs/faults.md" && pass || fail "docs/faults.md shows the real warning"
expect_exit 0 "run with ring on 3 nodes" -- "$FL" run "$CHAOS" --set run.until=2s --set 'faults.window=["500ms","1s"]'
[ "$(grep -c 'warning' err)" = 1 ] && grep -qxF "$RING" err && pass ||
  fail "run warns once about ring: $(cat err)"
expect_exit 0 "ring on 4 nodes" -- "$FL" scenario "$CHAOS" --set nodes=4
[ ! -s err ] && pass || fail "no warning when the ring can be drawn: $(cat err)"
expect_exit 0 "two nodes" -- "$FL" scenario "$CHAOS" --set nodes=2
grep -q 'bridge needs at least 3 nodes, ring needs at least 4 nodes; the scenario has 2, so they are never drawn' err &&
  pass || fail "both kinds named: $(cat err)"
expect_exit 0 "partitions off" -- "$FL" scenario "$CHAOS" --set faults.partition.every=0s
[ ! -s err ] && pass || fail "no warning when partitions are off: $(cat err)"

# explicit schedules: run as written, liveness not checked when a fault stays in place
cat >down.json <<'EOF'
[{"at": "1s", "kind": "crash", "node": 2},
 {"at": "2s", "kind": "partition", "name": "isolate", "groups": [[1], [2, 3]]}]
EOF
cat >healed.json <<'EOF'
[{"at": "1s", "kind": "crash", "node": 2},
 {"at": "2s", "kind": "partition", "name": "isolate", "groups": [[1], [2, 3]]},
 {"at": "3s", "kind": "heal"}, {"at": "3s", "kind": "restart", "node": 2}]
EOF
expect_exit 0 "a schedule that leaves faults in place" -- "$FL" run "$CHAOS" --schedule down.json
grep -qx 'liveness: not checked: the schedule leaves node 2 down and a partition in place at its end' out &&
  pass || fail "run says liveness was not checked: $(tail -3 out)"
! grep -q 'warning' err && pass || fail "an explicit schedule draws no partition: no ring warning"
expect_exit 0 "the same, as JSON" -- "$FL" run "$CHAOS" --schedule down.json --format json
cp out down.out
[ "$(json down.out '$.liveness_checked')" = 0 ] && pass || fail "JSON liveness_checked false"
json down.out '$.liveness_note' | grep -q 'node 2 down' && pass || fail "JSON liveness_note"
expect_exit 0 "a schedule that heals" -- "$FL" run "$CHAOS" --schedule healed.json
! grep -q '^liveness:' out && pass || fail "a healed schedule is checked: $(tail -3 out)"

# run --format json: one object, the documented keys, the same figures as the text
expect_exit 1 "run --format json" -- "$FL" run "$SRC/sim/scenarios/raft-crash.json" --seed 14 \
  --set 'params.bugs=["accept_stale_term"]' --format json --db j.db
cp out run.json
[ "$(wc -l <run.json)" = 1 ] && [ "$(sqlite3 :memory: "SELECT json_valid(readfile('run.json'))")" = 1 ] &&
  pass || fail "one line of valid JSON: $(head -c 300 run.json)"
for key in scenario protocol nodes seed outcome check detail fail_step fail_time_ns steps \
  sim_time_ns messages faults not_reached liveness_checked liveness_note digest run_id db; do
  [ "$(sqlite3 :memory: "SELECT json_type(readfile('run.json'), '\$.$key') IS NOT NULL")" = 1 ] &&
    pass || fail "run JSON has key $key"
done
[ "$(json run.json '$.outcome')" = violation ] && pass || fail "JSON outcome"
[ "$(json run.json '$.faults.crash.happened')" = "$(sqlite3 j.db "SELECT value FROM metrics WHERE name = 'node.crashes'")" ] &&
  pass || fail "JSON crashes are node.crashes"
[ "$(json run.json '$.not_reached')" = "$(sqlite3 j.db "SELECT count(*) FROM faults WHERE reached = 0")" ] &&
  pass || fail "JSON not_reached"
[ "$(json run.json '$.digest')" = "$(sqlite3 j.db "SELECT digest FROM runs")" ] && pass || fail "JSON digest"
[ "$(json run.json '$.run_id')" = 1 ] && [ "$(json run.json '$.db')" = j.db ] && pass || fail "JSON run_id, db"
expect_exit 0 "text summary" -- "$FL" run "$SRC/sim/scenarios/raft-crash.json" --seed 14 --set run.until=3s --set 'faults.window=["500ms","2s"]'
expect_exit 0 "json summary" -- "$FL" run "$SRC/sim/scenarios/raft-crash.json" --seed 14 --set run.until=3s --set 'faults.window=["500ms","2s"]' --format json
[ "$(json out '$.steps')" -gt 0 ] && pass || fail "JSON steps"

expect_exit 2 "bad --format" -- "$FL" run "$CHAOS" --format yaml &&
  expect_error_line "run: --format: expected text or json, got 'yaml'" "bad --format"
expect_exit 2 "--format json with --trace" -- "$FL" run "$CHAOS" --format json --trace &&
  expect_error_line 'run: --format json and --trace both write standard output' "json and trace"
finish
