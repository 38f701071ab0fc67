#!/usr/bin/env bash
# cli_sweep_stop.sh -- --stop-after N keeps exactly N failing seeds per invocation, on a
# fresh sweep and on its resume (seeds in flight when the N-th failure came are not
# kept: a resume runs them); and the sweep parent stays small under --record all, where
# every seed's full recording streams through it into the database.
source "$(dirname "$0")/lib/common.bash" "$@"
q() { sqlite3 "$@" 2>/dev/null; }
SW=("$SRC/sim/scenarios/raft-crash.json" --set 'params.bugs=["accept_stale_term"]' --seeds 1..300)

expect_exit 1 "--stop-after 3" -- "$FL" sweep "${SW[@]}" -j 2 --stop-after 3 --db s.db --quiet
grep -q 'stopped after 3 failing seeds' out && pass || fail "says it stopped: $(grep stopped out)"
[ "$(q s.db "SELECT count(*) FROM runs WHERE outcome <> 'ok'")" = 3 ] && pass ||
  fail "3 failing rows, not $(q s.db "SELECT count(*) FROM runs WHERE outcome <> 'ok'")"
expect_exit 1 "--stop-after 3, resumed" -- "$FL" sweep "${SW[@]}" -j 2 --stop-after 3 --db s.db --quiet
[ "$(q s.db "SELECT count(*) FROM runs WHERE outcome <> 'ok'")" = 6 ] && pass ||
  fail "6 failing rows after the resume, not $(q s.db "SELECT count(*) FROM runs WHERE outcome <> 'ok'")"
[ "$(q s.db "SELECT count(*) FROM runs WHERE outcome <> 'ok' AND recorded <> 'all'")" = 0 ] && pass ||
  fail "each kept failure is recorded in full"
[ "$(q s.db 'SELECT count(*) - count(DISTINCT seed) FROM runs')" = 0 ] && pass || fail "no seed twice"

# The parent's peak resident set (VmHWM), sampled until it exits: the recordings
# (about 40 MB each) must stream through it, never gather in it.
if [ -n "${FL_SANITIZED:-}" ]; then
  echo "cli_sweep_stop: the parent memory bound is not checked under the sanitizers" \
    "(their shadow memory is most of the resident set)"
else
  "$FL" sweep "$SRC/sim/scenarios/raft-chaos.json" --set run.until=10s \
    --set 'faults.window=["500ms", "8s"]' --seeds 1..8 -j 2 \
    --record all --db a.db --quiet >/dev/null 2>&1 &
  pid=$!
  hwm=0
  while kill -0 "$pid" 2>/dev/null; do
    v=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null)
    [ -n "$v" ] && hwm=$v
    sleep 0.05
  done
  wait "$pid" && pass || fail "the --record all sweep failed"
  [ "$(q a.db "SELECT count(*) FROM runs WHERE recorded = 'all'")" = 8 ] && pass || fail "8 full recordings"
  [ "$hwm" -gt 0 ] && [ "$hwm" -le 65536 ] && pass || fail "parent peak RSS ${hwm} kB > 64 MB"
  echo "cli_sweep_stop: parent peak RSS under --record all: ${hwm} kB"
fi
finish
