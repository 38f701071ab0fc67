#!/usr/bin/env bash
# The complete example of docs/writing-a-protocol.md compiles as a plugin, runs with
# --protocol, is deterministic, and is recorded with its identity.
source "$(dirname "$0")/lib/common.bash"

awk '/^```c$/{on=1; next} /^```$/{on=0} on' "$SRC/docs/writing-a-protocol.md" >counter.c
[ -s counter.c ] && pass || fail "no C example found in docs/writing-a-protocol.md"
mkdir -p inc && cp "$SRC/core/faultline.h" inc/faultline.h
if cc -std=c11 -Wall -Wextra -Werror -shared -fPIC -o libcounter.so counter.c -Iinc \
  $(pkg-config --cflags libcjson) 2>cc.err; then
  pass
else
  fail "the docs example does not compile: $(head -c 600 cc.err)"
  finish
fi
expect_exit 0 "plugin run" -- "$FL" run --protocol ./libcounter.so --set nodes=4 --seed 7 \
  --set run.until=1s --trace
grep -q 'counter 1: tick 3' out || fail "plugin log lines appear in the trace"
grep -q '^outcome:  ok' out || fail "plugin run is ok"
cp out first
"$FL" run --protocol ./libcounter.so --set nodes=4 --seed 7 --set run.until=1s --trace >second 2>/dev/null
cmp -s first second && pass || fail "plugin runs differ between executions"
expect_exit 0 "plugin recorded" -- "$FL" run --protocol ./libcounter.so --set run.until=1s --db p.db
sqlite3 p.db "SELECT json FROM scenarios" | grep -q '"name":"libcounter.so","hash":"' && pass ||
  fail "the plugin's file name and hash are part of the scenario identity"
"$FL" query p.db "SELECT json FROM scenarios" --format csv | grep -q "$T" && fail "the identity holds no directory" || pass
[ "$(sqlite3 p.db "SELECT plugin_path FROM scenarios")" = "$(realpath libcounter.so)" ] && pass ||
  fail "scenarios.plugin_path is the plugin's absolute path"
# show labels the plugin's log lines as the trace did (libNAME.so: NAME); within a step
# show prints the log lines before the sends, so the lines are compared as sets
"$FL" run --protocol ./libcounter.so --set run.until=1s --db t.db --trace >t.trace 2>/dev/null
"$FL" show t.db 1 >t.show 2>/dev/null
grep -q 'counter 1: tick 3' t.show && cmp -s <(grep '^\[' t.trace | sort) <(grep '^\[' t.show | sort) && pass ||
  fail "show prints a plugin run's trace as --trace did"
# replayed from elsewhere: the recorded path finds it
(cd / && "$FL" replay "$T/p.db" 1 --quiet) >replay.out 2>&1 && grep -q 'reproduced run 1 exactly' replay.out &&
  pass || fail "replay from another directory: $(head -c 300 replay.out)"
finish
