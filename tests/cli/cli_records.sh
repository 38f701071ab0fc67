#!/usr/bin/env bash
# cli_records.sh -- `run --records FILE`: every record of a run as a JSON line, keyed by
# the database's column names.  Each table's lines match the rows the recorder wrote for
# the same run, the lines are valid JSON, traced or not the stream is the same, and an
# unwritable file is one clear line with exit 2.
source "$(dirname "$0")/lib/common.bash" "$@"
SHORT=(--set run.until=2s --set 'faults.window=["100ms","1s"]' --set run.liveness=500ms)

expect_exit 0 "run with --records and --db" -- "$FL" run "$SRC/sim/scenarios/raft-chaos.json" \
  --seed 3 "${SHORT[@]}" --records r.jsonl --db r.db
for t in events messages logs snapshots faults metrics runs; do
  lines=$(grep -c "\"table\":\"$t\"" r.jsonl)
  rows=$(sqlite3 r.db "SELECT count(*) FROM $t")
  [ "$lines" = "$rows" ] && [ "$rows" -gt 0 ] && pass || fail "$t: $lines lines, $rows rows"
done
[ "$(sqlite3 r.db "SELECT json_valid('[' || rtrim(replace(CAST(readfile('r.jsonl') AS TEXT), char(10), ','), ',') || ']')")" = 1 ] &&
  pass || fail "every line is JSON"
head -n 1 r.jsonl | grep -q '^{"record":"run_begin","table":null,"seed":3,' && pass ||
  fail "the first line is the run's begin: $(head -c 200 r.jsonl)"
tail -n 1 r.jsonl | grep -q "\"record\":\"run_end\",\"table\":\"runs\",\"outcome\":\"ok\".*\"digest\":\"$(sqlite3 r.db "SELECT digest FROM runs")\"" &&
  pass || fail "the last line is the run's end with its digest"
# the chain of the last step is the run's digest
last=$(grep '"table":"events"' r.jsonl | tail -n 1 | sed 's/.*"chain":"\([0-9a-f]*\)".*/\1/')
[ "$last" = "$(sqlite3 r.db "SELECT digest FROM runs")" ] && pass || fail "last chain $last"

expect_exit 0 "again, traced" -- "$FL" run "$SRC/sim/scenarios/raft-chaos.json" --seed 3 \
  "${SHORT[@]}" --records r2.jsonl --trace
cmp -s r.jsonl r2.jsonl && pass || fail "the records do not depend on the other sinks"

expect_exit 2 "an unwritable records file" -- "$FL" run --records /no/such/dir/r.jsonl
expect_error_line 'run: --records /no/such/dir/r.jsonl: No such file or directory' "one line"
finish
