#!/usr/bin/env bash
# cli_sweep_workers.sh -- sweep workers are fresh processes (fork + exec of faultline):
# a plugin that starts a thread when it is loaded works in a sweep at -j2, and a
# plugin whose snapshot() crashes or hangs costs only the full recording of its seeds
# (they stay bare rows) -- the parent, which never runs protocol code, goes on.
source "$(dirname "$0")/lib/common.bash" "$@"
q() { "$FL" query "$@" --format csv | tail -n +2; }
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}handle_segv=0"

# ---- a plugin with a thread of its own
T1=(--protocol "$BUILD/plugins/libthreaded.so" --set run.until=500ms --set run.watchdog=5s)
expect_exit 0 "threaded plugin, run" -- timeout 60 "$FL" run "${T1[@]}"
expect_exit 0 "threaded plugin, sweep -j2" -- timeout 120 "$FL" sweep "${T1[@]}" --seeds 1..40 -j 2 \
  --db t.db --quiet
[ "$(q t.db "SELECT count(*) FROM runs WHERE outcome = 'ok'")" = 40 ] && pass ||
  fail "every seed ok: $(q t.db "SELECT outcome, count(*) FROM runs GROUP BY 1")"

# ---- protocol code is loaded by workers only, never by the command's own process
export FL_TEST_LOADED_BY="$T/loaded"
IP=(--protocol "$BUILD/plugins/libinitproto.so" --set run.until=50ms)
"$FL" sweep "${IP[@]}" --seeds 1..6 -j 2 --db i.db --quiet >/dev/null 2>&1 &
sp=$!
wait $sp
"$FL" run "${IP[@]}" >/dev/null 2>&1 &
rp=$!
wait $rp
grep -qx "$sp" loaded && fail "the sweep parent loaded the plugin" || pass
grep -qx "$rp" loaded && fail "run's own process loaded the plugin" || pass
[ "$(wc -l <loaded)" -ge 3 ] && pass || fail "the workers loaded it: $(wc -l <loaded) loads"
unset FL_TEST_LOADED_BY

# ---- snapshot() crashes or hangs, only when a run is recorded in full
S1=(--protocol "$BUILD/plugins/libsnapshotty.so" --set run.until=300ms --set run.watchdog=1s)
N=20
expect_exit 0 "sweep --record all with a dangerous snapshot()" -- timeout 200 "$FL" sweep \
  "${S1[@]}" --seeds 1..$N -j 2 --record all --db s.db
[ "$(q s.db 'SELECT status FROM sweeps')" = done ] && pass || fail "the sweep completed"
[ "$(q s.db "SELECT count(*) || '/' || count(DISTINCT seed) FROM runs")" = "$N/$N" ] && pass ||
  fail "one row per seed"
bare=$(q s.db "SELECT count(*) FROM runs WHERE recorded = 'none'")
full=$(q s.db "SELECT count(*) FROM runs WHERE recorded = 'all'")
[ "$bare" -ge 2 ] && [ "$full" -ge 2 ] && [ $((bare + full)) = $N ] && pass ||
  fail "some recordings failed, the rest are whole: $bare bare, $full full"
grep -q 'full recording failed: the protocol crashed while recorded: ' err && pass ||
  fail "a crash in snapshot() is reported: $(grep -m1 'recording failed' err)"
grep -q 'full recording failed: the protocol hung while recorded: wall-clock watchdog' err && pass ||
  fail "a hang in snapshot() is reported: $(grep -m1 'recording failed' err)"
[ "$(q s.db "SELECT count(*) FROM runs r WHERE recorded = 'all' AND steps <> (SELECT count(*) FROM events e WHERE e.run_id = r.id)")" = 0 ] &&
  pass || fail "every full recording is whole"
[ "$(q s.db 'PRAGMA integrity_check')" = ok ] && pass || fail "integrity_check"
# no worker outlives its sweep (a worker's last argument is its parent's pid)
timeout 120 "$FL" sweep "${S1[@]}" --seeds 1..$N -j 2 --record all --db s2.db --quiet >/dev/null 2>&1 &
sweep_pid=$!
wait $sweep_pid
sleep 0.2
pgrep -f "__worker [0-9]+ [0-9]+ $sweep_pid\$" >/dev/null && fail "a worker outlived its sweep" || pass
finish
