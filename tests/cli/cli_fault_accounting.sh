#!/usr/bin/env bash
# cli_fault_accounting.sh -- the fault accounting counts what happened (docs/faults.md):
# a run that stops at a violation at 3.3 s reports its crashes as crashes (they were
# "crash 0/45" when a crash counted only if it lost unsynced bytes), the entries after
# the stop as "not reached", and the metrics rows, the faults table (took_effect,
# reached), runs.faults and query --report all say the same.  A schema-2 file
# (tests/data/schema-v2-faults.db) is still reported on, its unknown `reached` empty.
source "$(dirname "$0")/lib/common.bash"

BUG='params.bugs=["accept_stale_term"]'
q() { sqlite3 acc.db "$1"; }
json() { sqlite3 :memory: "SELECT json_extract(readfile('$1'), '$2')"; }

expect_exit 1 "a run that stops at a violation" -- \
  "$FL" run "$SRC/sim/scenarios/raft-crash.json" --seed 52 --set "$BUG" --db acc.db
line=$(grep '^faults:' out)
echo "$line"
crashes=$(q "SELECT value FROM metrics WHERE name = 'node.crashes'")
[ "$crashes" -gt 0 ] && pass || fail "the run has crashes (node.crashes = $crashes)"
echo "$line" | grep -qE "(^faults: +|, )crash $crashes[ ,]" && pass ||
  fail "the summary counts the $crashes crashes that happened: $line"
not_reached=$(q "SELECT count(*) FROM faults WHERE reached = 0")
[ "$not_reached" -gt 0 ] && pass || fail "entries after the violation are not reached"
echo "$line" | grep -qE ", not reached $not_reached\$" && pass ||
  fail "the summary says $not_reached entries were not reached: $line"
echo "$line" | grep -qE 'partition [0-9]+ \([0-9]+ cut messages' && pass ||
  fail "the summary says how many partitions cut messages: $line"
! echo "$line" | grep -q '/' && pass || fail "no effective/scheduled fractions: $line"

# nothing after the run's end was reached; everything reached came at or before it
[ "$(q "SELECT count(*) FROM faults f JOIN runs r ON r.id = f.run_id
        WHERE f.reached = 0 AND f.at_ns < r.fail_time_ns")" = 0 ] && pass ||
  fail "an entry before the failing step is marked not reached"
[ "$(q "SELECT count(*) FROM faults f JOIN runs r ON r.id = f.run_id
        WHERE f.reached = 1 AND f.at_ns > r.sim_time_ns")" = 0 ] && pass ||
  fail "an entry after the run's end is marked reached"
[ "$(q "SELECT count(*) FROM faults WHERE took_effect = 1 AND reached = 0")" = 0 ] && pass ||
  fail "an entry took effect without being reached"

# the faults table and the metrics agree, kind by kind
for kind in partition heal crash restart timeout clock; do
  t=$(q "SELECT coalesce(sum(reached), 0) || '/' || coalesce(sum(took_effect), 0) || '/' ||
         count(*) FROM faults WHERE kind = '$kind'")
  m=$(q "SELECT (SELECT value FROM metrics WHERE name = 'faults.$kind.reached') || '/' ||
         (SELECT value FROM metrics WHERE name = 'faults.$kind.effective') || '/' ||
         (SELECT value FROM metrics WHERE name = 'faults.$kind.scheduled')")
  [ "$t" = "$m" ] && pass || fail "$kind: faults table $t, metrics $m (reached/effective/scheduled)"
done
[ "$(q "SELECT value FROM metrics WHERE name = 'faults.crash.effective'")" = "$crashes" ] &&
  pass || fail "faults.crash.effective is node.crashes"
[ "$(q "SELECT count(*) FROM metrics WHERE name IN ('faults.crash.with_lost_writes',
        'faults.crash.bytes_lost', 'faults.partition.with_cut_messages')")" = 3 ] && pass ||
  fail "the did-it-bite metrics are recorded"
[ "$(q "SELECT faults FROM runs")" = "$(q "SELECT sum(value) FROM metrics
        WHERE name GLOB 'faults.*.effective'")" ] && pass || fail "runs.faults is what happened"

# which rows a run has without full recording (docs/sql.md `recorded`, docs/sweep.md):
# run --record none keeps the schedule and its faults rows; a sweep's bare rows only metrics
expect_exit 1 "run --record none" -- \
  "$FL" run "$SRC/sim/scenarios/raft-crash.json" --seed 52 --set "$BUG" --db bare.db --record none
[ "$(sqlite3 bare.db "SELECT recorded, schedule_json IS NOT NULL, (SELECT count(*) > 0 FROM faults),
     (SELECT count(*) > 0 FROM metrics), (SELECT count(*) FROM events) FROM runs")" = 'none|1|1|1|0' ] &&
  pass || fail "run --record none: runs, schedule_json, faults, metrics, no events"
expect_exit 0 "a sweep's bare rows" -- \
  "$FL" sweep "$SRC/sim/scenarios/raft-crash.json" --seeds 1..3 --db swept.db --record none --quiet
[ "$(sqlite3 swept.db "SELECT count(*), sum(schedule_json IS NULL), (SELECT count(*) FROM faults),
     (SELECT count(DISTINCT run_id) FROM metrics) FROM runs WHERE recorded = 'none'")" = '3|3|0|3' ] &&
  pass || fail "a sweep's bare rows: metrics, no schedule_json, no faults rows"

# query --report: the same figures, as a table, CSV and JSON
expect_exit 0 "report" -- "$FL" query acc.db --report
grep -qE "^crash +1 +[0-9]+ +[0-9]+ +$crashes +100.0\$" out && pass ||
  fail "the report's crash row says $crashes happened: $(grep '^crash' out)"
grep -q '^== did they bite' out && pass || fail "the report has the did-they-bite section"
grep -qE '^faults.crash.with_lost_writes +1 ' out && pass || fail "the report counts lost writes"
expect_exit 0 "report as CSV" -- "$FL" query acc.db --report --format csv
grep -qx '# fault kinds: scheduled, reached, happened' out && pass || fail "CSV section titles"
grep -qE "^crash,1,[0-9]+,[0-9]+,$crashes,100.0\$" out && pass || fail "CSV crash row: $(grep '^crash' out)"
expect_exit 0 "report as JSON" -- "$FL" query acc.db --report --format json
cp out report.json
[ "$(sqlite3 :memory: "SELECT json_valid(readfile('report.json'))")" = 1 ] && pass ||
  fail "the JSON report is valid JSON: $(head -c 300 report.json)"
[ "$(json report.json '$.faults[1].fault')" = crash ] && pass || fail "JSON faults[1] is crash"
[ "$(json report.json '$.faults[1].happened')" = "$crashes" ] && pass || fail "JSON crash happened"
[ "$(json report.json '$.outcomes[0].outcome')" = violation ] && pass || fail "JSON outcomes"
for key in outcomes violations faults bites sweeps speed; do
  [ "$(sqlite3 :memory: "SELECT json_type(readfile('report.json'), '\$.$key')")" = array ] &&
    pass || fail "JSON report key $key is an array"
done
expect_exit 2 "report with SQL" -- "$FL" query acc.db "SELECT 1" --report &&
  expect_error_line 'query: --report takes no SQL' "report with SQL"

# a schema-2 file: read as it is; reached is unknown (empty), nothing is written
cp "$SRC/tests/data/schema-v2-faults.db" v2.db
chmod u+w v2.db
sum=$(cksum <v2.db)
expect_exit 0 "report on a schema-2 file" -- "$FL" query v2.db --report
grep -qE '^crash +7 +[0-9]+ +[0-9]+ ' out && pass || fail "v2 crash row: $(grep '^crash' out)"
[ "$(cksum <v2.db)" = "$sum" ] && pass || fail "the report changed the schema-2 file"
# merge keeps reached of schema-3 rows and gives schema-2 rows NULL, as migrate does
expect_exit 0 "merge a schema-3 and a schema-2 file" -- "$FL" merge m.db acc.db v2.db
[ "$(sqlite3 m.db "SELECT count(*) FROM faults WHERE reached IS NULL")" = \
  "$(sqlite3 v2.db "SELECT count(*) FROM faults")" ] &&
  [ "$(sqlite3 m.db "SELECT count(*) FROM faults WHERE reached = 0")" = "$not_reached" ] && pass ||
  fail "merged reached: $(sqlite3 m.db "SELECT reached, count(*) FROM faults GROUP BY 1")"
expect_exit 0 "migrate the schema-2 file" -- "$FL" migrate v2.db
grep -qx 'v2.db: migrated from schema 2 to 4' out && pass || fail "migrate: $(cat out)"
[ "$(sqlite3 v2.db "SELECT count(*) FROM faults WHERE reached IS NULL")" = \
  "$(sqlite3 v2.db "SELECT count(*) FROM faults")" ] && pass ||
  fail "v2 rows have reached NULL after migrate"
expect_exit 1 "record into the migrated file" -- \
  "$FL" run "$SRC/sim/scenarios/raft-crash.json" --seed 52 --set "$BUG" --db v2.db
[ "$(sqlite3 v2.db "SELECT count(*) FROM faults WHERE reached IS NOT NULL")" -gt 0 ] && pass ||
  fail "new rows in the migrated file have reached"
finish
