#!/usr/bin/env bash
# A plugin's run replays from anywhere: its identity is its name and the content hash of
# the .so and of the non-system libraries it loads, not its path; `replay --protocol PATH`
# points elsewhere; a changed plugin (here: a library it loads) is a warning, and when
# the run no longer reproduces, replay names the right first divergent step (the plugin
# now fails at step 5; the recording went on) and says that the plugin changed.
source "$(dirname "$0")/lib/common.bash"

mkdir -p first/lib
helper() { # helper FILE LIMIT: a libstephelp.so whose check fails after LIMIT steps
  printf 'int stepper_limit(int w) { (void)w; return %d; }\nconst char *stepper_check(int w) { (void)w; return "limit"; }\n' "$2" >"$1"
}
helper many.c 1000000
helper five.c 5
cc -shared -fPIC -o first/lib/libstephelp.so many.c &&
  cc -std=c11 -Wall -Wextra -Werror -shared -fPIC -o first/libstepper.so "$SRC/tests/cli/lib/stepper.c" -I"$SRC/core" \
    $(pkg-config --cflags libcjson) -Lfirst/lib -lstephelp -Wl,-rpath,'$ORIGIN/lib' 2>cc.err &&
  pass || { fail "the test plugin does not build: $(head -c 400 cc.err)"; finish; }

expect_exit 0 "plugin run" -- "$FL" run --protocol first/libstepper.so --set run.until=2s --db p.db
recorded_steps=$(sqlite3 p.db "SELECT steps FROM runs WHERE id = 1")
[ "$recorded_steps" -gt 100 ] && pass || fail "the recorded run has many steps ($recorded_steps)"
id=$(sqlite3 p.db "SELECT json_extract(json, '\$.plugin') FROM scenarios")
echo "$id" | grep -qE '^\{"name":"libstepper.so","hash":"[0-9a-f]{16}","libs":\[\{"name":"libstephelp.so","hash":"[0-9a-f]{16}"\}\]\}$' &&
  pass || fail "the identity names the plugin's non-system library: $id"
echo "$id" | grep -q 'libc\.so' && fail "system libraries are not part of the identity" || pass

# moved: the recorded path is gone
mv first second
expect_exit 2 "replay, plugin moved" -- "$FL" replay p.db 1 --quiet &&
  expect_error_line "plugin libstepper.so was loaded from .*/first/libstepper.so, which is not readable here: give its path with --protocol PATH" "moved plugin"
expect_exit 0 "replay --protocol" -- "$FL" replay p.db 1 --quiet --protocol second/libstepper.so
grep -q '^replay: reproduced run 1 exactly' out && pass || fail "replayed from its new place: $(tail -2 out)"
grep -q warning err && fail "the same plugin elsewhere is no warning: $(cat err)" || pass
(cd / && "$FL" replay "$T/p.db" 1 --quiet --protocol "$T/second/libstepper.so") >/dev/null 2>&1 &&
  pass || fail "replay --protocol with an absolute path from another directory"

# the library changed: a warning, and the right first divergent step
cc -shared -fPIC -o second/lib/libstephelp.so five.c
expect_exit 1 "replay, library changed" -- "$FL" replay p.db 1 --quiet --protocol second/libstepper.so
grep -q "^faultline: replay: warning: .*second/libstepper.so is not the plugin run 1 was recorded with (libstephelp.so hash [0-9a-f]* (recorded [0-9a-f]*)): the run may not reproduce$" err &&
  pass || fail "a changed library is a warning naming it: $(cat err)"
grep -q "^replay: first divergent step: 5 (the steps before it match the recording; the replay stops at it with violation: limit, the recorded run went on to step $((recorded_steps - 1)))$" out &&
  pass || fail "replay names step 5: $(grep divergent out)"
grep -q 'every recorded step matches' out && fail "not 'every recorded step matches'" || pass
grep -q '^replay: the plugin changed since run 1 was recorded (libstephelp.so hash' out && pass ||
  fail "replay says the plugin changed: $(tail -1 out)"

# --record keeps nothing of a re-execution that does not reproduce
cc -shared -fPIC -o second/lib/libstephelp.so many.c
"$FL" sweep --protocol second/libstepper.so --set run.until=200ms --seeds 1 --record none --db bare.db --quiet >/dev/null 2>&1
cc -shared -fPIC -o second/lib/libstephelp.so five.c
before=$(sqlite3 bare.db "SELECT recorded, digest, outcome FROM runs WHERE id = 1")
expect_exit 1 "replay --record, changed plugin" -- "$FL" replay bare.db 1 --record --quiet --protocol second/libstepper.so
grep -q '^replay: run 1 not recorded: its re-execution differs' out && pass || fail "--record says it kept nothing: $(tail -1 out)"
[ "$(sqlite3 bare.db "SELECT recorded, digest, outcome FROM runs WHERE id = 1")" = "$before" ] &&
  [ "$(sqlite3 bare.db "SELECT count(*) FROM events")" = 0 ] && pass || fail "the bare row is as it was"

# the other way round: a recording that stopped at step 5, a replay that goes on
"$FL" run --protocol second/libstepper.so --set run.until=2s --db q.db >/dev/null 2>&1
cc -shared -fPIC -o second/lib/libstephelp.so many.c
expect_exit 1 "replay, now longer" -- "$FL" replay q.db 1 --quiet --protocol second/libstepper.so
grep -q '^replay: first divergent step: 6 (every recorded step matches; the recorded run stopped before it with violation: limit, the replay went on' out &&
  pass || fail "a longer replay: $(grep divergent out)"

expect_exit 0 "echo run" -- "$FL" run "$SRC/sim/scenarios/echo.json" --set run.until=100ms --db e.db
expect_exit 2 "--protocol on a built-in run" -- "$FL" replay e.db 1 --protocol second/libstepper.so &&
  expect_error_line 'run 1 uses a built-in protocol, not a plugin' "--protocol, built in"
expect_exit 2 "--protocol missing file" -- "$FL" replay p.db 1 --protocol nowhere/libx.so &&
  expect_error_line 'nowhere/libx.so' "--protocol, missing"
expect_exit 2 "--protocol no value" -- "$FL" replay p.db 1 --protocol && expect_error_line 'needs the plugin' "--protocol alone"
finish
