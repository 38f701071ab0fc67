#!/usr/bin/env bash
# make soak: the big seed counts the issues ask for, too slow for `make test`.
# Prints what it measures; the numbers go into the issue notes.
set -uo pipefail
BUILD=${1:-build}
FL=$(realpath "$BUILD/faultline")
cd "$(dirname "$0")/.."
status=0

echo "== fault shares: raft-chaos in swarm mode, 1000 seeds (every kind >= 20%)"
FL_FAULT_SHARE_SEEDS=1000 bash tests/cli/cli_fault_shares.sh "$FL" . "$BUILD" || status=1

echo "== raft: correct protocol and every known bug"
bash tests/scripts/raft_soak.sh "$FL" || status=1

# ---- nemesis (issue 16) ----
echo "== nemesis: raft-swarm vs the old scenarios, uniform vs swarm, per known bug (2000 seeds),"
echo "   correct Raft over 10000 raft-swarm seeds, aimed kinds' took-effect shares"
bash tests/scripts/nemesis_soak.sh "$FL" 2000 10000 || status=1
# ---- end nemesis ----

echo "== kill -9 twenty times: raft-crash with accept_stale_term, 3000 seeds, each resumed"
FL_KEEP_SEEDS=3000 FL_KEEP_KILLS=20 bash tests/cli/cli_sweep_keep.sh "$FL" . "$BUILD" || status=1

# -- shrink (issue 13)
echo "== shrink: the first failing seed of each original Raft bug, at -j2 (docs/shrink.md)"
bash tests/shrink_soak.sh "$FL" || status=1
# -- end of shrink

echo "== sweep speed: raft-chaos, 400 seeds, -j1 vs -j2"
for j in 1 2; do
  rm -f "/tmp/fl-soak-j$j.db"*
  t0=$(date +%s.%N)
  "$FL" sweep sim/scenarios/raft-chaos.json --seeds 1..400 -j $j --db "/tmp/fl-soak-j$j.db" \
    --record none --quiet >/dev/null 2>&1
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" -v j=$j 'BEGIN { printf "  -j%d: %.1f seeds/s\n", j, 400 / (b - a) }'
done
# etcd-raft (issue 17): etcd's Raft under the raft-chaos faults, and its determinism
if "$FL" protocols 2>/dev/null | grep -A1 -x etcd-raft | grep -q 'timers:'; then
  echo "== etcd-raft: etcd-raft-chaos, 2000 seeds (0 violations expected)"
  bash tests/scripts/etcd_raft_soak.sh "$FL" || status=1
else
  echo "== etcd-raft: not built ($(cat "$BUILD/etcd-raft-skipped.txt" 2>/dev/null))"
fi
exit $status
