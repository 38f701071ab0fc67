#!/usr/bin/env bash
# cli_signal_chain.sh -- a plugin that installs its own SIGSEGV handler when it is loaded
# (as a Go runtime does) finds faultline's handler already there and keeps its own: the
# worker installs its fatal-signal handlers before loading any plugin and never after,
# so the plugin's handler chains to faultline's, and a crash in the plugin is still a
# run with outcome crash, SIGSEGV, located at its step (tests/plugins/sigchain.c; issue 17).
source "$(dirname "$0")/lib/common.bash" "$@"
P=$BUILD/plugins/libsigchain.so

expect_exit 0 "the plugin runs" -- "$FL" run --protocol "$P" --set run.until=10ms --trace
grep -q 'sigchain 1: at load: faultline.s handler' "$T/out" && pass ||
  fail "the plugin did not find faultline's handler at load: $(grep 'sigchain 1' "$T/out")"
grep -q 'sigchain 1: now: ours' "$T/out" && pass ||
  fail "faultline replaced the plugin's handler after loading it: $(grep 'sigchain 1' "$T/out")"

expect_exit 1 "a crash in the plugin" -- "$FL" run --protocol "$P" --set run.until=10ms \
  --set 'params={"segv": true}'
grep -qE '^outcome: +crash' "$T/out" && pass || fail "outcome is not crash: $(grep outcome "$T/out")"
grep -q 'Segmentation fault (signal 11)' "$T/out" && pass || fail "the crash does not name SIGSEGV: $(cat "$T/out")"
# faultline's own handler ran (after the plugin's): it noted the step the crash was in
grep -qE '^at step: +3 ' "$T/out" && pass || fail "faultline's handler did not note the step: $(cat "$T/out")"
grep -q 'sigchain: chained' "$T/err" && pass || fail "the plugin's handler did not run first"
finish
