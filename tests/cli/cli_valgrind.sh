#!/usr/bin/env bash
# valgrind-clean: a few small runs of the real binary (scripted Raft with a trace, a
# recorded echo run, replay, a query) under memcheck with leak checking: no error, no
# leak.  Skipped where valgrind is missing and in the sanitizer build (they do not mix).
source "$(dirname "$0")/lib/common.bash"

if [ -n "${FL_SANITIZED:-}" ] || ! command -v valgrind >/dev/null; then
  echo "cli_valgrind: 0 passed, 0 failed, 1 skipped (no valgrind, or a sanitizer build)"
  exit 0
fi
vg() { valgrind --trace-children=yes --leak-check=full --errors-for-leak-kinds=definite,indirect \
  --error-exitcode=99 -q "$FL" "$@"; }

vg run "$SRC/sim/scenarios/raft-seed.json" --schedule "$SRC/tests/scripts/seed_000.json" \
  --trace >/dev/null 2>vg1.err
[ $? = 0 ] && pass || fail "scripted raft run: $(head -c 600 vg1.err)"
vg run "$SRC/sim/scenarios/echo.json" --set run.until=500ms --db v.db >/dev/null 2>vg2.err
[ $? = 0 ] && pass || fail "recorded echo run: $(head -c 600 vg2.err)"
vg replay v.db 1 --quiet >/dev/null 2>vg3.err
[ $? = 0 ] && pass || fail "replay: $(head -c 600 vg3.err)"
vg query v.db --report >/dev/null 2>vg4.err
[ $? = 0 ] && pass || fail "query --report: $(head -c 600 vg4.err)"
vg run "$SRC/sim/scenarios/raft-chaos.json" --seed 2 --set run.until=5s \
  --set faults.window='["500ms","4s"]' >/dev/null 2>vg5.err
rc=$?
[ $rc -le 1 ] && pass || fail "raft chaos run (exit $rc): $(head -c 600 vg5.err)"
finish
