#!/usr/bin/env bash
# bench_sweep.sh FAULTLINE -- sweep throughput, medians of 3: raft-chaos seeds/s with
# --record none at -j1 and -j2 (the -j2/-j1 ratio: worker start-up costs once per
# worker, not per seed), and a raft-crash sweep with accept_stale_term (about 10% of
# seeds fail) under --record failures at -j2, wall seconds including the full
# recordings.  A baseline binary can be given as BASELINE=path to measure both in turn.
set -uo pipefail
FL=$(realpath "${1:-build/faultline}")
SRC=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
rate() { # rate BIN J: seeds/s of 400 raft-chaos seeds
  rm -f "$T/s.db"*
  "$1" sweep "$SRC/sim/scenarios/raft-chaos.json" --seeds 1..400 -j "$2" --record none \
    --db "$T/s.db" --quiet 2>/dev/null | sed -n 's/.* \([0-9.]*\) seeds\/s$/\1/p'
}
failures() { # failures BIN: wall seconds of 300 raft-crash seeds with ~10% failing
  rm -f "$T/f.db"*
  local t0 t1
  t0=$(date +%s.%N)
  "$1" sweep "$SRC/sim/scenarios/raft-crash.json" --seeds 1..300 -j 2 \
    --set 'params.bugs=["accept_stale_term"]' --db "$T/f.db" --quiet >/dev/null 2>&1
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f\n", b - a }'
}
for bin in "$FL" ${BASELINE:+"$BASELINE"}; do
  j1=$(for _ in 1 2 3; do rate "$bin" 1; done | median)
  j2=$(for _ in 1 2 3; do rate "$bin" 2; done | median)
  fw=$(for _ in 1 2 3; do failures "$bin"; done | median)
  echo "$bin"
  echo "  raft-chaos --record none: -j1 $j1 seeds/s, -j2 $j2 seeds/s ($(awk -v a="$j1" -v b="$j2" 'BEGIN { printf "%.2f", b / a }')x)"
  echo "  raft-crash + accept_stale_term --record failures -j2: $fw s wall for 300 seeds"
done
