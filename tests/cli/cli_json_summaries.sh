#!/usr/bin/env bash
# cli_json_summaries.sh -- `run`, `sweep` and `query --report` with --format json print
# one JSON object of the shape docs/sweep.md shows ("JSON summaries for CI"): the docs'
# three examples have exactly the top-level keys of the real output (the sweep's and the
# run's also the same values where the run determines them), the figures agree with the
# database, and bad --format values are one line with exit 2.  Also: -j above the CPU
# count is allowed, with one warning line.
source "$(dirname "$0")/lib/common.bash"

BUG='params.bugs=["accept_stale_term"]'
SC="$SRC/sim/scenarios/raft-crash.json"
j() { sqlite3 :memory: "SELECT json_extract(readfile('$1'), '$2')"; }
keys() { sqlite3 :memory: "SELECT group_concat(key, ' ') FROM (SELECT key FROM json_each(readfile('$1')) ORDER BY key)"; }

# the docs' json blocks of the section, in order: sweep, run, report
awk '/^## JSON summaries for CI/ { on = 1; next } on && /^## / { on = 0 }
  on && $0 == "```json" { b = 1; n++; f = "doc_" n ".json"; printf "" > f; next }
  b && $0 == "```" { b = 0; close(f); next }
  b { print >> f }' "$SRC/docs/sweep.md"
for n in 1 2 3; do
  [ "$(sqlite3 :memory: "SELECT json_valid(readfile('doc_$n.json'))")" = 1 ] && pass ||
    fail "docs/sweep.md JSON example $n is not valid JSON"
done

expect_exit 1 "sweep --format json" -- "$FL" sweep "$SC" --seeds 1..20 --set "$BUG" \
  --db s.db --format json --quiet
cp out sweep.json
[ "$(wc -l <sweep.json)" = 1 ] && pass || fail "sweep JSON is one line"
[ "$(keys sweep.json)" = "$(keys doc_1.json)" ] && pass ||
  fail "sweep keys: $(keys sweep.json) -- docs: $(keys doc_1.json)"
for path in '$.failing' '$.seeds_total' '$.outcomes.ok' '$.violations.durability' \
  '$.failing_seeds[0].seed' '$.failing_seeds[0].detail' '$.recorded'; do
  [ "$(j sweep.json "$path")" = "$(j doc_1.json "$path")" ] && pass ||
    fail "sweep $path: $(j sweep.json "$path"), docs say $(j doc_1.json "$path")"
done
[ "$(j sweep.json '$.failing')" = "$(sqlite3 s.db "SELECT count(*) FROM runs WHERE outcome <> 'ok'")" ] &&
  pass || fail "sweep failing agrees with the database"
[ "$(j sweep.json '$.failing_seeds[0].run_id')" = "$(sqlite3 s.db "SELECT id FROM runs WHERE outcome <> 'ok'")" ] &&
  pass || fail "failing_seeds run_id"
[ "$(j sweep.json '$.interrupted')" = 0 ] && [ "$(j sweep.json '$.shard')" = "" ] && pass ||
  fail "interrupted false, shard null"
expect_exit 1 "the same sweep again resumes" -- "$FL" sweep "$SC" --seeds 1..20 --set "$BUG" \
  --db s.db --format json --quiet
[ "$(j out '$.ran')" = 0 ] && [ "$(j out '$.already_done')" = 20 ] && [ "$(j out '$.failing')" = 1 ] &&
  pass || fail "a resumed sweep counts the whole sweep: $(cat out)"

expect_exit 1 "run --format json" -- "$FL" run "$SC" --seed 14 --set "$BUG" --format json
cp out run.json
[ "$(keys run.json)" = "$(keys doc_2.json)" ] && pass ||
  fail "run keys: $(keys run.json) -- docs: $(keys doc_2.json)"
for path in '$.outcome' '$.fail_step' '$.steps' '$.messages.sent' '$.faults.crash.happened' \
  '$.faults.partition.with_cut_messages' '$.not_reached' '$.digest'; do
  [ "$(j run.json "$path")" = "$(j doc_2.json "$path")" ] && pass ||
    fail "run $path: $(j run.json "$path"), docs say $(j doc_2.json "$path")"
done
[ "$(sqlite3 :memory: "SELECT count(*) FROM json_each(readfile('run.json'), '\$.faults')")" = 9 ] &&
  pass || fail "run JSON has all nine fault kinds"

expect_exit 0 "report --format json" -- "$FL" query s.db --report --format json
cp out report.json
[ "$(keys report.json)" = "$(keys doc_3.json)" ] && pass ||
  fail "report keys: $(keys report.json) -- docs: $(keys doc_3.json)"
[ "$(j report.json '$.outcomes[0].runs')" = 19 ] && pass || fail "report outcomes"

for cmd in "run $SC" "sweep $SC --seeds 2 --db f.db"; do
  expect_exit 2 "$cmd --format xml" -- "$FL" $cmd --format xml &&
    expect_error_line "--format: expected text or json, got 'xml'" "$cmd --format xml"
done
[ ! -e f.db ] && pass || fail "a bad --format creates no database"
expect_exit 2 "report --format xml" -- "$FL" query s.db --report --format xml &&
  expect_error_line "query: --format: expected table, csv or json, got 'xml'" "report --format xml"

# -j above the CPUs: allowed, one warning (none with --quiet)
cpus=$(getconf _NPROCESSORS_ONLN)
more=$((cpus + 1))
expect_exit 0 "-j $more" -- "$FL" sweep "$SRC/sim/scenarios/echo.json" --seeds 1..3 \
  --set run.until=1s -j "$more" --db w.db
grep -qx "faultline: warning: sweep: -j $more is more than the $cpus CPUs online; the workers will share them" err &&
  [ "$(grep -c warning err)" = 1 ] && pass || fail "-j $more warns once: $(cat err)"
expect_exit 0 "-j $more --quiet" -- "$FL" sweep "$SRC/sim/scenarios/echo.json" --seeds 1..4 \
  --set run.until=1s -j "$more" --db w.db --quiet
! grep -q warning err && pass || fail "--quiet prints no warning"
expect_exit 0 "-j $cpus" -- "$FL" sweep "$SRC/sim/scenarios/echo.json" --seeds 1..5 \
  --set run.until=1s -j "$cpus" --db w.db
! grep -q warning err && pass || fail "-j $cpus does not warn"
finish
