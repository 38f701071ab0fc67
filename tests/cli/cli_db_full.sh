#!/usr/bin/env bash
# cli_db_full.sh -- a full disk is an error, not a warning.  On a 1 MB tmpfs a sweep
# with --record all fills the file system: it exits 3 with one line saying so, the
# seeds whose recording could not be written are not done (no row, or a pending one;
# never bare for ever), the sweep is not marked done, and the database is sound.  With
# room again (the tmpfs grown) the same command resumes and records every seed.
# `run --db` on a file system with no room left is exit 3 and leaves no half run.
# (Before, --record all warned per seed, wrote bare rows, marked the sweep done and
# exited 0.)
source "$(dirname "$0")/lib/common.bash"
command -v sqlite3 >/dev/null || { echo "SKIP: cli_db_full needs the sqlite3 CLI"; finish; }

mkdir small
if ! mount -t tmpfs -o size=1m tmpfs small 2>"$T/err"; then
  echo "SKIP: cli_db_full needs to mount a small tmpfs (root in a mount namespace):" \
    "$(head -c 200 "$T/err")"
  finish
fi
trap 'umount "$T/small"; rm -rf "$T"' EXIT

SC="$SRC/sim/scenarios/raft-chaos.json"
# (no "ring": on 3 nodes it is never drawn, and `run` would warn about it on stderr)
SETS=(--set run.until=2s --set 'faults.window=["200ms","1500ms"]' --set run.liveness=500ms
  --set 'faults.partition.kinds=["isolate","halves","oneway","bridge"]')
SWEEP=(sweep "$SC" --seeds 1..30 -j 2 --record all --quiet "${SETS[@]}" --db small/f.db)
q() { sqlite3 small/f.db "$1"; }

expect_exit 3 "sweep --record all on a full disk" -- "$FL" "${SWEEP[@]}" &&
  expect_error_line '^faultline: sweep: small/f.db: database or disk is full \(free some space, then run the same command again: a sweep resumes\)$' \
    "sweep on a full disk"
[ "$(q 'PRAGMA integrity_check')" = ok ] && pass || fail "f.db is not sound after the full disk"
[ "$(q 'SELECT status FROM sweeps')" = interrupted ] && pass ||
  fail "the sweep is marked '$(q 'SELECT status FROM sweeps')', not interrupted"
[ "$(q "SELECT count(*) FROM runs WHERE recorded = 'none'")" = 0 ] && pass ||
  fail "seeds were left bare for ever: $(q "SELECT group_concat(seed) FROM runs WHERE recorded = 'none'")"
recorded=$(q "SELECT count(*) FROM runs WHERE recorded = 'all'")
[ "$recorded" -lt 30 ] && pass || fail "every seed recorded on a full disk?"
echo "full disk: $recorded seeds recorded, $((30 - recorded)) not done (no row or pending)"

# run --db on a disk with no room at all (a second tmpfs, filled up): exit 3, no half run.
mkdir tiny
mount -t tmpfs -o size=1m tmpfs tiny || fail "mounting a second tmpfs"
trap 'umount "$T/tiny"; umount "$T/small"; rm -rf "$T"' EXIT
"$FL" run "$SC" "${SETS[@]}" --set run.until=300ms --set 'faults.window=["100ms","200ms"]' \
  --set run.liveness=100ms --db tiny/r.db >/dev/null 2>&1 || fail "a first run into tiny/r.db"
dd if=/dev/zero of=tiny/filler bs=4k 2>/dev/null # until the file system is full
expect_exit 3 "run --db on a full disk" -- "$FL" run "$SC" "${SETS[@]}" --db tiny/r.db &&
  expect_error_line 'tiny/r.db: database or disk is full \(free some space' "run --db on a full disk"
[ "$(sqlite3 tiny/r.db 'SELECT count(*) FROM runs')" = 1 ] && pass || fail "run --db left a row"
[ "$(sqlite3 tiny/r.db 'PRAGMA integrity_check')" = ok ] && pass ||
  fail "r.db is not sound after run --db on a full disk"
rm tiny/filler
expect_exit 0 "run --db with room again" -- "$FL" run "$SC" "${SETS[@]}" --db tiny/r.db

# Room again: the same command resumes and records every seed in full.
mount -o remount,size=128m small || fail "growing the tmpfs"
expect_exit 0 "the resume with room again" -- "$FL" "${SWEEP[@]}"
[ "$(q "SELECT count(DISTINCT seed), sum(recorded = 'all') FROM runs WHERE origin = 'sweep'")" \
  = "30|30" ] && pass || fail "after the resume: $(q "SELECT recorded, count(*) FROM runs GROUP BY 1")"
[ "$(q 'SELECT status FROM sweeps')" = done ] && pass || fail "the resumed sweep is not done"
finish
