#!/usr/bin/env bash
# cli_states.sh -- state changes on disk (docs/sql.md, snapshots): a run recorded as
# changes and the same run with every snapshot whole (its --records states written as
# keyframes, as a schema-2 file holds them) show the same trace and the same states at
# every step; a schema-2 file (tests/data/schema-v2.db, written by the previous round's
# faultline: a short chaotic Raft run and a 4-seed echo sweep, every snapshot whole)
# reads as it is, after `migrate` and through `merge`; the scalars stay queryable with
# json_extract; and a recording is a small fraction of what whole copies take.  (The
# v2 file's run is digest epoch 1: this build cannot run it again, so the whole-state
# twin is made from this build's own run.)
source "$(dirname "$0")/lib/common.bash" "$@"
SHORT=(--set run.until=1500ms --set 'faults.window=["100ms","800ms"]' --set run.liveness=500ms)
cp "$SRC/tests/data/schema-v2.db" v2.db
chmod u+w v2.db
sum_before=$(cksum < v2.db)

expect_exit 0 "record a run as changes" -- "$FL" run "$SRC/sim/scenarios/raft-chaos.json" \
  --seed 5 "${SHORT[@]}" --db new.db --records new.jsonl
# its twin with whole states: every snapshot row a keyframe, as a v2 file has them
cp new.db whole.db
python3 - <<'PY' && pass || fail "could not write the whole-state twin"
import json, sqlite3
c = sqlite3.connect('whole.db')
c.execute("DELETE FROM snapshots")
for line in open('new.jsonl'):
    r = json.loads(line)
    if r.get('table') == 'snapshots':
        c.execute("INSERT INTO snapshots(run_id, step, node, state, parts, keyframe)"
                  " VALUES (1, ?, ?, ?, NULL, 1)",
                  (r['step'], r['node'], json.dumps(r['state'], separators=(',', ':'))))
c.commit()
PY
[ "$(sqlite3 new.db "SELECT value FROM meta WHERE key = 'schema_version'")" = 4 ] && pass ||
  fail "new files are schema 4"

# the whole trace (every state line) and the states at the end, then at sampled steps
expect_exit 0 "show the v2 run" -- "$FL" show v2.db 1
cp out v2.show
grep -q 'state 2: role=' v2.show && pass || fail "the v2 trace has state lines"
expect_exit 0 "show the whole-state run" -- "$FL" show whole.db 1
cp out whole.show
expect_exit 0 "show the new run" -- "$FL" show new.db 1
cp out new.show
cmp -s new.show whole.show && pass || fail "show differs between changes and whole states: $(diff new.show whole.show | head -5)"
grep -q 'state 2: role=' new.show && pass || fail "the trace has state lines"
steps=$(sqlite3 new.db "SELECT steps FROM runs")
for s in 0 1 7 50 120 200 333 $((steps - 1)); do
  "$FL" show whole.db 1 --step $s | sed -n '/^-- every node/,$p' > a
  "$FL" show new.db 1 --step $s | sed -n '/^-- every node/,$p' > b
  [ -s a ] && cmp -s a b && pass || fail "states at step $s differ: $(diff a b | head -4)"
done
[ "$(cksum < v2.db)" = "$sum_before" ] && pass || fail "show changed the v2 file"

# scalars without reconstruction; the full state is rebuilt from the keyframe
[ "$(sqlite3 new.db "SELECT count(*) FROM snapshots WHERE json_extract(state, '\$.term') IS NULL AND state <> 'null'")" = 0 ] &&
  pass || fail "every row of an up node has its term"
[ "$(sqlite3 new.db "SELECT count(*) FROM snapshots WHERE json_extract(state, '\$.log') IS NOT NULL")" = 0 ] &&
  pass || fail "the log is not copied into the scalars"
[ "$(sqlite3 new.db "SELECT min(keyframe) FROM snapshots s WHERE step = (SELECT min(step) FROM snapshots x WHERE x.node = s.node)")" = 1 ] &&
  pass || fail "each node's first row is a keyframe"
[ "$(sqlite3 new.db "SELECT count(*) FROM events WHERE kind = 'deliver' AND instr(detail, ' ') > 0")" = 0 ] &&
  [ "$(sqlite3 new.db "SELECT count(*) FROM events WHERE kind = 'deliver' AND detail = 'delivered'")" -gt 0 ] &&
  pass || fail "a delivery's detail is stored without the message's description"
[ "$(sqlite3 new.db "SELECT count(*) FROM leaders")" = "$(sqlite3 whole.db "SELECT count(*) FROM leaders WHERE run_id = 1")" ] &&
  pass || fail "the leaders view reads the scalars as from whole states"
old=$(sqlite3 whole.db "SELECT sum(length(state)) FROM snapshots WHERE run_id = 1")
new=$(sqlite3 new.db "SELECT sum(length(state)) + sum(coalesce(length(parts), 0)) FROM snapshots")
[ "$new" -lt $((old / 4)) ] && pass || fail "states take $new bytes, whole copies $old"

# docs/sql.md's whole state in SQL (node 1 at step 700) is the snapshot of that step
awk '$0 == "```sql" { on = 1; b = ""; next } on && $0 == "```" { on = 0; if (b ~ /WITH RECURSIVE/) print b; next }
  on { b = b $0 "\n" }' "$SRC/docs/sql.md" > whole.sql
[ -s whole.sql ] && pass || fail "docs/sql.md has the whole-state recipe"
want=$(grep '"table":"snapshots"' new.jsonl | grep '"node":1,' |
  awk -F'"step":' '{ split($2, a, ","); if (a[1] + 0 <= 700) line = $0 } END { print line }' |
  sed 's/.*"state":\(.*\)}$/\1/')
got=$(sqlite3 new.db "$(cat whole.sql)")
[ -n "$want" ] && [ "$(sqlite3 :memory: "SELECT json('$got')")" = "$(sqlite3 :memory: "SELECT json('$want')")" ] &&
  pass || fail "the SQL recipe's state differs: $(echo "$got" | head -c 200) vs $(echo "$want" | head -c 200)"

# merge takes v2 and v3 inputs; migrate converts v2
expect_exit 0 "merge a v2 and a v3 file" -- "$FL" merge m.db v2.db new.db
id=$(sqlite3 m.db "SELECT max(id) FROM runs WHERE scenario_id = (SELECT scenario_id FROM runs WHERE id = 1) AND origin = 'run'")
[ "$(sqlite3 m.db "SELECT count(*) FROM snapshots WHERE keyframe = 0 AND run_id = 1")" = 0 ] && pass ||
  fail "v2 rows are keyframes in the merged file"
msgs() { sqlite3 "$1" "SELECT group_concat(msg_id || ':' || src || '>' || dst, ' ') FROM messages WHERE run_id = $2"; }
[ "$(msgs m.db 1)" = "$(msgs v2.db 1)" ] && pass || fail "merge keeps messages.src (it was the input's index)"
expect_exit 0 "show the v2 run in the merged file" -- "$FL" show m.db 1
cmp -s out v2.show && pass || fail "merged v2 run differs"
n3=$(sqlite3 m.db "SELECT id FROM runs WHERE digest = '$(sqlite3 new.db "SELECT digest FROM runs")'")
expect_exit 0 "show the v3 run in the merged file" -- "$FL" show m.db "$n3"
cmp -s out new.show && pass || fail "merged v3 run (id $n3) differs"
expect_exit 0 "migrate the v2 file" -- "$FL" migrate v2.db
grep -qx 'v2.db: migrated from schema 2 to 4' out && pass || fail "migrate: $(cat out)"
expect_exit 0 "show after migrate" -- "$FL" show v2.db 1
cmp -s out v2.show && pass || fail "the migrated v2 run differs"
[ "$(sqlite3 v2.db "PRAGMA integrity_check")" = ok ] && pass || fail "integrity_check after migrate"
expect_exit 0 "record into the migrated file" -- "$FL" run "$SRC/sim/scenarios/raft-chaos.json" \
  --seed 5 "${SHORT[@]}" --db v2.db
expect_exit 0 "show it" -- "$FL" show v2.db "$(sqlite3 v2.db "SELECT max(id) FROM runs")"
cmp -s out new.show && pass || fail "a run recorded into the migrated file differs"

# a row that does not apply: one clear line, exit 2
sqlite3 new.db "UPDATE snapshots SET parts = '[[8,\"log\",99999,0,\"x\"]]' WHERE rowid = (SELECT min(rowid) FROM snapshots WHERE keyframe = 0 AND parts IS NOT NULL)"
expect_exit 2 "show a damaged state row" -- "$FL" show new.db 1
expect_error_line 'show: snapshots: the row of node [0-9]+ at step [0-9]+ does not apply' "one line"
finish
