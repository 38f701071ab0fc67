#!/usr/bin/env bash
# cli_run_contained.sh -- `run` and `replay` execute in a worker (a pool of one), so a
# crash anywhere in protocol code is contained and reported as in a sweep: in stop() at
# the run's end, in snapshot() while recording, in abort(); each is outcome crash, one
# line on stderr naming the signal, and under --db the row says crash.
source "$(dirname "$0")/lib/common.bash" "$@"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}handle_segv=0:handle_abort=0"
P=(--protocol "$BUILD/plugins/libteardown.so" --set run.until=200ms)
row() { sqlite3 "$1" "SELECT outcome || '|' || coalesce(detail, '') FROM runs ORDER BY id DESC LIMIT 1"; }

expect_exit 0 "harmless" -- "$FL" run "${P[@]}" --db ok.db
[ "$(row ok.db)" = "ok|" ] && pass || fail "a harmless run's row: $(row ok.db)"

expect_exit 1 "stop() crashes at the run's end" -- "$FL" run "${P[@]}" --set 'params.where="stop"' --db s.db
grep -q '^faultline: run: the protocol crashed (SIGSEGV): outcome crash at step [0-9]* (seed 1)$' err &&
  pass || fail "stop crash on stderr: $(cat err)"
row s.db | grep -q "^crash|Segmentation fault (signal 11) after the run's end (stop)$" && pass ||
  fail "the row says crash: $(row s.db)"
grep -q '^outcome:  crash' out && pass || fail "the summary says crash"

expect_exit 1 "snapshot() crashes while recording" -- "$FL" run "${P[@]}" --set 'params.where="snapshot"' --db n.db
grep -q 'the protocol crashed (SIGSEGV): outcome crash at step 0 (seed 1)' err && pass ||
  fail "snapshot crash at step 0: $(cat err)"
row n.db | grep -q '^crash|Segmentation fault' && pass || fail "the row says crash: $(row n.db)"
expect_exit 0 "the same unrecorded: snapshot() is never called" -- "$FL" run "${P[@]}" --set 'params.where="snapshot"'

expect_exit 1 "abort()" -- "$FL" run "${P[@]}" --set 'params.where="abort"'
grep -q '^faultline: run: the protocol crashed (SIGABRT): outcome crash at step [0-9]* (seed 1)$' err && pass ||
  fail "abort on stderr: $(cat err)"
[ "$(wc -l <err)" = 2 ] && pass || fail "one line besides the wall time: $(cat err)"

# replay of a run that crashed reproduces the crash (same digest: the run had ended),
# contained
expect_exit 0 "replay of the stop() crash" -- "$FL" replay s.db 1 --quiet
grep -q '^outcome:  crash' out && grep -q 'reproduced run 1 exactly' out && pass ||
  fail "replay reproduces the crash: $(head -5 out)"
[ "$(sqlite3 s.db 'SELECT digest FROM runs')" = "$(sqlite3 ok.db 'SELECT digest FROM runs')" ] && pass ||
  fail "a crash in stop() keeps the run's digest"
[ "$(sqlite3 s.db 'PRAGMA integrity_check')" = ok ] && pass || fail "integrity_check"
finish
