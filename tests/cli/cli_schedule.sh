#!/usr/bin/env bash
# Fault schedules on the command line: a generated schedule written out with
# --write-schedule (format 2, every per-message fault materialised, "messages": "only")
# and given back with --schedule reproduces the run exactly; a hand-written one is
# applied, format 1 or 2, message entries included; a schedule with errors is exit code
# 2 with one line naming the entry and the field, and no database is written.
source "$(dirname "$0")/lib/common.bash"

SC="$SRC/sim/scenarios/raft-chaos.json"
for seed in 1 7 42; do
  "$FL" run "$SC" --seed $seed --write-schedule "s$seed.json" >gen.out 2>/dev/null
  "$FL" run "$SC" --seed $seed --schedule "s$seed.json" >given.out 2>/dev/null
  [ -s "s$seed.json" ] && grep -q '"kind":"partition"' "s$seed.json" && pass ||
    fail "seed $seed: the written schedule has partitions"
  a=$(grep '^digest:' gen.out) b=$(grep '^digest:' given.out)
  [ -n "$a" ] && [ "$a" = "$b" ] && pass || fail "seed $seed: written and given back: $a vs $b"
  [ "$(grep -c '"kind":"\(drop\|duplicate\|delay\)"' "s$seed.json")" = \
    "$(grep '^faults:' gen.out | sed -E 's/.*drop ([0-9]+), duplicate ([0-9]+), delay ([0-9]+).*/\1 \2 \3/' |
      awk '{ print $1 + $2 + $3 }')" ] && pass ||
    fail "seed $seed: every per-message fault of the summary is a message entry"
done
head -c 46 s1.json | grep -qF '{"version":2,"messages":"only","entries":[' && pass ||
  fail "--write-schedule writes format 2 with messages only: $(head -c 80 s1.json)"

# the written schedule, recorded: runs.schedule_json is it, the faults table has a row per
# message fault, and replay reproduces the run
"$FL" run "$SC" --seed 7 --schedule s7.json --db s7.db >/dev/null 2>&1
[ "$(sqlite3 s7.db "SELECT schedule_json FROM runs")" = "$(cat s7.json)" ] &&
  pass || fail "runs.schedule_json keeps the format-2 schedule"
[ "$(sqlite3 s7.db "SELECT count(*) FROM faults WHERE kind IN ('drop', 'duplicate', 'delay')")" = \
  "$(grep -c '"kind":"\(drop\|duplicate\|delay\)"' s7.json)" ] && pass ||
  fail "a faults row per message fault"
expect_exit 0 "replay of a format-2 run" -- "$FL" replay s7.db 1 --quiet

# "only": no per-message fault but the entries; one drop entry drops exactly that message
cat >only.json <<'JSON'
{"version": 2, "messages": "only", "entries": [
  {"kind": "drop", "from": 1, "to": 2, "nth": 3},
  {"kind": "delay", "from": 2, "to": 1, "nth": 2, "extra_ns": 40000000}
]}
JSON
expect_exit 0 "messages only" -- "$FL" run "$SC" --seed 1 --schedule only.json --db only.db
grep -qE '^faults: +drop 1, delay 1$' out && pass || fail "only the two entries happened: $(grep '^faults' out)"
[ "$(sqlite3 only.db "SELECT fate FROM messages WHERE src = 1 AND dst = 2 AND nth = 3")" = dropped:loss ] &&
  pass || fail "message 1->2 #3 is dropped"
[ "$(sqlite3 only.db "SELECT count(*) FROM messages WHERE fate = 'dropped:loss'")" = 1 ] && pass ||
  fail "no other message is dropped by loss"
[ "$(sqlite3 only.db "SELECT count(*) FROM messages WHERE copy > 0")" = 0 ] && pass || fail "no copies"
# "seed" (the default): the seed's per-message faults too, except to the named messages
sed 's/"only"/"seed"/' only.json >seed.json
expect_exit 0 "messages seed" -- "$FL" run "$SC" --seed 1 --schedule seed.json
grep -qE '^faults: +drop [0-9]{2,}' out && pass || fail "the seed's drops happen too: $(grep '^faults' out)"

# A hand-written schedule: node 2 crashes at 1.5s and restarts at 2s; the trace shows it.
cat >hand.json <<'JSON'
[
  {"at": "1.5s", "kind": "crash", "node": 2},
  {"at": "2s", "kind": "restart", "node": 2}
]
JSON
expect_exit 0 "hand-written schedule" -- "$FL" run "$SC" --seed 1 --schedule hand.json --trace
grep -qE '^\[  1\.500000s #[0-9]+\] fault: crash 2' out && pass || fail "the crash at 1.5s is in the trace"
grep -qE '^\[  2\.000000s #[0-9]+\] start 2' out && pass || fail "the restart at 2s is in the trace"
grep -qE '^faults: .*crash 1( |,|$)' out && pass || fail "the summary counts the crash"

# docs/faults.md's schedule examples (its "Schedule files" json blocks) run as they are
awk '/^## Schedule files/ { on = 1; next } on && /^## / { on = 0 }
  on && $0 == "```json" { b = 1; n++; f = "docjson_" n ".json"; printf "" > f; next }
  b && $0 == "```" { b = 0; close(f); next }
  b { print >> f }' "$SRC/docs/faults.md"
[ -s docjson_2.json ] && pass || fail "docs/faults.md has fewer than 2 schedule examples"
for f in docjson_*.json; do
  "$FL" run "$SC" --set nodes=5 --schedule "$f" >"$f.out" 2>doc.err
  rc=$?
  [ $rc = 0 ] || [ $rc = 1 ] && pass || fail "docs/faults.md example $f: exit $rc: $(cat doc.err)"
done
grep -qE '^faults: .*drop 1, duplicate 1, delay 1$' docjson_2.json.out && pass ||
  fail "the format-2 example's three message entries happen: $(grep '^faults' docjson_2.json.out)"
# the "ops" example (the third): two client requests, the others skipped
[ "$(grep -c '"ops"' docjson_3.json)" = 1 ] && pass || fail "docs/faults.md's third example names ops"
"$FL" run "$SC" --set nodes=5 --schedule docjson_3.json --trace >ops.out 2>/dev/null
[ "$(grep -cE '^\[ *[0-9.]+s #[0-9]+\] client [0-9]+: set k' ops.out)" = 2 ] && pass ||
  fail "the ops example issues ops 2 and 5 only: $(grep -E '\] client ' ops.out | head -5)"
grep -qE '\] client [0-9]+: set k2 v2' ops.out && grep -qE '\] client [0-9]+: set k5 v5' ops.out && pass ||
  fail "the ops issued are ops 2 and 5"

check() { # check PATTERN WHAT FILE-CONTENT
  printf '%s\n' "$3" >bad.json
  expect_exit 2 "$2" -- "$FL" run "$SC" --seed 1 --schedule bad.json && expect_error_line "$1" "$2"
}
check 'schedule.*(JSON|line|column|malformed)' "malformed schedule" '[{"at": "1s", "kind": '
check 'schedule\[1\]\.kind' "unknown kind" '[{"at": "1s", "kind": "meteor"}]'
check 'schedule\[1\]\.node: expected a node id in \[1,3\], got 7' "node out of range" '[{"at": "1s", "kind": "crash", "node": 7}]'
check 'schedule\[1\]' "time outside the run" '[{"at": "99s", "kind": "crash", "node": 1}]'
check 'schedule\[1\]' "restart of a node that is up" '[{"at": "1s", "kind": "restart", "node": 1}]'
check 'schedule\[2\]' "crash of a node that is down" '[{"at": "1s", "kind": "crash", "node": 1}, {"at": "2s", "kind": "crash", "node": 1}]'
check 'schedule bad.json: empty file' "empty schedule file" ''
check 'schedule\.version: expected 2, got 3' "format 3" '{"version": 3, "entries": []}'
check 'schedule\.messages: expected "seed" or "only", got "none"' "bad messages" '{"version": 2, "entries": [], "messages": "none"}'
check 'schedule\[1\]\.kind: a drop entry needs a format-2 schedule' "message entry in format 1" '[{"kind": "drop", "from": 1, "to": 2, "nth": 3}]'
check 'schedule\[2\]\.nth: expected the message' "bad nth" '{"version": 2, "entries": [{"at": "1s", "kind": "heal"}, {"kind": "drop", "from": 1, "to": 2, "nth": 1.5}]}'
check 'schedule\[1\]\.to: expected a node id in \[1,3\], got 9' "bad to" '{"version": 2, "entries": [{"kind": "duplicate", "from": 1, "to": 9, "nth": 1}]}'
check 'schedule\[1\]\.extra_ns: expected an extra delay' "delay without extra_ns" '{"version": 2, "entries": [{"kind": "delay", "from": 1, "to": 2, "nth": 1}]}'
check 'schedule\[1\]\.reached: a result of a run, never an input' "reached as input" '{"version": 2, "entries": [{"at": "1s", "kind": "heal", "reached": 1}]}'
check 'schedule\[1\]\.took_effect: a result of a run, never an input' "took_effect as input" '[{"at": "1s", "kind": "crash", "node": 1, "took_effect": 1}]'
check 'schedule\[2\]\.kind: message 1->2 #4 already has a drop entry \(schedule\[1\]\)' "drop and delay" '{"version": 2, "entries": [{"kind": "drop", "from": 1, "to": 2, "nth": 4}, {"kind": "delay", "from": 1, "to": 2, "nth": 4, "extra_ns": 1}]}'
printf '%s\n' '{"version": 2, "entries": [{"kind": "drop", "from": 1, "to": 2, "nth": 0}]}' >bad.json
expect_exit 2 "a bad schedule with --db" -- "$FL" run "$SC" --schedule bad.json --db bad.db &&
  expect_error_line 'schedule\[1\]\.nth' "a bad schedule with --db"
[ ! -e bad.db ] || [ "$(sqlite3 bad.db "SELECT count(*) FROM runs")" = 0 ] && pass ||
  fail "a bad schedule records no run"
rm -f bad.json
expect_exit 2 "missing schedule file" -- "$FL" run "$SC" --schedule nosuch.json &&
  expect_error_line 'nosuch.json' "missing schedule file"
finish
