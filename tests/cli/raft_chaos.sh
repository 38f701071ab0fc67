#!/usr/bin/env bash
# The correct Raft has no violation and no liveness failure on small sweeps of the
# shipped chaos scenarios (drops, duplicates, delay spikes, every partition kind,
# crashes losing unsynced writes, forced timeouts), with 3 and 5 nodes; `make soak`
# (tests/scripts/raft_soak.sh) runs the big counts.
source "$(dirname "$0")/lib/common.bash"

"$FL" protocols 2>/dev/null | grep -q '^raft' || {
  fail "raft is not registered in this binary (sim/protocols/registry.c)"
  finish
}
SCN=$SRC/sim/scenarios
k=0
while read -r sc seeds sets; do
  k=$((k + 1))
  db="sweep$k.db"
  # shellcheck disable=SC2086
  if expect_exit 0 "$sc $sets: $seeds seeds" -- "$FL" sweep "$SCN/$sc.json" $sets \
       --seeds "$seeds" -j 2 --db "$db" --record none --quiet; then
    n=$("$FL" query "$db" "SELECT count(*) FROM runs WHERE outcome = 'ok'" --format csv | tail -n 1)
    [ "$n" = "$seeds" ] && pass || fail "$sc $sets: $n of $seeds runs ok"
  fi
done <<'TABLE'
raft-chaos    300
raft-chaos    100  --set nodes=5
raft-chaos    100  --set faults.crash.unsynced=tear
raft-crash    200
raft-figure8  50
TABLE
finish
