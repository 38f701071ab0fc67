#!/usr/bin/env bash
# A recorded run holds exactly one events row per step, one messages row per message
# (each with a fate), a snapshot whenever a node's state changed, and the runs row with
# the digest `run` printed.  Query prints it as a table, CSV and JSON.
source "$(dirname "$0")/lib/common.bash"

q() { "$FL" query "$@" --format csv | tail -n +2; }

expect_exit 0 "record echo" -- "$FL" run "$SRC/sim/scenarios/echo.json" --seed 3 --db r.db \
  --set run.until=2s
digest=$(sed -n 's/^digest:   //p' out)
steps=$(sed -n 's/^steps:    //p' out)
sent=$(sed -n 's/^messages: \([0-9]*\) sent.*/\1/p' out)

[ "$(q r.db 'SELECT digest FROM runs')" = "$digest" ] && pass || fail "runs.digest = printed digest"
[ "$(q r.db 'SELECT steps FROM runs')" = "$steps" ] && pass || fail "runs.steps = printed steps"
[ "$(q r.db 'SELECT count(*) FROM events')" = "$steps" ] && pass || fail "one events row per step"
[ "$(q r.db 'SELECT count(DISTINCT step) FROM events')" = "$steps" ] && pass || fail "steps are distinct"
[ "$(q r.db 'SELECT min(step) || "-" || max(step) FROM events')" = "0-$((steps - 1))" ] && pass ||
  fail "steps numbered 0..steps-1"
[ "$(q r.db 'SELECT count(*) FROM messages')" = "$sent" ] && pass || fail "one messages row per send"
[ "$(q r.db "SELECT count(*) FROM messages WHERE fate IS NULL OR fate = ''")" = 0 ] && pass ||
  fail "every message has a fate"
[ "$(q r.db "SELECT count(*) FROM messages WHERE fate NOT IN ('delivered','in_flight') AND fate NOT LIKE 'dropped:%'")" = 0 ] &&
  pass || fail "fates are from the documented set"
# every node has a snapshot at its start step, and snapshots change between rows
[ "$(q r.db 'SELECT count(DISTINCT node) FROM snapshots')" = 5 ] && pass || fail "all 5 nodes have snapshots"
[ "$(q r.db 'SELECT count(*) FROM snapshots s JOIN snapshots p ON p.run_id = s.run_id AND p.node = s.node AND p.step = (SELECT max(step) FROM snapshots x WHERE x.node = s.node AND x.step < s.step) WHERE p.state = s.state')" = 0 ] &&
  pass || fail "a snapshot row is written only when the state changed"
# a node's last snapshot equals its state at the end (pongs counted in the summary)
[ "$(q r.db "SELECT json_extract(state, '\$.pings') > 0 FROM snapshots WHERE node = 1 ORDER BY step DESC LIMIT 1")" = 1 ] &&
  pass || fail "snapshots are queryable JSON"

# record none: only the runs row
expect_exit 0 "record none" -- "$FL" run "$SRC/sim/scenarios/echo.json" --seed 4 --db r.db \
  --record none --set run.until=1s
[ "$(q r.db 'SELECT count(*) FROM runs')" = 2 ] && pass || fail "two runs"
[ "$(q r.db 'SELECT count(*) FROM events e JOIN runs r ON r.id = e.run_id WHERE r.seed = 4')" = 0 ] &&
  pass || fail "record none writes no events"

# output formats
"$FL" query r.db "SELECT seed, outcome FROM runs ORDER BY seed" --format json >j.json
# (that the JSON parses is test_query's job; here: SQLite's types survive)
head -c 1 j.json | grep -q '\[' && grep -q '"seed":3,' j.json && grep -q '"outcome":"ok"' j.json &&
  pass || fail "JSON output keeps seed as a number: $(head -c 200 j.json)"
"$FL" query r.db "SELECT seed, outcome FROM runs ORDER BY seed" --format table >t.txt
grep -qE '^seed +\| *outcome' t.txt || grep -qE 'seed.*outcome' t.txt && pass || fail "table header"
"$FL" query r.db "SELECT 'a,b' AS x, 'say \"hi\"' AS y" --format csv >c.csv
[ "$(tail -1 c.csv)" = '"a,b","say ""hi"""' ] && pass || fail "CSV quoting: $(tail -1 c.csv)"
"$FL" query r.db --format csv | grep -q '^ok,2$' && pass || fail "default query: outcome counts"
finish
