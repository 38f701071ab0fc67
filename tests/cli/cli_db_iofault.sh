#!/usr/bin/env bash
# cli_db_iofault.sh -- I/O faults as data, the way SQLite tests itself: the test program
# faultline_iofault (the faultline command with the VFS shim of tests/iofault/) fails the
# N-th write, sync or open, and N sweeps over every I/O that a short sweep and a recorded
# run make.  Whatever fails, the command exits 2 or 3 with one line on stderr, never
# crashes, leaves a database that integrity_check accepts, and the same command without
# the fault (a resume) completes it.
source "$(dirname "$0")/lib/common.bash"

IOF="$BUILD/tests/faultline_iofault"
[ -x "$IOF" ] || { fail "test program $IOF was not built"; finish; }
command -v sqlite3 >/dev/null || { echo "SKIP: cli_db_iofault needs the sqlite3 CLI"; finish; }

echo '{"protocol": "echo", "nodes": 3, "params": {"period": "20ms"},
       "run": {"until": "100ms"}}' >echo.json
SWEEP=(sweep echo.json --seeds 1..3 --record all --quiet)

# The I/O counts of a command without faults: "writes syncs opens".
counts() { # counts DB CMD...
  local db=$1
  shift
  rm -f counts
  FL_IOFAULT=count FL_IOFAULT_COUNTS="$T/counts" "$IOF" "$@" --db "$db" >/dev/null 2>&1
  sort -n -r counts | head -1
}

# The N to try for a kind with `total` I/Os: each of the first FIRST, then a stride so
# that about FIRST more are tried.  The sanitizer tree is several times slower: fewer.
FIRST=40 BIG_KS="1 2 3 4 5"
if [ -n "${FL_SANITIZED:-}" ]; then
  FIRST=15 BIG_KS="1 3 5"
  echo "sanitized build: the first 15 I/Os of each kind and 15 more, 3 faults in the big recording"
fi
points() { # points TOTAL
  local total=$1 n=1 stride=$(($1 / FIRST))
  [ "$stride" -lt 1 ] && stride=1
  while [ "$n" -le "$total" ]; do
    echo "$n"
    if [ "$n" -lt "$FIRST" ]; then n=$((n + 1)); else n=$((n + stride)); fi
  done
}

integrity_ok() { # integrity_ok DB WHAT
  [ -e "$1" ] || return 0
  local got
  got=$(sqlite3 "$1" 'PRAGMA integrity_check' 2>&1)
  [ "$got" = ok ] && pass || fail "$2: integrity_check says: $got"
}

# What every faulted command must do: exit 0, 2 or 3; when it fails, one line.
faulted_ok() { # faulted_ok WHAT (after the command wrote $T/err and exit code in $rc)
  case $rc in
  0) pass ;;
  2 | 3) expect_error_line '.' "$1" ;;
  *) fail "$1: exit $rc; stderr: $(head -c 300 "$T/err")" ;;
  esac
}

# A sweep from `base` (empty: a new file) with FAULT, then the same sweep without it.
sweep_case() { # sweep_case BASE FAULT
  local base=$1 fault=$2 what="sweep${1:+ from $1} with $2"
  rm -f s.db s.db-* s.db.lock
  [ -n "$base" ] && cp "$base" s.db
  FL_IOFAULT=$fault "$IOF" "${SWEEP[@]}" --db s.db >"$T/out" 2>"$T/err"
  rc=$?
  faulted_ok "$what"
  integrity_ok s.db "$what"
  if ! "$FL" "${SWEEP[@]}" --db s.db >"$T/out" 2>"$T/err"; then
    fail "$what: the resume failed: $(head -c 300 "$T/err")"
    return
  fi
  local got
  got=$(sqlite3 s.db "SELECT count(DISTINCT seed), sum(recorded = 'all'), count(*)
                      FROM runs WHERE origin = 'sweep'")
  [ "$got" = "3|3|3" ] && pass || fail "$what: after the resume (seeds|recorded|rows) $got"
}

"$FL" sweep echo.json --seeds 1..1 --record all --quiet --db base.db >/dev/null ||
  fail "making base.db"
for base in "" base.db; do
  rm -f c.db c.db-* c.db.lock
  [ -n "$base" ] && cp "$base" c.db
  read -r writes syncs opens <<<"$(counts c.db "${SWEEP[@]}")"
  [ "${writes:-0}" -gt 0 ] && [ "${opens:-0}" -gt 0 ] && pass ||
    fail "counting the sweep's I/O${base:+ from $base}: '$writes $syncs $opens'"
  echo "sweep${base:+ from $base}: $writes writes, $syncs syncs, $opens opens"
  for n in $(points "${writes:-0}"); do sweep_case "$base" "write:$n"; done
  for n in $(points "${writes:-0}"); do
    [ $((n % 4)) = 1 ] && sweep_case "$base" "write:$n+" # a disk that stays full
  done
  for n in $(points "${syncs:-0}"); do sweep_case "$base" "sync:$n"; done
  for n in $(points "${opens:-0}"); do sweep_case "$base" "open:$n"; done
done

# A recording larger than the recorder's page cache (16 MB; this one is about 28 MB)
# writes while the run streams in, not only at its commit: a write that fails then is
# the database's failure, not the protocol's (it was once taken for "malformed frames
# from the worker": the seed was left bare for ever and the sweep exited 0).  The seed
# is left not done: no row, or a pending one, which the resume records.
BIG=(sweep "$SRC/sim/scenarios/raft-chaos.json" --seeds 3..3 --record all --quiet
  --set run.until=400s --set 'faults.window=["500ms","390s"]'
  --set 'faults.partition.kinds=["isolate","halves","oneway","bridge"]') # no "ring": never drawn on 3 nodes, warned about
rm -f c.db c.db-* c.db.lock
read -r writes syncs opens <<<"$(counts c.db "${BIG[@]}")"
size=$(stat -c %s c.db 2>/dev/null || echo 0)
[ "$size" -gt 16777216 ] && pass || fail "the big recording is $size bytes, not above the 16 MB cache"
echo "big recording: $writes writes, $size bytes"
failed=0
for k in $BIG_KS; do # the first quarter of the writes: the spills while the run streams in
  n=$((writes * k / 20))
  what="recording of $size bytes with write:$n"
  rm -f b.db b.db-* b.db.lock
  FL_IOFAULT=write:$n "$IOF" "${BIG[@]}" --db b.db >"$T/out" 2>"$T/err"
  rc=$?
  got="$rc:$(sqlite3 b.db "SELECT recorded FROM runs")"
  case $got in
  3:pending | 3:) expect_error_line 'b.db: disk I/O error \(check the disk' "$what" && failed=$((failed + 1)) ;;
  0:all) echo "$what: the failed write was in the best-effort checkpoint at close" && pass ;;
  *) fail "$what: exit and recorded $got, expected 3 and no row or a pending one (or 0:all): $(head -c 300 "$T/err")" ;;
  esac
  integrity_ok b.db "$what"
  "$FL" "${BIG[@]}" --db b.db >/dev/null 2>"$T/err" || fail "$what: resume: $(cat "$T/err")"
  got=$(sqlite3 b.db "SELECT group_concat(recorded) FROM runs")
  [ "$got" = all ] && pass || fail "$what: after the resume, recorded is '$got'"
done
[ "$failed" -ge 1 ] && pass || fail "none of the big recording's faults hit the run"

# A recorded run into a database that holds one already: all or nothing.
"$FL" run echo.json --db run0.db >/dev/null 2>&1 || fail "making run0.db"
read -r writes syncs opens <<<"$(cp run0.db c.db && counts c.db run echo.json)"
echo "run --db: $writes writes, $syncs syncs, $opens opens"
run_case() { # run_case FAULT
  local what="run --db with $1"
  cp run0.db r.db
  rm -f r.db-*
  FL_IOFAULT=$1 "$IOF" run echo.json --db r.db >"$T/out" 2>"$T/err"
  rc=$?
  faulted_ok "$what"
  integrity_ok r.db "$what"
  local got
  got=$(sqlite3 r.db "SELECT count(*), sum((SELECT count(*) FROM events e WHERE e.run_id = r.id)
                      = r.steps) FROM runs r")
  case "$rc:$got" in
  0:2\|2 | [23]:1\|1) pass ;;
  *) fail "$what: exit $rc but (runs|complete runs) $got" ;;
  esac
  "$FL" run echo.json --db r.db >/dev/null 2>"$T/err" && pass ||
    fail "$what: the next run failed: $(head -c 300 "$T/err")"
}
for n in $(points "${writes:-0}"); do run_case "write:$n"; done
for n in $(points "${syncs:-0}"); do run_case "sync:$n"; done
for n in $(points "${opens:-0}"); do run_case "open:$n"; done
finish
