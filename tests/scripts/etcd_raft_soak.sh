#!/usr/bin/env bash
# The etcd-raft measurements of issue 17 (make soak; docs/case-studies/etcd-raft.md):
#   1. 2000 seeds of etcd-raft-chaos at -j2: 0 violations, liveness failures, crashes or
#      hangs (exit 1 otherwise);
#   2. 300 seeds at -j1 and at -j2: identical digests, seed by seed;
#   3. the negative control (send_before_sync): how many of 300 seeds the observer catches;
#   4. the cost: wall time per simulated second of etcd-raft and of our Raft, 100 seeds
#      each at -j1 with recording off.
# usage: etcd_raft_soak.sh FAULTLINE
set -uo pipefail
FL=$(realpath "$1")
cd "$(dirname "$0")/../.."
SC=sim/scenarios/etcd-raft-chaos.json
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
status=0
q() { "$FL" query "$1" "$2" --format csv | tail -n +2; }

"$FL" sweep $SC --seeds 2000 -j2 --db "$D/soak.db" --quiet >"$D/soak.out" 2>&1
grep -E '^(sweep|outcomes|violations)' "$D/soak.out" | sed 's/^/  /'
bad=$(q "$D/soak.db" "SELECT count(*) FROM runs WHERE outcome <> 'ok'")
[ "$bad" = 0 ] || { echo "  FAIL: $bad of 2000 seeds not ok"; status=1; }

for j in 1 2; do
  "$FL" sweep $SC --seeds 300 -j$j --db "$D/j$j.db" --record none --quiet >/dev/null 2>&1
  q "$D/j$j.db" "SELECT seed, outcome, digest FROM runs ORDER BY seed" >"$D/j$j.csv"
done
if [ "$(wc -l <"$D/j1.csv")" = 300 ] && cmp -s "$D/j1.csv" "$D/j2.csv"; then
  echo "  300 seeds: identical digests at -j1 and -j2"
else
  echo "  FAIL: 300 seeds at -j1 and -j2 differ"; status=1
fi

"$FL" sweep $SC --seeds 300 -j2 --db "$D/ctl.db" --record none --quiet \
  --set 'params.bugs=["send_before_sync"]' >/dev/null 2>&1
echo "  send_before_sync: $(q "$D/ctl.db" "SELECT group_concat(n || ' ' || o, ', ') FROM (SELECT count(*) AS n, outcome || coalesce(' ' || check_name, '') AS o FROM runs GROUP BY 2)") of 300 seeds"

for p in etcd-raft raft; do
  t0=$(date +%s.%N)
  "$FL" sweep $SC --seeds 100 -j1 --db "$D/cost-$p.db" --record none --quiet \
    --set protocol=$p >/dev/null 2>&1
  t1=$(date +%s.%N)
  steps=$(q "$D/cost-$p.db" "SELECT sum(steps) FROM runs")
  sim=$(q "$D/cost-$p.db" "SELECT sum(sim_time_ns) / 1e9 FROM runs")
  awk -v a="$t0" -v b="$t1" -v s="$sim" -v n="$steps" -v p=$p 'BEGIN {
    printf "  cost %-9s: %.2f ms wall per simulated second, %.2f us per step (100 seeds, -j1)\n",
           p, (b - a) * 1000 / s, (b - a) * 1e6 / n }'
done
exit $status
