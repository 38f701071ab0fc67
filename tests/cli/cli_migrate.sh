#!/usr/bin/env bash
# cli_migrate.sh -- schema v2 on files of schema v1 (tests/data/schema-v1.db, written by
# the first round's faultline: a recorded `run --db` and a 12-seed sweep): readers read
# it as it is, `migrate` upgrades it (origin from the sweep, a second migrate does
# nothing), merge takes it as an input and remaps parent_run, and bad arguments are one
# clear line with exit 2.
source "$(dirname "$0")/lib/common.bash" "$@"
cp "$SRC/tests/data/schema-v1.db" v1.db
chmod u+w v1.db
sum_before=$(cksum < v1.db)

expect_exit 0 "query reads a v1 file" -- "$FL" query v1.db "SELECT count(*) AS n FROM runs" --format csv
[ "$(tail -n 1 out)" = 13 ] && pass || fail "13 runs in the v1 file: $(cat out)"
expect_exit 0 "show reads a v1 file" -- "$FL" show v1.db 1 --step 5
grep -q 'every node' out && pass || fail "show printed the states at step 5"
# a v1 file's runs were recorded with digest epoch 1: replay says so instead of a divergence
expect_exit 2 "replay of a v1 run (digest epoch 1)" -- "$FL" replay v1.db 1 --quiet
expect_error_line 'replay: run 1 was recorded with digest epoch 1; this build is epoch 2: it cannot be replayed exactly' \
  "an older epoch is one line"
! grep -q 'divergent' out && pass || fail "no divergence is reported for an older epoch: $(head -3 out)"
[ "$(cksum < v1.db)" = "$sum_before" ] && pass || fail "readers changed the v1 file"
[ ! -e v1.db-wal ] && pass || fail "readers left a -wal beside the v1 file"

# merge takes a v1 input as it is
expect_exit 0 "merge a v1 input" -- "$FL" merge m.db v1.db
origins=$(sqlite3 m.db "SELECT group_concat(origin || ':' || n, ' ') FROM (SELECT origin, count(*) AS n FROM runs GROUP BY origin ORDER BY origin)")
[ "$origins" = "run:1 sweep:12" ] && pass || fail "merged origins: $origins"

expect_exit 0 "migrate" -- "$FL" migrate v1.db
grep -qx 'v1.db: migrated from schema 1 to 4' out && pass || fail "migrate says what it did: $(cat out)"
[ "$(sqlite3 v1.db "SELECT value FROM meta WHERE key = 'schema_version'")" = 4 ] && pass ||
  fail "schema_version is 4 after migrate"
[ "$(sqlite3 v1.db "SELECT count(*) FROM runs WHERE origin = 'sweep' AND sweep_id IS NOT NULL")" = 12 ] &&
  pass || fail "a sweep's runs have origin sweep"
[ "$(sqlite3 v1.db "SELECT origin FROM runs WHERE id = 1")" = run ] && pass || fail "run 1 has origin run"
[ "$(sqlite3 v1.db "PRAGMA integrity_check")" = ok ] && pass || fail "integrity_check after migrate"
sqlite3 v1.db "SELECT count(*) FROM failing_runs" >/dev/null && pass || fail "the views survive the migration"
[ "$(sqlite3 v1.db "SELECT count(*) FROM history")" = 0 ] && pass || fail "schema 3 has an empty history table"
[ "$(sqlite3 v1.db "SELECT count(*) FROM shrinks")" = 0 ] && pass || fail "schema 4 has an empty shrinks table"
expect_exit 0 "migrate again" -- "$FL" migrate v1.db
grep -qx 'v1.db: already at schema 4' out && pass || fail "a second migrate does nothing: $(cat out)"
[ "$(sqlite3 v1.db "SELECT group_concat(DISTINCT digest_epoch) FROM runs")" = 1 ] && pass ||
  fail "migrated runs are digest epoch 1"
[ "$(sqlite3 v1.db "SELECT group_concat(DISTINCT digest_epoch) FROM sweeps")" = 1 ] && pass ||
  fail "migrated sweeps are digest epoch 1"
expect_exit 2 "replay after migrate (still epoch 1)" -- "$FL" replay v1.db 1 --quiet
expect_error_line 'recorded with digest epoch 1; this build is epoch 2' "still one line after migrate"
# a run recorded now into the migrated file is this build's epoch, and replays
cp v1.db new.db
"$FL" run "$SRC/sim/scenarios/echo.json" --set run.until=10ms --db new.db >/dev/null 2>&1
new=$(sqlite3 new.db "SELECT max(id) FROM runs")
[ "$(sqlite3 new.db "SELECT digest_epoch FROM runs WHERE id = $new")" = 2 ] && pass ||
  fail "a new run is recorded with digest epoch 2"
expect_exit 0 "replay of a new run in the migrated file" -- "$FL" replay new.db "$new" --quiet

# parent_run is remapped by merge: run 13 re-executes run 7 in the input
sqlite3 v1.db "UPDATE runs SET origin = 'replay', parent_run = 7 WHERE id = 13"
"$FL" run "$SRC/sim/scenarios/echo.json" --set run.until=10ms --db two.db >/dev/null 2>&1
expect_exit 0 "merge remaps parent_run" -- "$FL" merge two.db v1.db
got=$(sqlite3 two.db "SELECT p.seed FROM runs r JOIN runs p ON p.id = r.parent_run WHERE r.origin = 'replay'")
want=$(sqlite3 v1.db "SELECT seed FROM runs WHERE id = 7")
[ -n "$got" ] && [ "$got" = "$want" ] && pass || fail "parent_run points at the parent's new id ($got vs $want)"
[ "$(sqlite3 two.db "SELECT count(*) FROM runs")" = 14 ] && pass || fail "14 runs after the merge"

expect_exit 2 "migrate a missing file" -- "$FL" migrate nosuch.db
expect_error_line 'migrate: nosuch.db: No such file' "a missing file is one line"
printf 'not a database at all, just text that is long enough to be looked at\n' > foreign.db
expect_exit 2 "migrate a foreign file" -- "$FL" migrate foreign.db
expect_error_line 'not a faultline database' "a foreign file is one line"
grep -q 'just text' foreign.db && pass || fail "the foreign file is untouched"
expect_exit 2 "migrate without a file" -- "$FL" migrate
expect_error_line 'migrate: expected one database' "usage is one line"
finish
