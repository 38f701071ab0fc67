#!/usr/bin/env bash
# cli_misuse.sh -- a protocol that misuses a service fails as the protocol's failure:
# outcome crash, check protocol_error, naming the call, the node, the step and the
# seed; never an engine assertion, and never virtual time running backwards.
source "$(dirname "$0")/lib/common.bash" "$@"
P=(--protocol "$BUILD/plugins/libmisuse.so" --set run.until=1s)
expect_exit 0 "no misuse" -- "$FL" run "${P[@]}"
for m in negative_delay end_of_time undeclared_timer disk_file; do
  expect_exit 1 "misuse: $m" -- "$FL" run "${P[@]}" --set "params.misuse=\"$m\""
  grep -q '^outcome:  crash (protocol_error: fl_' out && pass || fail "$m: $(grep outcome out)"
  grep -q 'node 2' out && grep -q ', at step [0-9]* (seed 1))$' out && pass ||
    fail "$m names the node, the step and the seed: $(grep outcome out)"
done
grep -q 'fl_disk_sync(node 2, file 9): files are 0..3' out && pass || fail "the disk call: $(grep outcome out)"
expect_exit 1 "end of time" -- "$FL" run "${P[@]}" --set 'params.misuse="end_of_time"'
grep -q 'a deadline past the end of time' out && pass || fail "end of time: $(grep outcome out)"
grep -qE '^steps: +[0-9]+$' out && [ "$(sed -n 's/^steps: *//p' out)" -lt 1000 ] && pass ||
  fail "the run ends at once, not at max_steps: $(grep steps out)"
# a snapshot that is not an object: only when states are wanted (traced or recorded)
expect_exit 0 "a bad snapshot nobody asks for" -- "$FL" run "${P[@]}" --set 'params.misuse="snapshot"'
expect_exit 1 "a bad snapshot, recorded" -- "$FL" run "${P[@]}" --set 'params.misuse="snapshot"' --db s.db
grep -qE 'protocol_error: snapshot\(node [0-9]\): returned JSON that is not an object' out && pass ||
  fail "the snapshot: $(grep outcome out)"
[ "$(sqlite3 s.db "SELECT outcome || '/' || check_name FROM runs")" = crash/protocol_error ] && pass ||
  fail "the row: $(sqlite3 s.db 'SELECT outcome, check_name FROM runs')"
[ "$(sqlite3 s.db "SELECT count(*) FROM snapshots WHERE json_valid(state) = 0")" = 0 ] && pass ||
  fail "no invalid state is stored"
finish
