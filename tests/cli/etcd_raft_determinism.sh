#!/usr/bin/env bash
# etcd-raft is as deterministic as our own protocols (issue 17): one seed gives one digest
# traced, untraced and recorded; replay reproduces it; a sweep gives the same digests at
# -j1 and -j2 (workers exec faultline, so none inherits a started Go runtime: no hang);
# the negative control (bugs: send_before_sync) is caught by the observer; bad params are
# one line and exit 2; kv clients are served and linearizable; `faultline protocols` lists
# the module.
source "$(dirname "$0")/lib/common.bash"
source "$(dirname "$0")/lib/etcd_raft.bash"

"$FL" protocols >protocols.txt 2>&1
grep -A1 -x etcd-raft protocols.txt | grep -q 'timers: election heartbeat tick' && pass ||
  fail "faultline protocols does not list etcd-raft with its timers"

digest() { sed -n 's/^digest: *//p' "$1"; }
"$FL" run "$ETCD_CHAOS" --seed 3 >plain.out 2>/dev/null
"$FL" run "$ETCD_CHAOS" --seed 3 --trace >traced.out 2>/dev/null
"$FL" run "$ETCD_CHAOS" --seed 3 --db rec.db >rec.out 2>/dev/null
d=$(digest plain.out)
[ -n "$d" ] && [ "$d" = "$(digest traced.out)" ] && [ "$d" = "$(digest rec.out)" ] && pass ||
  fail "seed 3: digests differ: plain $d traced $(digest traced.out) recorded $(digest rec.out)"
grep -qE '^outcome: +ok' plain.out && pass || fail "seed 3 is not ok: $(grep outcome plain.out)"
grep -q 'etcd-raft 1: replaying WAL of member 1' traced.out && pass || fail "no WAL replay line"
grep -qE 'etcd-raft [0-9]: raft.node: [0-9] elected leader' traced.out && pass ||
  fail "no raft.node elected leader line"
expect_exit 0 "replay reproduces the recorded run" -- "$FL" replay rec.db 1

# The identity of a run by name covers the Go library (plugin_id.c, DT_NEEDED).
"$FL" query rec.db "SELECT json FROM scenarios" --format csv >sc.csv
grep -q 'libfl_etcd_go.so' sc.csv && pass || fail "the scenario identity does not name the Go library"

N=20
"$FL" sweep "$ETCD_CHAOS" --seeds $N -j1 --db j1.db --record none --quiet >/dev/null 2>&1
"$FL" sweep "$ETCD_CHAOS" --seeds $N -j2 --db j2.db --record none --quiet >/dev/null 2>&1
Q="SELECT seed, outcome, digest FROM runs ORDER BY seed"
"$FL" query j1.db "$Q" --format csv >j1.csv
"$FL" query j2.db "$Q" --format csv >j2.csv
[ "$(wc -l <j1.csv)" = $((N + 1)) ] && pass || fail "-j1 sweep has $(wc -l <j1.csv) lines"
cmp -s j1.csv j2.csv && pass || fail "-j1 and -j2 sweeps differ: $(diff j1.csv j2.csv | head -5)"
grep -c ',ok,' j1.csv | grep -qx $N && pass || fail "not every seed ok: $(grep -v ',ok,' j1.csv | head -3)"

# The negative control: messages before their sync.  Caught by the observer.
"$FL" sweep "$ETCD_CHAOS" --seeds 10 -j2 --db ctl.db --record none --quiet \
  --set 'params.bugs=["send_before_sync"]' >/dev/null 2>&1
[ $? = 1 ] && pass || fail "the send_before_sync sweep did not fail"
v=$("$FL" query ctl.db "SELECT count(*) FROM runs WHERE outcome = 'violation'" --format csv | tail -1)
[ "$v" -ge 5 ] && pass || fail "send_before_sync: only $v of 10 seeds violated"

# Clients (API 3): raft-kv's kv clients on etcd-raft, checked for linearizability.
expect_exit 0 "kv clients on etcd-raft" -- "$FL" run "$SRC/sim/scenarios/raft-kv.json" \
  --set protocol=etcd-raft --seed 2 --db kv.db
ok=$("$FL" query kv.db "SELECT value FROM metrics WHERE name = 'clients.ok'" --format csv | tail -1)
[ "${ok:-0}" -gt 100 ] && pass || fail "kv clients: only ${ok:-0} operations answered ok"
"$FL" run "$SRC/sim/scenarios/raft-kv.json" --set protocol=etcd-raft --seed 2 --set run.until=2s \
  --set 'faults.window=["100ms","1s"]' --set run.liveness=1s --records kv.jsonl >/dev/null 2>&1
grep -qE '"type":"client","data":"op [0-9]+ from [0-9]: (put|get|append)' kv.jsonl && pass ||
  fail "no client entry in the states' logs"

# Bad params: one line, exit 2, nothing recorded.
if expect_exit 2 "unknown bug" -- "$FL" run "$ETCD_CHAOS" --set 'params.bugs=["nope"]' --db bad.db; then
  expect_error_line 'params.bugs\[0\]: unknown bug' "unknown bug"
fi
if expect_exit 2 "election timeout too short" -- "$FL" run "$ETCD_CHAOS" --set 'params.election_timeout="60ms"'; then
  expect_error_line 'params.election_timeout: must be at least twice the heartbeat' "short election"
fi
if expect_exit 2 "unknown param" -- "$FL" run "$ETCD_CHAOS" --set 'params.prevote=true'; then
  expect_error_line 'params: unknown key "prevote"' "unknown param"
fi
finish
