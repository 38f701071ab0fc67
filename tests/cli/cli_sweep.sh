#!/usr/bin/env bash
# `faultline sweep`: one runs row per seed with the digest `run` gives, resume runs nothing
# twice, failing seeds are recorded in full and come with a reproducing command, bad
# arguments exit 2 with one line, crash/hang are contained, SIGINT and kill -9 of the
# parent leave a resumable, intact database and no orphaned workers.
source "$(dirname "$0")/lib/common.bash"

q() { "$FL" query "$@" --format csv | tail -n +2; }
ECHO="$SRC/sim/scenarios/echo.json"

# ---- 40 seeds, -j 2: one row per seed, digests as `run` prints them
expect_exit 0 "sweep 1..40" -- "$FL" sweep "$ECHO" --set run.until=1s --seeds 1..40 -j 2 --db s.db
[ "$(q s.db 'SELECT count(*) FROM runs')" = 40 ] && pass || fail "40 runs rows"
[ "$(q s.db 'SELECT count(DISTINCT seed) || "/" || min(seed) || "/" || max(seed) FROM runs')" = "40/1/40" ] &&
  pass || fail "one row per seed 1..40"
[ "$(q s.db "SELECT count(*) FROM runs WHERE recorded = 'none' AND sweep_id = 1")" = 40 ] && pass ||
  fail "ok seeds recorded as rows only"
[ "$(q s.db 'SELECT status FROM sweeps')" = done ] && pass || fail "sweep marked done"
grep -q '^outcomes: ok 40' out && pass || fail "summary counts: $(cat out)"
q s.db 'SELECT seed, digest FROM runs ORDER BY seed' >db_digests
: >run_digests
for s in $(seq 1 40); do
  d=$("$FL" run "$ECHO" --set run.until=1s --seed "$s" 2>/dev/null | sed -n 's/^digest: *//p')
  echo "$s,$d" >>run_digests
done
cmp -s db_digests run_digests && pass || fail "sweep digests = run digests: $(diff db_digests run_digests | head -5)"

# ---- the same command again: resumes, runs nothing new
expect_exit 0 "sweep again" -- "$FL" sweep "$ECHO" --set run.until=1s --seeds 1..40 -j 2 --db s.db
[ "$(q s.db 'SELECT count(*) FROM runs')" = 40 ] && pass || fail "still 40 rows after rerun"
grep -q ': 0 run now, 40 already done' out && pass || fail "rerun ran nothing: $(head -1 out)"
# a larger -j is the same sweep
expect_exit 0 "sweep again -j 3" -- "$FL" sweep "$ECHO" --set run.until=1s --seeds 1..40 -j 3 --db s.db --quiet
[ "$(q s.db 'SELECT count(*) FROM sweeps')" = 1 ] && pass || fail "one sweep whatever -j"

# ---- a bug: exit 1, violations recorded in full, reproducing command
BUG='params.bugs=["pong_without_ping"]'
expect_exit 1 "sweep with a bug" -- "$FL" sweep "$ECHO" --set run.until=1s --set "$BUG" \
  --seeds 1..12 -j 2 --db b.db
[ "$(q b.db "SELECT count(*) FROM runs WHERE outcome = 'violation' AND check_name = 'pong_without_ping'")" = 12 ] &&
  pass || fail "12 violations"
[ "$(q b.db "SELECT count(*) FROM runs WHERE recorded = 'all'")" = 12 ] && pass || fail "recorded in full"
[ "$(q b.db 'SELECT count(*) FROM runs r WHERE r.steps <> (SELECT count(*) FROM events e WHERE e.run_id = r.id)')" = 0 ] &&
  pass || fail "one events row per step for every failing run"
[ "$(q b.db 'SELECT count(*) FROM events')" -gt 0 ] && pass || fail "events present"
grep -q 'violations by check: pong_without_ping 12' out && pass || fail "violations by check"
grep -qxF "    faultline run $ECHO --seed 1 --trace --set run.until=1s --set '$BUG'" out && pass ||
  fail "reproducing command: $(grep 'faultline run' out | head -1)"
grep -q "^all of them: faultline query b.db \"SELECT" out && pass || fail "the SQL query is printed"
d=$("$FL" run "$ECHO" --seed 1 --set run.until=1s --set "$BUG" 2>/dev/null | sed -n 's/^digest: *//p')
[ "$(q b.db 'SELECT digest FROM runs WHERE seed = 1')" = "$d" ] && pass || fail "reproduction gives the recorded digest"
# --record none and --record-max
expect_exit 1 "record none" -- "$FL" sweep "$ECHO" --set run.until=1s --set "$BUG" --seeds 1..5 -j 2 \
  --db n.db --record none --quiet
[ "$(q n.db "SELECT count(*) FROM runs WHERE recorded = 'none'") $(q n.db 'SELECT count(*) FROM events')" = "5 0" ] &&
  pass || fail "--record none writes rows only"
expect_exit 1 "record-max" -- "$FL" sweep "$ECHO" --set run.until=1s --set "$BUG" --seeds 1..6 -j 2 \
  --db x.db --record-max 2 --quiet
[ "$(q x.db "SELECT count(*) FROM runs WHERE recorded = 'all'")/$(q x.db 'SELECT count(*) FROM runs')" = "2/6" ] &&
  pass || fail "--record-max 2"
expect_exit 1 "stop-after" -- "$FL" sweep "$ECHO" --set run.until=1s --set "$BUG" --seeds 1..200 -j 2 \
  --db st.db --stop-after 3 --quiet
[ "$(q st.db 'SELECT status FROM sweeps')" = interrupted ] && pass || fail "--stop-after leaves it resumable"

# ---- usage errors: exit 2, one line
for bad in "--seeds 5..1" "--seeds x" "--seeds 0" "--seeds 1..x" "--seeds 3 -j 0" "--seeds 3 --record some"; do
  # shellcheck disable=SC2086
  expect_exit 2 "bad: $bad" -- "$FL" sweep "$ECHO" $bad --db u.db && expect_error_line '^faultline: sweep: ' "$bad"
done
expect_exit 2 "no --seeds" -- "$FL" sweep "$ECHO" --db u.db && expect_error_line 'seeds' "no --seeds"

# ---- shards cover the sweep
# (into their own file: in s.db every seed already ran once, and a seed runs once across
# the sweeps of a scenario)
expect_exit 0 "shard 1/2" -- "$FL" sweep "$ECHO" --set run.until=1s --seeds 1..40 -j 2 --db sh.db --shard 1/2 --quiet
expect_exit 0 "shard 2/2" -- "$FL" sweep "$ECHO" --set run.until=1s --seeds 1..40 -j 2 --db sh.db --shard 2/2 --quiet
[ "$(sqlite3 sh.db "ATTACH 's.db' AS u; SELECT count(*) FROM runs r JOIN u.runs x ON x.seed = r.seed AND x.sweep_id = 1 AND x.digest = r.digest")" = 40 ] &&
  pass || fail "shards 1/2 + 2/2 = the unsharded sweep"
expect_exit 0 "the shards again, into s.db" -- "$FL" sweep "$ECHO" --set run.until=1s --seeds 1..40 -j 2 --db s.db --shard 2/2 --quiet
grep -q ': 0 run now, ' out && pass || fail "a seed runs once across sweeps: $(head -1 out)"

# wait_until SECONDS CMD...: poll CMD every 0.1 s until it succeeds; 1 on timeout.
# The process tests below wait for states, not for fixed times, so load cannot race them.
wait_until() {
  local deadline=$(($(date +%s) + $1))
  shift
  until "$@"; do
    [ "$(date +%s)" -lt $deadline ] || return 1
    sleep 0.1
  done
}
runs_in() { [ -e "$1" ] && [ "$(q "$1" 'SELECT count(*) FROM runs' 2>/dev/null)" -gt 0 ] 2>/dev/null; }

# ---- containment: hang (wall watchdog) and crash (a signal)
LONG=(--set run.until=100000s --set run.max_steps=1000000000 --set run.watchdog=300ms)
expect_exit 1 "hang" -- "$FL" sweep "$ECHO" "${LONG[@]}" --seeds 1..3 -j 2 --db h.db --quiet
[ "$(q h.db "SELECT count(*) FROM runs WHERE outcome = 'hang'")" = 3 ] && pass || fail "3 hang rows"
# (under AddressSanitizer, let the SIGSEGV kill the worker rather than ASan's handler)
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}handle_segv=0" \
  "$FL" sweep "$ECHO" --set run.until=100000s --set run.max_steps=1000000000 --set run.watchdog=10s --seeds 1..1 -j 1 --db c.db --quiet \
  >/dev/null 2>&1 &
P=$!
wait_until 20 pgrep -P $P >/dev/null
C=$(pgrep -P $P | head -1)
[ -n "$C" ] && kill -SEGV "$C"
wait $P
[ $? = 1 ] && pass || fail "crash: exit 1"
q c.db "SELECT outcome, detail FROM runs" | grep -q '^crash,Segmentation fault' && pass ||
  fail "crash row with the signal name: $(q c.db 'SELECT outcome, detail FROM runs')"

# ---- SIGINT: exit 130, interrupted, resume runs each seed exactly once
MID=(--set run.until=300s --seeds 1..150 -j 2 --db i.db)
"$FL" sweep "$ECHO" "${MID[@]}" >i.out 2>i.err &
P=$!
wait_until 60 runs_in i.db || fail "no seed finished within 60 s"
kill -INT $P
wait $P
[ $? = 130 ] && pass || fail "SIGINT: exit 130"
[ "$(q i.db 'SELECT status FROM sweeps')" = interrupted ] && pass || fail "sweep marked interrupted"
n=$(q i.db 'SELECT count(*) FROM runs')
[ "$n" -gt 0 ] && [ "$n" -lt 150 ] && pass || fail "some seeds done before SIGINT: $n"
expect_exit 0 "resume after SIGINT" -- "$FL" sweep "$ECHO" "${MID[@]}" --quiet
[ "$(q i.db 'SELECT count(*) || "/" || count(DISTINCT seed) FROM runs')" = "150/150" ] && pass ||
  fail "every seed exactly once after resume: $(q i.db 'SELECT count(*) || "/" || count(DISTINCT seed) FROM runs')"

# ---- kill -9 of the parent: workers exit, database intact, resume completes it
K=(--set run.until=300s --seeds 1..100 -j 2 --db k.db)
"$FL" sweep "$ECHO" "${K[@]}" --quiet >/dev/null 2>&1 &
P=$!
disown $P # no "Killed" notice from the shell
wait_until 60 runs_in k.db || fail "no seed finished within 60 s"
kids=$(pgrep -P $P)
kill -9 $P
# gone, or a zombie waiting for a reaper (PID 1 in a container may never reap it)
workers_left() {
  local c
  for c in $kids; do
    [ -e /proc/$c/stat ] && [ "$(cut -d' ' -f3 /proc/$c/stat)" != Z ] && return 0
  done
  return 1
}
# the issue: workers notice and exit within a second (PDEATHSIG: at once)
wait_until 2 eval '! workers_left'
[ -n "$kids" ] && ! workers_left && pass || fail "workers exit with the parent (kids: $kids)"
[ "$(q k.db 'PRAGMA integrity_check')" = ok ] && pass || fail "integrity_check after kill -9"
expect_exit 0 "resume after kill -9" -- "$FL" sweep "$ECHO" "${K[@]}" --quiet
[ "$(q k.db 'SELECT count(*) || "/" || count(DISTINCT seed) FROM runs')" = "100/100" ] && pass ||
  fail "every seed exactly once after kill -9 + resume"
finish
