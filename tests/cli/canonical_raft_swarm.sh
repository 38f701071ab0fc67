#!/usr/bin/env bash
# canonical_raft_swarm.sh -- canonical-raft under the aimed swarm nemesis (issue 16):
# canonical-raft-swarm.json draws its params from the ranges the adapter declares (API 4),
# binds selectors through its `role` snapshot key, is deterministic, and its written
# schedules replay with the same digest.
source "$(dirname "$0")/lib/common.bash"
source "$(dirname "$0")/lib/canonical_raft.bash"

CS="$SRC/sim/scenarios/canonical-raft-swarm.json"
digest() { grep '^digest:' out | awk '{ print $2 }'; }

for seed in 1 2; do
  "$FL" run "$CS" --seed $seed --write-schedule s$seed.json >out 2>err
  rc=$?
  [ $rc -le 1 ] && pass || fail "seed $seed: exit $rc: $(head -c 300 err)"
  d1=$(digest)
  "$FL" run "$CS" --seed $seed >out 2>err
  [ "$(digest)" = "$d1" ] && pass || fail "seed $seed: two runs, two digests"
  "$FL" run "$CS" --seed $seed --schedule s$seed.json >out 2>err
  [ "$(digest)" = "$d1" ] && pass || fail "seed $seed: its written schedule gives another digest"
done
grep -q '"selected":"leader"' s1.json s2.json && pass || fail "a leader selector bound to a node"
"$FL" run "$CS" --seed 1 --db one.db >out 2>&1
n=$(sqlite3 one.db "SELECT value FROM metrics WHERE name = 'swarm.nodes'")
[ -n "$n" ] && [ "$n" -ge 3 ] && [ "$n" -le 5 ] && pass || fail "nodes drawn in [3,5]: '$n'"
finish
