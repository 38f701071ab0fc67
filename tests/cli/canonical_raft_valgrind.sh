#!/usr/bin/env bash
# canonical-raft under valgrind's memcheck: a chaos run with crashes and restarts
# (libraft closed at every crash, its pending appends and sends completed), one with
# torn writes (the log's torn tail cut at restart), a recorded run replayed, and the
# scripted last-index bug.  No error, no leak.  Skipped without valgrind and in the
# sanitizer build (they do not mix).
source "$(dirname "$0")/lib/common.bash"
source "$(dirname "$0")/lib/canonical_raft.bash"

if [ -n "${FL_SANITIZED:-}" ] || ! command -v valgrind >/dev/null; then
  echo "canonical_raft_valgrind: 0 passed, 0 failed, 1 skipped (no valgrind, or a sanitizer build)"
  exit 0
fi
vg() { valgrind --trace-children=yes --leak-check=full --errors-for-leak-kinds=definite,indirect \
  --error-exitcode=99 -q "$FL" "$@"; }

vg run "$CR_CHAOS" --seed 1 --set run.until=12s --set faults.window='["500ms","8s"]' \
  >vg1.out 2>vg1.err
rc=$?
[ $rc = 0 ] && pass || fail "chaos run (exit $rc): $(head -c 600 vg1.err)"
grep -qE '^faults:.* crash [1-9]' vg1.out && grep -qE '^faults:.* restart [1-9]' vg1.out && pass ||
  fail "the chaos run had no crash and restart: $(grep faults: vg1.out)"
vg run "$CR_CHAOS" --seed 1 --set faults.crash.unsynced='"tear"' --set run.until=6s \
  --set faults.window='["500ms","4s"]' --trace >vg2.out 2>vg2.err
rc=$?
[ $rc = 0 ] && pass || fail "torn-write run (exit $rc): $(head -c 600 vg2.err)"
grep -q 'torn tail' vg2.out && pass || fail "the torn-write run cut no torn tail"
vg run "$CR_CHAOS" --seed 3 --set run.until=3s --set faults.window='["500ms","2s"]' --db v.db >/dev/null 2>vg3.err
rc=$?
[ $rc -le 1 ] && pass || fail "recorded run (exit $rc): $(head -c 600 vg3.err)"
vg replay v.db 1 --quiet >/dev/null 2>vg4.err
[ $? = 0 ] && pass || fail "replay: $(head -c 600 vg4.err)"
vg run "$SRC/tests/scripts/canonical_raft_last_index.json" --set params.checks=false \
  --trace >/dev/null 2>vg5.err
[ $? = 0 ] && pass || fail "scripted run: $(head -c 600 vg5.err)"
finish
