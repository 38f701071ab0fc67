#!/usr/bin/env bash
# cli_sweep_keep.sh -- a sweep keeps every failure as it finds it: kill -9 it three
# times and resume, and every seed is there exactly once, every failure recorded in full
# once, no recording left pending, the file sound and no worker alive; Ctrl-C keeps the
# failures found so far; a second sweep of the same scenario at once is refused; an
# extended range runs only the new seeds.
source "$(dirname "$0")/lib/common.bash" "$@"
q() { sqlite3 "$@" 2>/dev/null; }
N=${FL_KEEP_SEEDS:-300}
[ -n "${FL_SANITIZED:-}" ] && N=100 # the sanitizer tree is several times slower
KILLS=${FL_KEEP_KILLS:-3}           # make soak: 3,000 seeds, 20 kills
SW=("$SRC/sim/scenarios/raft-crash.json" --set 'params.bugs=["accept_stale_term"]' -j 2)

# wait_rows DB N: until DB has at least N runs rows (or 60 s)
wait_rows() {
  for _ in $(seq 600); do
    [ "$(q "$1" 'SELECT count(*) FROM runs')" -ge "$2" ] 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
no_workers_of() { ! pgrep -f "__worker [0-9]+ [0-9]+ $1\$" >/dev/null; }

# ---- KILLS kill -9s at rows spread over the sweep, each resumed
for k in $(seq 1 "$KILLS"); do
  at=$((N * (2 * k - 1) / (2 * KILLS)))
  "$FL" sweep "${SW[@]}" --seeds 1..$N --db k.db --quiet >/dev/null 2>&1 &
  pid=$!
  wait_rows k.db "$at" || fail "the sweep reached $at rows"
  kill -9 "$pid"
  wait "$pid" 2>/dev/null
  sleep 1.2 # PR_SET_PDEATHSIG: the workers follow their parent
  no_workers_of "$pid" && pass || fail "workers outlived their parent killed at $at rows"
  [ "$(q k.db 'PRAGMA integrity_check')" = ok ] && pass || fail "integrity_check after kill at $at"
done
expect_exit 1 "resume after $KILLS kill -9s" -- timeout 300 "$FL" sweep "${SW[@]}" --seeds 1..$N --db k.db --quiet
[ "$(q k.db 'SELECT count(*) || "/" || count(DISTINCT seed) FROM runs')" = "$N/$N" ] && pass ||
  fail "every seed once: $(q k.db 'SELECT count(*) || "/" || count(DISTINCT seed) FROM runs')"
failing=$(q k.db "SELECT count(*) FROM runs WHERE outcome <> 'ok'")
[ "$failing" -ge 3 ] && pass || fail "the bug is found ($failing failing seeds)"
# every failure recorded in full, up to --record-max (100) of them per invocation
full=$(q k.db "SELECT count(*) FROM runs WHERE outcome <> 'ok' AND recorded = 'all'")
want=$((failing < 100 ? failing : 100))
[ "$full" -ge "$want" ] && [ "$full" -le "$failing" ] && pass ||
  fail "failures recorded in full: $full of $failing: $(q k.db "SELECT recorded, count(*) FROM runs WHERE outcome <> 'ok' GROUP BY 1")"
[ "$(q k.db "SELECT count(*) FROM runs WHERE recorded = 'pending'")" = 0 ] && pass || fail "nothing left pending"
[ "$(q k.db "SELECT count(*) FROM runs r WHERE recorded = 'all' AND steps <> (SELECT count(*) FROM events e WHERE e.run_id = r.id)")" = 0 ] &&
  pass || fail "each full recording is whole, once"
[ "$(q k.db 'PRAGMA integrity_check')" = ok ] && pass || fail "integrity_check at the end"
# the same as one uninterrupted sweep
"$FL" sweep "${SW[@]}" --seeds 1..$N --db one.db --quiet >/dev/null 2>&1
[ "$(q k.db 'SELECT group_concat(seed || outcome || digest) FROM (SELECT * FROM runs ORDER BY seed)')" = \
  "$(q one.db 'SELECT group_concat(seed || outcome || digest) FROM (SELECT * FROM runs ORDER BY seed)')" ] &&
  pass || fail "the killed and resumed sweep equals an uninterrupted one"

# ---- Ctrl-C keeps the failures found so far
"$FL" sweep "${SW[@]}" --seeds 1..$N --db c.db --quiet >c.out 2>c.err &
pid=$!
for _ in $(seq 600); do
  [ "$(q c.db "SELECT count(*) FROM runs WHERE outcome <> 'ok'")" -ge 2 ] 2>/dev/null && break
  sleep 0.1
done
kill -INT "$pid"
wait "$pid"
rc=$?
[ $rc = 130 ] && pass || fail "Ctrl-C: exit $rc"
kept=$(q c.db "SELECT count(*) FROM runs WHERE outcome <> 'ok'")
[ "$kept" -ge 2 ] && pass || fail "the failures found before Ctrl-C are kept ($kept)"
[ "$(q c.db 'SELECT status FROM sweeps')" = interrupted ] && pass || fail "marked interrupted"
expect_exit 1 "resume after Ctrl-C" -- "$FL" sweep "${SW[@]}" --seeds 1..$N --db c.db --quiet
[ "$(q c.db 'SELECT count(*) || "/" || count(DISTINCT seed) FROM runs')" = "$N/$N" ] && pass ||
  fail "every seed once after Ctrl-C"
[ "$(q c.db "SELECT count(*) FROM runs WHERE recorded = 'pending'")" = 0 ] && pass || fail "nothing pending after resume"

# ---- a second sweep of the same scenario at once is refused (the first runs 4N seeds,
# so that it is still running when the second starts: 100 seeds take under 3 s now)
M=$((4 * N))
"$FL" sweep "${SW[@]}" --seeds 1..$M --db two.db --quiet >/dev/null 2>&1 &
pid=$!
wait_rows two.db 1
expect_exit 2 "a second sweep at once" -- "$FL" sweep "${SW[@]}" --seeds 1..$M --db two.db --quiet
expect_error_line 'another sweep of this scenario is running into two.db \(pid [0-9]+\)' "refused in one line"
wait "$pid"
[ "$(q two.db 'SELECT count(*) || "/" || count(DISTINCT seed) FROM runs')" = "$M/$M" ] && pass ||
  fail "each seed once with two sweeps started"
# another scenario may sweep into the same file at the same time
expect_exit 0 "another scenario meanwhile" -- "$FL" sweep "$SRC/sim/scenarios/echo.json" --set run.until=200ms \
  --seeds 1..5 --db two.db --quiet

# ---- an extended range runs only the new seeds
expect_exit 0 "seeds 1..20" -- "$FL" sweep "$SRC/sim/scenarios/echo.json" --set run.until=200ms --seeds 1..20 --db x.db --quiet
expect_exit 0 "seeds 1..30" -- "$FL" sweep "$SRC/sim/scenarios/echo.json" --set run.until=200ms --seeds 1..30 --db x.db --quiet
grep -q ': 10 run now, 20 already done' out && pass || fail "only the new seeds: $(head -1 out)"
[ "$(q x.db 'SELECT count(*) || "/" || count(DISTINCT seed) FROM runs')" = "30/30" ] && pass || fail "30 rows, 30 seeds"
finish
