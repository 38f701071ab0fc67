#!/usr/bin/env bash
# Clients and their history (docs/linearizability.md, "Clients in simulated runs"):
# the scripts that show each client-visible Raft bug, small raft-kv sweeps (correct Raft
# has no violation, each bug is found and reproduced by its seed), determinism, the
# history in the database, the trace, show and JSON lines, and bad input.
source "$(dirname "$0")/lib/common.bash"
KV=$SRC/sim/scenarios/raft-kv.json
C=$SRC/tests/clients

# ---- the known bugs, shown by scripts ----
for bug in stale-read early-ack; do
  expect_exit 1 "$bug script" -- "$FL" run "$C/$bug.json" &&
    { grep -q '^outcome:  violation (linearizability: not linearizable: after a linearizable prefix' out &&
      pass || fail "$bug: $(cat out)"; }
  grep -q '^at step:  ' out && pass || fail "$bug: no failing step"
  # the same script on correct Raft is linearizable
  expect_exit 0 "$bug script, correct Raft" -- "$FL" run "$C/$bug.json" --set 'params.bugs=[]'
done
expect_exit 0 "protocols" -- "$FL" protocols
grep -q 'stale_read' out && grep -q 'early_ack' out && pass || fail "protocols lacks the bugs: $(cat out)"

# ---- small sweeps of raft-kv: correct Raft, then each bug found and reproduced ----
N=24
[ -n "${FL_SANITIZED:-}" ] && N=8 # the sanitizer tree is several times slower
expect_exit 0 "raft-kv sweep" -- "$FL" sweep "$KV" --seeds 1..$N -j2 --db ok.db --quiet
"$FL" query ok.db "SELECT count(*) FROM runs WHERE outcome <> 'ok'" --format csv >bad.csv
[ "$(tail -1 bad.csv)" = 0 ] && pass || fail "correct Raft failed: $(cat bad.csv)"
for bug in stale_read early_ack; do
  expect_exit 1 "$bug sweep" -- "$FL" sweep "$KV" --seeds 1..40 -j2 --db $bug.db --quiet --stop-after 1 \
    --set "params.bugs=[\"$bug\"]"
  "$FL" query $bug.db "SELECT seed, check_name, detail FROM runs WHERE outcome = 'violation'
    ORDER BY seed LIMIT 1" --format csv | tail -1 >first.csv
  seed=$(cut -d, -f1 first.csv)
  grep -q ',linearizability,' first.csv && pass || fail "$bug: not found in 40 seeds: $(cat first.csv)"
  [ -n "$seed" ] || continue
  expect_exit 1 "$bug seed $seed again" -- "$FL" run "$KV" --seed "$seed" --set "params.bugs=[\"$bug\"]"
  detail=$(cut -d, -f3- first.csv | sed 's/^"//; s/"$//; s/""/"/g')
  grep -qF -- "$detail" out && pass || fail "$bug seed $seed: another detail: $(grep outcome out)"
done

# ---- determinism, and what a run with clients records ----
"$FL" run "$KV" --seed 5 >a.txt 2>/dev/null
"$FL" run "$KV" --seed 5 >b.txt 2>/dev/null
cmp -s a.txt b.txt && pass || fail "two runs of seed 5 differ"
expect_exit 0 "record" -- "$FL" run "$KV" --seed 5 --db h.db --trace --records rec.jsonl
grep -q '^digest: ' out && grep "^digest:" a.txt | cmp -s - <(grep '^digest:' out) && pass ||
  fail "a recorded run has another digest"
grep -q '\] history: op 1 p' out && pass || fail "the trace shows no completion"
"$FL" query h.db "SELECT count(*) FROM history WHERE run_id = 1" --format csv | tail -1 >rows
"$FL" query h.db "SELECT value FROM metrics WHERE name = 'clients.ops'" --format csv | tail -1 >ops
[ "$(cat rows)" -gt 0 ] && cmp -s rows ops && pass || fail "history rows $(cat rows) vs ops $(cat ops)"
"$FL" query h.db "SELECT count(*) FROM history WHERE type NOT IN ('invoke','ok','fail','info')
  OR (type = 'ok' AND f = 'get' AND result IS NULL)" --format csv | tail -1 >odd
[ "$(cat odd)" = 0 ] && pass || fail "odd history rows: $(cat odd)"
n_inv=$(grep -c '"record":"client","table":"history".*"type":"invoke"' rec.jsonl)
[ "$n_inv" = "$(cat rows)" ] && pass || fail "JSON lines: $n_inv invocations, $(cat rows) rows"
expect_exit 0 "replay" -- "$FL" replay h.db 1 --quiet
expect_exit 0 "show" -- "$FL" show h.db 1 --step 400
grep -q '\] history: op ' out && pass || fail "show prints no history line"
expect_exit 0 "show of a v1 file" -- "$FL" show "$SRC/tests/data/schema-v1.db" 1 --step 3
# merge keeps the history
cp h.db h2.db
expect_exit 0 "merge" -- "$FL" merge m.db h.db h2.db
"$FL" query m.db "SELECT count(*) FROM history" --format csv | tail -1 >mrows
[ "$(cat mrows)" = $(($(cat rows) * 2)) ] && pass || fail "merged history rows: $(cat mrows)"

# the docs/sql.md query that exports a run's history gives check-history the same verdict
expect_exit 1 "stale-read recorded" -- "$FL" run "$C/stale-read.json" --db sr.db
awk '/A run.s history for/ { f = 1 } f && /^```sql/ { on = 1; next } on && /^```/ { exit } on { print }' \
  "$SRC/docs/sql.md" >export.sql
"$FL" query sr.db "$(cat export.sql)" --format csv | tail -n +2 | sed 's/^"//; s/"$//; s/""/"/g' >sr.jsonl
[ "$(wc -l <sr.jsonl)" = 6 ] && pass || fail "exported history: $(cat sr.jsonl)"
expect_exit 1 "exported history is not linearizable" -- "$FL" check-history sr.jsonl --model register

# the examples of docs/linearizability.md's clients section are real output
DOC=$SRC/docs/linearizability.md
block() { # block MARKER: the fenced block after the line holding MARKER, unindented
  awk -v m="$1" 'index($0, m) { f = 1; next } f && /^ *```/ { if (on) exit; on = 1; next } on { sub(/^  /, ""); print }' "$DOC"
}
block 'example-trace: raft-kv.json' >doc_trace
"$FL" run "$KV" --seed 9 --set 'params.bugs=["stale_read"]' --trace >trace9 2>/dev/null
[ "$(wc -l <doc_trace)" = 3 ] && pass || fail "docs trace example: $(cat doc_trace)"
while IFS= read -r line; do grep -qxF -- "$line" trace9 && pass || fail "docs trace line not in the run: $line"; done <doc_trace
block 'example-outcome: tests/clients/stale-read.json' >doc_outcome
"$FL" run "$C/stale-read.json" 2>/dev/null | grep '^outcome:' | diff - doc_outcome >/dev/null && pass ||
  fail "docs outcome example differs: $(cat doc_outcome)"

# a partition with a clients map cuts clients off (docs/faults.md)
cat >cut.json <<'J'
[{"at": "1s", "kind": "partition", "name": "cut", "groups": [[1], [2, 3]], "allow": [],
  "clients": {"0": [1], "1": [1], "2": [1], "3": [1], "4": [1]}},
 {"at": "3s", "kind": "heal"}]
J
expect_exit 0 "clients map" -- "$FL" run "$KV" --schedule cut.json --trace --write-schedule ws.json
grep -q 'lost: a partition cuts p[0-4] off node 1' out && pass || fail "no client was cut off"
! grep -E '#[0-9]+\] client [23]: op [0-9]+ \(p[0-9] [a-z]+\) lost: a partition' out && pass ||
  fail "a client was cut off nodes of its group"
grep -q '"clients":{"0":\[1\],"1":\[1\]' ws.json && pass || fail "the written schedule lost the clients map"
printf '[{"at": "1s", "kind": "partition", "groups": [[1], [2, 3]], "clients": {"x": [0]}}]' >badmap.json
expect_exit 2 "bad clients map" -- "$FL" run "$KV" --schedule badmap.json &&
  expect_error_line 'schedule\[1\].clients.x: expected a client process number' "bad clients map"
printf '[{"at": "1s", "kind": "partition", "groups": [[1], [2, 3]], "clients": {"0": [2]}}]' >badgrp.json
expect_exit 2 "clients map group" -- "$FL" run "$KV" --schedule badgrp.json &&
  expect_error_line 'schedule\[1\].clients.0: expected a group index in \[0,1\], got 2' "clients map group"

# ---- the note of an unknown verdict ----
expect_exit 0 "tiny budget" -- "$FL" run "$KV" --seed 5 --set checks.max_states=1
grep -q '^note:     linearizability unknown' out && pass || fail "no note: $(cat out)"

# ---- bad input: exit 2, one line ----
bad() { # bad PATTERN WHAT -- ARGS...
  local pattern=$1 what=$2
  shift 3
  expect_exit 2 "$what" -- "$FL" run "$@" && expect_error_line "$pattern" "$what"
}
bad 'workload.clients: needs workload.model "register" or "kv"' "clients without a model" -- \
  "$KV" --set workload.model=none --set checks=null
bad 'checks.linearizable: unknown model "graph"' "unknown checked model" -- "$KV" --set checks.linearizable=graph
bad 'workload.model: "register" does not match checks.linearizable "kv"' "model mismatch" -- \
  "$KV" --set workload.model=register
bad 'workload.model: unknown model "queue"' "unknown model" -- "$KV" --set workload.model=queue
bad 'workload.timeout: ' "timeout too small" -- "$KV" --set workload.timeout=10us
bad 'workload.clients: ' "no clients" -- "$KV" --set workload.clients=0
S="$C/stale-read.json"
cat >bad_f.json <<'J'
[{"client": 1, "process": 0, "f": "frob"}]
J
bad 'script\[1\].f: expected read, write, cas' "unknown f" -- "$S" --schedule bad_f.json
printf '[{"client": 1, "process": 0, "f": "cas", "value": 3}]' >bad_cas.json
bad 'script\[1\].value: expected \[expected, new\]' "cas value" -- "$S" --schedule bad_cas.json
printf '[{"client": 1, "process": 0, "f": "write", "value": 1, "op": "set x 1"}]' >both.json
bad 'script\[1\].op: an entry has either' "op and f" -- "$S" --schedule both.json
printf '[{"client": 1, "process": -1, "f": "read"}]' >badp.json
bad 'script\[1\].process: expected a process number' "bad process" -- "$S" --schedule badp.json
printf '[{"client": 1, "process": 0, "f": "put", "value": "a"}]' >nokey.json
bad 'script\[1\].key: expected a string' "kv op without a key" -- "$S" --schedule nokey.json
printf '[{"client": 1, "process": 0, "f": "write", "key": "x", "value": 1}]' >regkey.json
bad 'script\[1\].key: a register operation has no key' "register op with a key" -- "$S" --schedule regkey.json
printf '[{"expect": {"reply": {"type": "ok"}}}]' >noproc.json
bad 'script\[1\].expect.reply: expected an object such as' "reply without process" -- "$S" --schedule noproc.json
printf '[{"expect": {"reply": {"process": 0, "colour": "red"}}}]' >badkey.json
bad 'script\[1\].expect.reply: unknown key "colour"' "reply with unknown key" -- "$S" --schedule badkey.json
printf '[{"client": 1, "process": 0, "f": "read"}]' >nomodel.json
bad 'script\[1\]: a client operation needs workload.model' "no model" -- \
  "$S" --schedule nomodel.json --set workload.model=none --set checks=null --set workload.clients=null
# an operation the running script cannot follow is a divergence, named by its entry
printf '[{"client": 1, "process": 5, "f": "read"}]' >farproc.json
expect_exit 1 "process out of range" -- "$FL" run "$S" --schedule farproc.json &&
  { grep -q 'script\[1\]: client: process 5 is not in 0..1' out && pass || fail "process range: $(cat out)"; }
finish
