#!/usr/bin/env bash
# canonical-raft is deterministic: the same seed gives the same digest in separate
# processes, traced or not, recorded or not; replay reproduces recorded runs (with
# crashes, restarts, partitions, clock drift); a sweep at -j2 gives the digests of
# single runs.  Bad params are one line on stderr and exit 2.
source "$(dirname "$0")/lib/common.bash"
source "$(dirname "$0")/lib/canonical_raft.bash"

digest() { grep -E '^digest:' "$1" | awk '{print $2}'; }

"$FL" protocols >protos 2>&1
grep -qx canonical-raft protos && pass || fail "faultline protocols does not list canonical-raft"
grep -qE '^ +timers: election tick$' protos && pass || fail "timers not listed"

for seed in 1 2 3; do
  "$FL" run "$CR_CHAOS" --seed "$seed" >a.$seed 2>/dev/null
  "$FL" run "$CR_CHAOS" --seed "$seed" >b.$seed 2>/dev/null
  "$FL" run "$CR_CHAOS" --seed "$seed" --trace >c.$seed 2>/dev/null
  "$FL" run "$CR_CHAOS" --seed "$seed" --db d.db >d.$seed 2>/dev/null
  d=$(digest a.$seed)
  [ -n "$d" ] && pass || fail "seed $seed: no digest"
  cmp -s a.$seed b.$seed && pass || fail "seed $seed: two processes differ"
  [ "$(digest c.$seed)" = "$d" ] && pass || fail "seed $seed: --trace changes the digest"
  [ "$(digest d.$seed)" = "$d" ] && pass || fail "seed $seed: --db changes the digest"
done
grep -qE '^faults:.* crash [1-9]' a.1 && grep -qE '^faults:.* restart [1-9]' a.1 && pass ||
  fail "seed 1 has no crash and restart: $(grep faults: a.1)"
# every recorded state of a node that is up (a down node's is null) is JSON with our
# Raft's keys, and its log has last_index entries: checked on the whole states that
# `run --records` writes (the database keeps changes; docs/sql.md)
"$FL" run "$CR_CHAOS" --seed 1 --records r.jsonl >r.1 2>/dev/null
[ "$(digest r.1)" = "$(digest a.1)" ] && pass || fail "--records changes the digest"
sed '1s/^/[/; $!s/$/,/; $s/$/]/' r.jsonl >r.json
sqlite3 :memory: "SELECT count(*) FROM json_each(readfile('r.json')) AS r
   WHERE r.value ->> 'record' = 'state' AND json_type(r.value, '$.state') <> 'null' AND (
      json_type(r.value, '$.state.log') IS NOT 'array' OR json_type(r.value, '$.state.role') IS NOT 'text'
   OR json_array_length(r.value, '$.state.log') <> json_extract(r.value, '$.state.last_index')
   OR json_extract(r.value, '$.state.log[#-1].index') IS NOT json_extract(r.value, '$.state.last_index')
      AND json_extract(r.value, '$.state.last_index') > 0)" >bad.csv 2>&1
[ "$(sqlite3 :memory: "SELECT count(*) FROM json_each(readfile('r.json')) WHERE value ->> 'record' = 'state'")" -gt 100 ] &&
  pass || fail "the records have states"
[ "$(tail -1 bad.csv)" = 0 ] && pass || fail "snapshots that are not the documented JSON: $(cat bad.csv)"
"$FL" query d.db "SELECT count(*) FROM snapshots" --format csv >n.csv 2>&1
[ "$(tail -1 n.csv)" -gt 1000 ] && pass || fail "too few snapshots recorded: $(cat n.csv)"
for run in 1 2 3; do
  expect_exit 0 "replay of recorded run $run" -- "$FL" replay d.db "$run" --quiet
done

expect_exit 1 "a sweep of 1..20 at -j2 (seed 2 hits the known bug)" -- \
  "$FL" sweep "$CR_CHAOS" --seeds 1..20 -j2 --db s.db --record none --quiet
"$FL" query s.db "SELECT seed, digest FROM runs WHERE seed <= 3 ORDER BY seed" --format csv \
  >sweep.csv 2>/dev/null
for seed in 1 2 3; do
  grep -qx "$seed,$(digest a.$seed)" sweep.csv && pass || fail "seed $seed: the sweep's digest differs"
done

# libraft puts every entry after next_index into one AppendEntries; the adapter cuts it
# at params.max_entries_per_msg (followers that fall behind still catch up: outcome ok)
"$FL" run "$CR_CHAOS" --seed 1 --trace >full.trace 2>/dev/null
"$FL" run "$CR_CHAOS" --seed 1 --trace --set params.max_entries_per_msg=2 >cut.trace 2>/dev/null
maxn() { grep -oE 'AppendEntries term=[0-9]+ prev=[0-9/]+ n=[0-9]+' "$1" | sed 's/.*n=//' | sort -n | tail -1; }
[ "$(maxn full.trace)" -gt 2 ] && pass || fail "seed 1 never sends more than 2 entries: the test proves nothing"
[ "$(maxn cut.trace)" = 2 ] && pass || fail "max_entries_per_msg=2, but an AppendEntries has $(maxn cut.trace)"
grep -qE '^outcome: +ok' cut.trace && pass || fail "cut messages: $(grep outcome cut.trace)"

expect_exit 2 "params.heartbeat not a whole ms" -- \
  "$FL" run "$CR_CHAOS" --set params.heartbeat='"1.5ms"'
expect_error_line 'params.heartbeat: expected a whole number of milliseconds' "heartbeat error"
expect_exit 2 "an unknown param" -- "$FL" run "$CR_CHAOS" --set params.bugs='[]'
expect_error_line 'params.bugs: unknown key' "unknown param error"
expect_exit 2 "heartbeat not below the election timeout" -- \
  "$FL" run "$CR_CHAOS" --set params.heartbeat='"200ms"'
expect_error_line 'params.heartbeat: must be shorter than params.election_timeout' "order error"
expect_exit 2 "pre_vote not a boolean" -- "$FL" run "$CR_CHAOS" --set params.pre_vote=1
expect_error_line 'params.pre_vote: expected true or false' "pre_vote error"
finish
