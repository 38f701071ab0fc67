#!/usr/bin/env bash
# cli_prune.sh -- `faultline prune`: retention.  A dry run changes nothing and says what
# would go; --keep failing keeps the failing runs' recordings and drops the others
# (runs rows stay, recorded = 'none', replay still works, the file shrinks); --sweep and
# --older-than choose; a schema-2 file is migrated and pruned; and every bad input is
# one clear line, exit 2, and no damage.
source "$(dirname "$0")/lib/common.bash" "$@"
CRASH=("$SRC/sim/scenarios/raft-crash.json" --set 'params.bugs=["accept_stale_term"]'
  --set run.until=4s --set 'faults.window=["100ms","3s"]' --set run.liveness=1s)
"$FL" sweep "${CRASH[@]}" --seeds 80..91 -j 2 --record all --db p.db --quiet >/dev/null 2>&1
"$FL" sweep "$SRC/sim/scenarios/echo.json" --seeds 1..3 --set run.until=200ms --record all \
  --db p.db --quiet >/dev/null 2>&1
q() { sqlite3 p.db "$1"; }
failing=$(q "SELECT count(*) FROM runs WHERE outcome <> 'ok'")
ok=$(q "SELECT count(*) FROM runs WHERE outcome = 'ok'")
[ "$failing" -gt 0 ] && [ "$ok" -gt 0 ] && pass || fail "the sweep has failing ($failing) and ok ($ok) runs"
rows_of() { q "SELECT (SELECT count(*) FROM events WHERE run_id = $1) + (SELECT count(*) FROM messages WHERE run_id = $1) + (SELECT count(*) FROM snapshots WHERE run_id = $1) + (SELECT count(*) FROM logs WHERE run_id = $1)"; }

sum=$(cksum < p.db)
expect_exit 0 "a dry run" -- "$FL" prune p.db --keep failing --dry-run
grep -qE "^p.db: would drop the recordings of $ok runs \([0-9]+ rows, [0-9.]+ MB of values\); their runs rows would stay$" out &&
  pass || fail "the dry run says what it would drop: $(cat out)"
[ "$(cksum < p.db)" = "$sum" ] && pass || fail "a dry run changed the file"

size_before=$(stat -c %s p.db)
okrun=$(q "SELECT min(id) FROM runs WHERE outcome = 'ok'")
badrun=$(q "SELECT min(id) FROM runs WHERE outcome <> 'ok'")
bad_rows=$(rows_of "$badrun")
expect_exit 0 "prune --keep failing" -- "$FL" prune p.db --keep failing
grep -qE "^p.db: dropped the recordings of $ok runs \([0-9]+ rows\); the file went from [0-9.]+ MB to [0-9.]+ MB$" out &&
  pass || fail "prune says what it did: $(cat out)"
[ "$(q "SELECT count(*) FROM runs")" = $((ok + failing)) ] && pass || fail "every runs row stays"
[ "$(rows_of "$okrun")" = 0 ] && pass || fail "an ok run's recording is gone"
[ "$(q "SELECT recorded FROM runs WHERE id = $okrun")" = none ] && pass || fail "an ok run is bare"
[ "$(q "SELECT count(*) FROM metrics WHERE run_id = $okrun")" -gt 0 ] && pass || fail "its metrics stay"
[ "$(rows_of "$badrun")" = "$bad_rows" ] && pass || fail "a failing run keeps its recording"
[ "$(q "SELECT recorded FROM runs WHERE id = $badrun")" = all ] && pass || fail "a failing run stays recorded"
[ "$(stat -c %s p.db)" -lt "$size_before" ] && pass || fail "the file shrank ($size_before -> $(stat -c %s p.db))"
[ "$(q "PRAGMA integrity_check")" = ok ] && pass || fail "integrity_check after prune"
expect_exit 0 "replay a pruned run" -- "$FL" replay p.db "$okrun" --quiet
grep -q "reproduced run $okrun exactly" out && pass || fail "replay: $(head -3 out)"
expect_exit 0 "show a failing run after prune" -- "$FL" show p.db "$badrun"
grep -q 'every node at step' out && pass || fail "show after prune"

# --older-than: nothing is a day old yet; ten days ago it is
expect_exit 0 "prune --older-than 1d" -- "$FL" prune p.db --older-than 1d
grep -q "dropped the recordings of 0 runs" out && pass || fail "nothing is a day old: $(cat out)"
q "UPDATE runs SET recorded_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-10 days') WHERE id = $badrun"
expect_exit 0 "prune --older-than 7d" -- "$FL" prune p.db --older-than 7d
grep -q "dropped the recordings of 1 runs" out && pass || fail "one run is ten days old: $(cat out)"
[ "$(rows_of "$badrun")" = 0 ] && pass || fail "the old run's recording is gone"

# --sweep: only that sweep's runs (a new echo sweep, sweep 3)
"$FL" sweep "$SRC/sim/scenarios/echo.json" --seeds 4..6 --set run.until=200ms --record all \
  --db p.db --quiet >/dev/null 2>&1
[ "$(q "SELECT count(*) FROM runs WHERE sweep_id = 3 AND recorded = 'all'")" = 3 ] && pass ||
  fail "sweep 3 recorded its 3 runs"
left=$(q "SELECT count(*) FROM runs WHERE recorded = 'all' AND sweep_id = 1")
expect_exit 0 "prune --sweep 3" -- "$FL" prune p.db --sweep 3
grep -q "dropped the recordings of 3 runs" out && pass || fail "the echo sweep's 3 runs: $(cat out)"
[ "$(q "SELECT count(*) FROM runs WHERE recorded = 'all' AND sweep_id = 1")" = "$left" ] && pass ||
  fail "the other sweep's recordings stay"

# a schema-2 file: migrated on open, then pruned; its runs have no date but the sweep's
cp "$SRC/tests/data/schema-v2.db" v2.db
chmod u+w v2.db
sum=$(cksum < v2.db)
expect_exit 0 "a dry run on a v2 file" -- "$FL" prune v2.db --dry-run
grep -q "would drop the recordings of 5 runs" out && pass || fail "v2 dry run: $(cat out)"
[ "$(cksum < v2.db)" = "$sum" ] && pass || fail "a dry run changed (or migrated) the v2 file"
expect_exit 0 "prune a v2 file" -- "$FL" prune v2.db --older-than 1d
grep -q "dropped the recordings of 0 runs" out && pass || fail "v2: nothing old: $(cat out)"
[ "$(sqlite3 v2.db "SELECT value FROM meta WHERE key = 'schema_version'")" = 4 ] && pass ||
  fail "prune migrated the v2 file"
expect_exit 0 "prune all of a v2 file" -- "$FL" prune v2.db
[ "$(sqlite3 v2.db "SELECT count(*) FROM events") $(sqlite3 v2.db "SELECT count(*) FROM runs WHERE recorded = 'none'")" = "0 5" ] &&
  pass || fail "v2: every recording dropped, 5 bare runs"

# bad input: one line, exit 2, nothing changed or created
sum=$(cksum < p.db)
bad() { # bad PATTERN ARGS...: exit 2 and one line matching PATTERN
  local pattern=$1
  shift
  expect_exit 2 "prune $*" -- "$FL" prune "$@" && expect_error_line "$pattern" "prune $*: one line"
}
bad 'prune: expected a database' --dry-run
bad 'prune: unexpected argument .q.db.' p.db q.db
bad "prune: unknown option '--keep-all'" p.db --keep-all
bad "prune: --keep: expected 'failing', got 'ok'" p.db --keep ok
bad "prune: --keep: expected 'failing', got ''" p.db --keep
bad "prune: --older-than: expected an age like 7d \(s, m, h, d, w\), got '7'" p.db --older-than 7
bad "prune: --older-than: expected an age like 7d \(s, m, h, d, w\), got '-1d'" p.db --older-than -1d
bad "prune: --older-than: expected an age like 7d \(s, m, h, d, w\), got '0d'" p.db --older-than 0d
bad "prune: --older-than: expected an age like 7d \(s, m, h, d, w\), got '99999999999999999w'" p.db --older-than 99999999999999999w
bad "prune: --sweep: expected a sweep id, got 'x'" p.db --sweep x
bad "prune: --sweep: expected a sweep id, got '0'" p.db --sweep 0
bad 'prune: --sweep: no sweep 9 in p.db' p.db --sweep 9
[ "$(cksum < p.db)" = "$sum" ] && pass || fail "bad arguments changed the file"
bad 'prune: nosuch.db: No such file' nosuch.db
[ ! -e nosuch.db ] && pass || fail "prune created a missing file"
printf 'not a database at all, just text that is long enough to be looked at\n' > foreign.db
bad 'not a faultline database' foreign.db
grep -q 'just text' foreign.db && pass || fail "the foreign file is untouched"
# a run with clients: its history rows are part of its recording
expect_exit 0 "a recorded run with clients" -- "$FL" run "$SRC/sim/scenarios/raft-kv.json" --seed 1 \
  --set run.until=5s --set 'faults.window=["500ms", "4s"]' --db kv.db
[ "$(sqlite3 kv.db 'SELECT count(*) > 0 FROM history')" = 1 ] && pass || fail "history recorded"
expect_exit 0 "prune the clients run" -- "$FL" prune kv.db
[ "$(sqlite3 kv.db 'SELECT count(*) FROM history')" = 0 ] && pass || fail "history pruned with the run"
expect_exit 0 "prune --help" -- "$FL" prune --help
grep -q '^usage: faultline prune DB' out && pass || fail "help"
finish
