#!/usr/bin/env bash
# Faults really fire: over 50 seeds of the shipped chaos scenario in swarm mode, every
# fault kind happens, and crashes and partitions bite, in at least 20% of the runs (make
# soak checks the same over 1,000 seeds).  Read from the metrics a sweep records for every run.
source "$(dirname "$0")/lib/common.bash"

SEEDS=${FL_FAULT_SHARE_SEEDS:-50}
"$FL" sweep "$SRC/sim/scenarios/raft-chaos.json" --seeds "$SEEDS" --set faults.swarm=true \
  --db shares.db --record none --quiet >/dev/null 2>sweep.err
[ $? -le 1 ] && pass || fail "the sweep failed to execute: $(head -c 300 sweep.err)"
"$FL" query shares.db "SELECT count(*) FROM runs" --format csv | tail -1 | grep -qx "$SEEDS" &&
  pass || fail "expected $SEEDS runs"
# each kind happened, and crashes and partitions bit (lost unsynced writes, cut messages):
# a crash that loses nothing tests no recovery
"$FL" query shares.db "SELECT CASE WHEN name GLOB '*.effective'
      THEN substr(name, 8, length(name) - 17) ELSE substr(name, 8) END AS kind,
    round(100.0 * sum(value > 0) / count(*), 1) AS pct
  FROM metrics WHERE name LIKE 'faults.%.effective' OR name IN ('faults.crash.with_lost_writes',
    'faults.partition.with_cut_messages') GROUP BY name ORDER BY name" \
  --format csv | tail -n +2 >shares.csv
cat shares.csv
for kind in partition heal crash restart timeout clock drop duplicate delay crash.with_lost_writes \
  partition.with_cut_messages; do
  pct=$(grep "^$kind," shares.csv | cut -d, -f2)
  if [ -z "$pct" ]; then
    fail "no metric for fault kind $kind"
  elif awk -v p="$pct" 'BEGIN { exit !(p >= 20) }'; then
    pass
  else
    fail "fault kind $kind took effect in only $pct% of runs (need >= 20%)"
  fi
done
finish
