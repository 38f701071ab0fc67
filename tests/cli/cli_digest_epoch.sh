#!/usr/bin/env bash
# cli_digest_epoch.sh -- runs of another digest epoch (runs.digest_epoch, sweeps.digest_epoch)
# are kept apart (docs/sql.md, docs/sweep.md, docs/replay.md): a sweep resumes only a
# sweep of this build's epoch and counts only this epoch's runs as done, so after an
# epoch change the same command runs every seed again in a new sweep row; replay of an
# older epoch's run is one line and exit 2; merge does not call a seed's runs of two
# epochs duplicates.  The older epoch is made by editing the rows a sweep of this build
# wrote (every row of a schema-1 or -2 file is epoch 1: cli_migrate.sh).
source "$(dirname "$0")/lib/common.bash"

SC="$SRC/sim/scenarios/raft-chaos.json"
sweep() { "$FL" sweep "$SC" --seeds 1..6 --set run.until=3s --set 'faults.window=["500ms","2s"]' --record all -j 1 --db "$1" --quiet; }

expect_exit 0 "a sweep" -- sweep s.db
[ "$(sqlite3 s.db "SELECT group_concat(DISTINCT digest_epoch) FROM runs")" = 2 ] && pass ||
  fail "runs are recorded with digest epoch 2"
[ "$(sqlite3 s.db "SELECT digest_epoch FROM sweeps")" = 2 ] && pass || fail "the sweep is epoch 2"
expect_exit 0 "the same sweep again" -- sweep s.db
grep -q ': 0 run now, 6 already done' out && pass || fail "a resume of the same epoch runs nothing: $(head -1 out)"

# the same file as an older build left it
cp s.db old.db
sqlite3 old.db "UPDATE runs SET digest_epoch = 1; UPDATE sweeps SET digest_epoch = 1"
expect_exit 0 "the sweep after an epoch change" -- sweep old.db
grep -q ': 6 run now, 0 already done' out && pass || fail "every seed runs again: $(head -1 out)"
[ "$(sqlite3 old.db "SELECT count(*) || ' ' || count(DISTINCT digest_epoch) FROM sweeps")" = "2 2" ] &&
  pass || fail "a new sweep row for the new epoch: $(sqlite3 old.db "SELECT id, digest_epoch FROM sweeps")"
[ "$(sqlite3 old.db "SELECT count(*) FROM runs WHERE digest_epoch = 1")" = 6 ] && pass ||
  fail "the older epoch's runs are kept"
[ "$(sqlite3 old.db "SELECT count(DISTINCT sweep_id) FROM runs WHERE digest_epoch = 2")" = 1 ] &&
  [ "$(sqlite3 old.db "SELECT count(*) FROM runs r JOIN sweeps w ON w.id = r.sweep_id
      WHERE w.digest_epoch <> r.digest_epoch")" = 0 ] && pass || fail "no sweep mixes epochs"
expect_exit 0 "and again" -- sweep old.db
grep -q ': 0 run now, 6 already done' out && pass || fail "the new epoch's sweep resumes: $(head -1 out)"

# replay: an older epoch's run is refused in one line; this epoch's reproduces
expect_exit 2 "replay of an epoch-1 run" -- "$FL" replay old.db 1 --quiet
expect_error_line '^faultline: replay: run 1 was recorded with digest epoch 1; this build is epoch 2: it cannot be replayed exactly$' \
  "replay of an older epoch"
new=$(sqlite3 old.db "SELECT min(id) FROM runs WHERE digest_epoch = 2")
expect_exit 0 "replay of an epoch-2 run" -- "$FL" replay old.db "$new" --quiet

# merge: a seed's runs of two epochs are not duplicates of each other
cp old.db e1.db
sqlite3 e1.db "DELETE FROM runs WHERE digest_epoch = 2; DELETE FROM sweeps WHERE digest_epoch = 2"
for t in events messages snapshots logs metrics faults; do
  sqlite3 e1.db "DELETE FROM $t WHERE run_id NOT IN (SELECT id FROM runs)"
done
cp s.db m.db
expect_exit 0 "merge epoch-1 runs of the same seeds" -- "$FL" merge m.db e1.db
[ "$(sqlite3 m.db "SELECT digest_epoch || ':' || count(*) FROM runs GROUP BY digest_epoch ORDER BY digest_epoch" | tr '\n' ' ')" = "1:6 2:6 " ] &&
  pass || fail "both epochs' runs are in the merged file"
expect_exit 2 "merge the same epoch-2 runs again" -- "$FL" merge m.db s.db &&
  expect_error_line 'already in m\.db' "the same epoch's runs are still duplicates"
finish
