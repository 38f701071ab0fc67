#!/usr/bin/env bash
# raft_soak.sh FAULTLINE [JOBS] -- the big Raft sweeps behind `make soak`:
#   * the correct protocol: 2000 seeds of raft-chaos (3 nodes), 500 of raft-chaos with
#     5 nodes, 2000 of raft-crash, 2000 of raft-figure8: no violation, no liveness failure;
#   * every known bug over at least 2000 seeds (10000 for commit_old_term): the detection
#     rate (failing seeds / seeds), the invariants that broke, the first failing seed and
#     the wall seconds until a sweep stopping at the first failure stopped.
# Prints one line per sweep; exits 1 if the correct protocol failed or a bug went unseen.
set -u
FL=$(realpath "${1:?usage: raft_soak.sh FAULTLINE [JOBS]}")
JOBS=${2:-$(nproc 2>/dev/null || echo 2)}
SCN=$(cd "$(dirname "$0")/../../sim/scenarios" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
status=0

calc() { awk "BEGIN { printf \"%.4f\", $1 }"; }

q() { "$FL" query "$1" "$2" --format csv | tail -n +2; }

sweep() { # name scenario seeds [--set ...]
  local name=$1 sc=$2 seeds=$3
  shift 3
  local db="$T/$name.db" t0 t1
  t0=$(date +%s.%N)
  "$FL" sweep "$SCN/$sc.json" "$@" --seeds "$seeds" -j "$JOBS" --db "$db" --record none \
    --quiet >/dev/null 2>&1
  t1=$(date +%s.%N)
  WALL=$(calc "$t1 - $t0")
  FAILED=$(q "$db" "SELECT count(*) FROM runs WHERE outcome <> 'ok'")
  FIRST=$(q "$db" "SELECT coalesce(min(seed), '-') FROM runs WHERE outcome <> 'ok'")
  CHECKS=$(q "$db" "SELECT group_concat(c, ' ') FROM (SELECT check_name || '=' || count(*) AS c FROM runs WHERE outcome <> 'ok' GROUP BY check_name)")
  SIM=$(q "$db" "SELECT sum(sim_time_ns) / 1e9 FROM runs")
}

echo "correct protocol:"
while read -r name sc seeds sets; do
  # shellcheck disable=SC2086
  sweep "$name" "$sc" "$seeds" $sets
  printf '  %-22s %6s seeds  %4s failing  %6.1f s wall  %8.0f sim-s/wall-s  %s\n' \
    "$name" "$seeds" "$FAILED" "$WALL" "$(calc "$SIM / $WALL")" "$CHECKS"
  [ "$FAILED" = 0 ] || status=1
done <<'TABLE'
chaos-3       raft-chaos    2000
chaos-5       raft-chaos    500   --set nodes=5
crash-3       raft-crash    2000
figure8-5     raft-figure8  2000
TABLE

echo "known bugs:"
while read -r bug sc seeds; do
  set_bug="params.bugs=[\"$bug\"]"
  sweep "$bug" "$sc" "$seeds" --set "$set_bug"
  rate=$(calc "$FAILED / $seeds")
  t0=$(date +%s.%N)
  "$FL" sweep "$SCN/$sc.json" --set "$set_bug" --seeds "$seeds" --stop-after 1 -j "$JOBS" \
    --db "$T/$bug-first.db" --record none --quiet >/dev/null 2>&1
  t1=$(date +%s.%N)
  printf '  %-18s %-13s %6s seeds  rate %-7s first seed %-5s  %5.2f s to first  %s\n' \
    "$bug" "$sc" "$seeds" "$rate" "$FIRST" "$(calc "$t1 - $t0")" "$CHECKS"
  [ "$FAILED" -gt 0 ] || status=1
done <<'TABLE'
quorum_off_by_one  raft-chaos    2000
forget_vote        raft-crash    2000
accept_stale_term  raft-crash    2000
keep_conflicts     raft-chaos    2000
vote_any_log       raft-chaos    2000
commit_old_term    raft-figure8  10000
ack_before_sync    raft-chaos    2000
TABLE
exit $status
