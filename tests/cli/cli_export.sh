#!/usr/bin/env bash
# cli_export.sh -- `faultline export` (docs/export.md): the doc's commands run, and what
# they write is checked against the database and against `run --records`:
# - perfetto: the trace-event structure (required keys per phase, every flow id with one
#   start and one end, the start not after the end, timestamps non-decreasing per
#   track), a track per node, as many flows as delivered messages, as many drop, crash
#   and fault instants as the database has, a state in the args of each state change;
# - jsonl: the same lines as `run --records` of the same seed (sorted: the database does
#   not keep the order inside a step), and for a run with clients too;
# - shiviz: the regex and an empty line first, each host's own entry counting 1, 2, 3...,
#   every delivery's clock dominating its send's, one receipt per delivered message;
#   the ```text lines of the doc are lines of the log;
# - a file of schema 2 exports;
# - bad input: one line on stderr, exit 2, and an existing --out file left as it was.
source "$(dirname "$0")/lib/common.bash" "$@"
doc="$SRC/docs/export.md"
ln -s "$SRC/sim" sim

# ---- the doc's example ----
awk '$0 == "```sh" { on = 1; next } on && $0 == "```" { on = 0 } on' "$doc" >cmds
[ "$(grep -c '^faultline ' cmds)" = 4 ] && pass || fail "docs/export.md: expected 4 commands"
while IFS= read -r line; do
  cmd=${line/#faultline /\"$FL\" }
  eval "$cmd" >cmd.out 2>cmd.err </dev/null && pass ||
    fail "docs/export.md: $line (exit $?: $(head -c 300 cmd.err))"
done <cmds
run_args=$(head -n 1 cmds | sed 's/^faultline run //; s/ --db runs.db$//')
eval "\"$FL\" run $run_args --records live.jsonl" >/dev/null 2>&1 && pass || fail "run --records"

q() { sqlite3 runs.db "$1"; }
delivered=$(q "SELECT count(*) FROM messages WHERE fate = 'delivered'")
dropped=$(q "SELECT count(*) FROM messages WHERE fate LIKE 'dropped:%'")
crashes=$(q "SELECT count(*) FROM events WHERE kind = 'crash'")
reached=$(q "SELECT count(*) FROM faults WHERE reached = 1")
own_states=$(q "SELECT count(*) FROM snapshots s JOIN events e USING (run_id, step) WHERE s.node = e.node")
nodes=$(q "SELECT json_extract(json, '\$.nodes') FROM scenarios")
[ "$delivered" -gt 0 ] && [ "$dropped" -gt 0 ] && [ "$reached" -gt 0 ] && pass ||
  fail "the example run has deliveries ($delivered), drops ($dropped) and faults ($reached)"

# ---- perfetto ----
python3 - run1.json "$nodes" "$delivered" "$dropped" "$crashes" "$reached" "$own_states" <<'PY' &&
import json, sys
path, nodes, delivered, dropped, crashes, reached, states = sys.argv[1], *map(int, sys.argv[2:])
doc = json.load(open(path))
ev = doc["traceEvents"]
assert doc["displayTimeUnit"] == "ns", "displayTimeUnit"
required = {"M": {"name", "pid", "tid", "args"}, "X": {"name", "pid", "tid", "ts", "dur"},
            "s": {"name", "pid", "tid", "ts", "id", "cat"}, "f": {"name", "pid", "tid", "ts", "id", "cat", "bp"},
            "i": {"name", "pid", "tid", "ts", "s"}}
for e in ev:
    assert e["ph"] in required, f"unexpected phase {e}"
    missing = required[e["ph"]] - e.keys()
    assert not missing, f"{e} lacks {missing}"
procs = {e["pid"]: e["args"]["name"] for e in ev if e["ph"] == "M" and e["name"] == "process_name"}
assert procs == {0: "world", **{n: f"node {n}" for n in range(1, nodes + 1)}}, procs
starts, ends = {}, {}
for e in ev:
    if e["ph"] == "s":
        assert e["id"] not in starts, f"flow {e['id']} starts twice"
        starts[e["id"]] = e
    if e["ph"] == "f":
        assert e["id"] not in ends, f"flow {e['id']} ends twice"
        assert e["bp"] == "e"
        ends[e["id"]] = e
assert starts.keys() == ends.keys(), f"unpaired flows {set(starts) ^ set(ends)}"
assert len(starts) == delivered, f"{len(starts)} flows, {delivered} delivered messages"
for i, s in starts.items():
    assert s["ts"] <= ends[i]["ts"] and s["name"] == ends[i]["name"] and s["cat"] == ends[i]["cat"], (s, ends[i])
last = {}
for e in ev:
    if "ts" not in e:
        continue
    track = (e["pid"], e["tid"])
    assert e["ts"] >= last.get(track, 0), f"ts goes back on track {track}: {e}"
    last[track] = e["ts"]
inst = [e for e in ev if e["ph"] == "i"]
assert sum(e["name"].startswith("dropped:") for e in inst) == dropped, "drop instants"
assert sum(e["name"] == "crash" for e in inst) == crashes, "crash instants"
assert sum(e["pid"] == 0 and e["tid"] == 1 for e in inst) == reached, "fault instants"
assert sum("state" in e["args"] for e in ev if e["ph"] == "X") == states, "states in args"
PY
  pass || fail "perfetto: structure"

# ---- jsonl ----
cmp -s <(sort live.jsonl) <(sort run1.jsonl) && pass ||
  fail "jsonl: not the lines of run --records: $(diff <(sort live.jsonl) <(sort run1.jsonl) | head -c 600)"
[ "$(wc -l <run1.jsonl)" -gt 1000 ] && pass || fail "jsonl: $(wc -l <run1.jsonl) lines"
"$FL" run sim/scenarios/raft-kv.json --seed 2 --set run.until=2s --set 'faults.window=["100ms","1s"]' \
  --set run.liveness=500ms --db kv.db --records kv.jsonl \
  >/dev/null 2>&1 && pass || fail "the kv run"
"$FL" export kv.db 1 --format jsonl --out kv_export.jsonl && pass || fail "export the kv run"
grep -q '"table":"history"' kv.jsonl && cmp -s <(sort kv.jsonl) <(sort kv_export.jsonl) && pass ||
  fail "jsonl with clients: $(diff <(sort kv.jsonl) <(sort kv_export.jsonl) | head -c 600)"

# ---- shiviz ----
python3 - run1.log "$delivered" <<'PY' &&
import json, re, sys
lines = open(sys.argv[1]).read().split("\n")
assert lines[0] == r"(?<host>\S*) (?<clock>{.*})\n(?<event>.*)", lines[0]
assert lines[1] == "", "the delimiter line is empty"
body = [l for l in lines[2:] if l != ""]
assert len(body) % 2 == 0 and body, "two lines per event"
count, sent, recvs = {}, {}, 0
def dominates(a, b):
    return all(a.get(h, 0) >= v for h, v in b.items())
for i in range(0, len(body), 2):
    m = re.fullmatch(r"(\S*) ({.*})", body[i])
    assert m, f"not host + clock: {body[i]}"
    host, clock = m.group(1), json.loads(m.group(2))
    count[host] = count.get(host, 0) + 1
    assert clock[host] == count[host], f"{host}'s own entry is {clock[host]} at its event {count[host]}"
    event = body[i + 1]
    for r in re.findall(r"\[recv (\d+)\]", event):
        recvs += 1
        assert dominates(clock, sent[int(r)]), f"delivery of {r} at {clock} does not dominate {sent[int(r)]}"
    for group in re.findall(r"\[send ([\d ]+)\]", event):
        for s in group.split():
            sent[int(s)] = clock
assert recvs == int(sys.argv[2]), f"{recvs} receipts, {sys.argv[2]} delivered messages"
PY
  pass || fail "shiviz: clocks"
awk '$0 == "```text" { on = 1; next } on && $0 == "```" { on = 0 } on' "$doc" >text_lines
[ -s text_lines ] && pass || fail "docs/export.md has no text example"
while IFS= read -r line; do
  grep -qxF -- "$line" run1.log && pass || fail "docs/export.md line not in the log: $line"
done <text_lines

# ---- a file of schema 2 ----
for f in perfetto jsonl shiviz; do
  "$FL" export "$SRC/tests/data/schema-v2.db" 2 --format $f >v2.out 2>v2.err && [ -s v2.out ] &&
    pass || fail "schema 2, $f: $(cat v2.err)"
done

# ---- bad input: one line, exit 2, nothing damaged ----
"$FL" run sim/scenarios/echo.json --seed 1 --set run.until=1s --db runs.db --record none \
  >/dev/null 2>&1 && pass || fail "a bare run"
echo "an earlier export" >keep.json
cp keep.json keep.orig
bad() { # bad PATTERN WHAT -- ARGS...: exit 2, one line matching, keep.json unchanged
  local pattern=$1 what=$2
  shift 3
  expect_exit 2 "$what" -- "$FL" export "$@" && expect_error_line "$pattern" "$what"
  cmp -s keep.json keep.orig && pass || fail "$what: keep.json changed"
}
bad '^faultline: export: no run 9 in runs.db$' "a missing run" -- runs.db 9 --format perfetto --out keep.json
bad "^faultline: export: run 2 of runs.db was not recorded in full \(recorded = 'none'\): record it with faultline replay runs.db 2 --record$" \
  "a bare run" -- runs.db 2 --format jsonl --out keep.json
echo "not a database at all, but long enough to be read as a header..........." >text.db
cp text.db text.orig
bad 'text.db: not a faultline database' "not SQLite" -- text.db 1 --format shiviz --out keep.json
cmp -s text.db text.orig && pass || fail "text.db changed"
sqlite3 other.db "CREATE TABLE t(x); INSERT INTO t VALUES (1);"
bad 'other.db: not a faultline database' "SQLite, not ours" -- other.db 1 --format jsonl --out keep.json
bad "^faultline: export: --format: expected perfetto, jsonl or shiviz, got 'svg'$" "an unknown format" \
  -- runs.db 1 --format svg --out keep.json
bad '^faultline: export: expected DB RUN --format' "no format" -- runs.db 1 --out keep.json
bad "^faultline: export: RUN: expected a run id, got 'x'$" "a bad run id" -- runs.db x --format jsonl
bad '^faultline: export: missing.db: No such file or directory$' "a missing file" -- missing.db 1 --format jsonl
[ ! -e missing.db ] && pass || fail "export created missing.db"
bad '^faultline: export: --out /no/such/dir/run.json: No such file or directory$' "an unwritable --out" \
  -- runs.db 1 --format perfetto --out /no/such/dir/run.json
[ -z "$(ls keep.json.tmp-* 2>/dev/null)" ] && pass || fail "a temporary file was left"
"$FL" export --help | grep -q '^usage: faultline export DB RUN' && pass || fail "--help"
finish
