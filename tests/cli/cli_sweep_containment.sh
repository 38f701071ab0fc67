#!/usr/bin/env bash
# Containment: a protocol plugin that segfaults on some seeds and loops forever on others
# (tests/plugins/crashy.c) does not stop a sweep.  Which seeds crash or hang is found
# first by running each seed alone with `faultline run`, which reports a crashed
# protocol (SIGSEGV) or the wall watchdog as outcome crash / hang with exit 1; the sweep
# must record exactly those as `crash` (with the signal's
# name) and `hang`, every other seed as `ok`, and complete.
source "$(dirname "$0")/lib/common.bash"

q() { "$FL" query "$@" --format csv | tail -n +2; }
PLUGIN="$BUILD/plugins/libcrashy.so"
[ -f "$PLUGIN" ] || { fail "$PLUGIN not built"; finish; }
# Under AddressSanitizer, let SIGSEGV kill the process rather than ASan's handler.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}handle_segv=0"
N=30
OPTS=(--protocol "$PLUGIN" --set nodes=3 --set run.until=1s --set run.watchdog=500ms)

# ---- each seed alone: ok (exit 0), crash (SIGSEGV, exit 1), hang (watchdog, exit 1)
: >want_crash
: >want_hang
: >want_ok
for s in $(seq 1 $N); do
  # (timeout only guards the test itself: run's own watchdog ends a hang after ~1 s; the
  # subshell keeps bash's "Segmentation fault" notice out of the test's output)
  (timeout 30 "$FL" run "${OPTS[@]}" --seed "$s" >run.out 2>run.err; exit $?) 2>/dev/null
  rc=$?
  if [ $rc = 0 ]; then
    echo "$s" >>want_ok
  elif [ $rc = 1 ] && grep -q 'the protocol crashed (SIGSEGV): outcome crash' run.err; then
    echo "$s" >>want_crash
  elif [ $rc = 1 ] && grep -q 'watchdog expired' run.err; then
    echo "$s" >>want_hang
  else
    fail "seed $s alone: unexpected exit $rc: $(head -c 300 run.err)"
  fi
done
[ -s want_crash ] && pass || fail "no seed of 1..$N crashes alone: the test shows nothing"
[ -s want_hang ] && pass || fail "no seed of 1..$N hangs alone: the test shows nothing"
[ "$(cat want_ok want_crash want_hang | wc -l)" = $N ] && pass || fail "every seed classified"

# ---- the sweep: completes, exit 1, one row per seed, exactly those outcomes
expect_exit 1 "sweep with crashes and hangs" -- timeout 120 "$FL" sweep "${OPTS[@]}" --seeds 1..$N \
  -j 2 --db c.db --quiet
[ "$(q c.db 'SELECT status FROM sweeps')" = done ] && pass || fail "the sweep completed (status done)"
[ "$(q c.db 'SELECT count(*) || "/" || count(DISTINCT seed) FROM runs')" = "$N/$N" ] && pass ||
  fail "one row per seed: $(q c.db 'SELECT count(*) || "/" || count(DISTINCT seed) FROM runs')"
for o in crash hang ok; do
  q c.db "SELECT seed FROM runs WHERE outcome = '$o' ORDER BY seed" >"got_$o"
  cmp -s "want_$o" "got_$o" && pass ||
    fail "$o seeds: alone $(paste -sd, "want_$o"), in the sweep $(paste -sd, "got_$o")"
done
[ "$(q c.db "SELECT count(*) FROM runs WHERE outcome = 'crash' AND detail NOT LIKE 'Segmentation fault%'")" = 0 ] &&
  pass || fail "crash rows name the signal: $(q c.db "SELECT detail FROM runs WHERE outcome = 'crash' LIMIT 1")"
[ "$(q c.db "SELECT count(*) FROM runs WHERE outcome = 'hang' AND detail NOT LIKE '%watchdog%500 ms%'")" = 0 ] &&
  pass || fail "hang rows name the watchdog: $(q c.db "SELECT detail FROM runs WHERE outcome = 'hang' LIMIT 1")"
ncrash=$(wc -l <want_crash)
nhang=$(wc -l <want_hang)
grep -q "^outcomes: ok $((N - ncrash - nhang)), .*crash $ncrash" out && grep -q "hang $nhang" out &&
  pass || fail "summary counts: $(grep outcomes out)"
first=$(head -1 want_crash)
grep -q "seed $first: crash (Segmentation fault" out && pass || fail "summary lists crash seed $first"
grep -q -- "--seed $first --trace --protocol " out && pass || fail "reproducing command for seed $first"

# ---- crash and hang rows count as done: the same command again runs nothing
expect_exit 1 "sweep again" -- "$FL" sweep "${OPTS[@]}" --seeds 1..$N -j 2 --db c.db --quiet
grep -q ": 0 run now, $N already done" out && pass || fail "rerun ran nothing: $(head -1 out)"
[ "$(q c.db 'PRAGMA integrity_check')" = ok ] && pass || fail "integrity_check"
finish
