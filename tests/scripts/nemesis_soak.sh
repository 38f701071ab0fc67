#!/usr/bin/env bash
# nemesis_soak.sh FAULTLINE [SEEDS] [CORRECT_SEEDS] [JOBS] -- issue 16's numbers (make soak):
#   * per known bug (our Raft's 7, canonical/raft's committed-entry loss): the detection
#     rate with a 95% Wilson interval and the median number of seeds to the first
#     failure (from a uniformly chosen starting seed), for three nemeses side by side:
#       before   the bug's own scenario of docs/raft.md's old table (raft-chaos,
#                raft-crash, raft-figure8; canonical-raft-chaos with both fixes on)
#       uniform  raft-swarm with swarm off: every kind always on, the scenario's params
#       swarm    raft-swarm as shipped: kinds, rates and params drawn per seed
#   * the correct protocol: CORRECT_SEEDS (10000) seeds of raft-swarm, 0 violations;
#   * every aimed kind takes effect in at least 20% of the seeds that enable it
#     (faults.<kind>.scheduled > 0), from the correct sweep's metrics, and the same
#     from the faults table's took_effect column over 60 fully recorded seeds.
# Prints one line per measurement; exits 1 when a bug goes unseen by raft-swarm, the
# correct protocol fails, or a kind takes effect in fewer than 20% of its seeds.
set -u
FL=$(realpath "${1:?usage: nemesis_soak.sh FAULTLINE [SEEDS] [CORRECT_SEEDS] [JOBS]}")
SEEDS=${2:-2000}
CORRECT=${3:-10000}
JOBS=${4:-$(nproc 2>/dev/null || echo 2)}
SCN=$(cd "$(dirname "$0")/../../sim/scenarios" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
status=0

q() { "$FL" query "$1" "$2" --format csv | tail -n +2; }

# stats DB N WHERE: "k rate [lo, hi] median" over seeds 1..N of the sweep in DB, counting
# the runs that WHERE selects
stats() {
  local fails
  fails=$(q "$1" "SELECT seed FROM runs WHERE $3 ORDER BY seed" | tr '\n' ' ')
  awk -v n="$2" -v fails="$fails" 'BEGIN {
    k = split(fails, f, " "); z = 1.96; p = k / n
    c = (p + z * z / (2 * n)) / (1 + z * z / n)
    h = z * sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    lo = c - h < 0 ? 0 : c - h; hi = c + h
    # seeds to the first failure from each start s (1..N) that has one after it
    m = 0; j = 1
    for (s = 1; s <= n; s++) {
      while (j <= k && f[j] + 0 < s) j++
      if (j <= k) d[++m] = f[j] - s + 1
    }
    if (m == 0) med = "-"
    else {
      # d[] is non-increasing runs of counts down to each failure: sort it
      for (a = 2; a <= m; a++) { v = d[a]; b = a - 1; while (b > 0 && d[b] > v) { d[b + 1] = d[b]; b-- } d[b + 1] = v }
      med = d[int((m + 1) / 2)]
    }
    printf "%d %.2f%% [%.2f, %.2f] %s", k, 100 * p, 100 * lo, 100 * hi, med
  }'
}

sweep() { # db scenario seeds [--set ...]
  local db=$1 sc=$2 seeds=$3
  shift 3
  "$FL" sweep "$SCN/$sc.json" "$@" --seeds "1..$seeds" -j "$JOBS" --db "$db" --record none \
    --quiet >/dev/null 2>&1
}

UNIFORM=(--set faults.swarm=false --set faults.swarm_params=false)
echo "known bugs: failing seeds of 1..$SEEDS (canonical/raft: safety violations only; its"
echo "liveness failures are 0.15's known commit stall with one entry per message):"
printf '  %-18s | %-36s | %-36s | %-36s\n' bug "before: k rate [95% CI] median" \
  "uniform raft-swarm" "swarm raft-swarm"
while read -r bug before proto; do
  where="outcome <> 'ok'"
  if [ "$proto" = canonical ]; then
    where="outcome = 'violation'"
    sets=(--set params.fix_result_last=true --set params.fix_term_change=true)
    swarm=canonical-raft-swarm
  else
    sets=(--set "params.bugs=[\"$bug\"]")
    swarm=raft-swarm
  fi
  sweep "$T/$bug-b.db" "$before" "$SEEDS" "${sets[@]}"
  sweep "$T/$bug-u.db" "$swarm" "$SEEDS" "${sets[@]}" "${UNIFORM[@]}"
  sweep "$T/$bug-s.db" "$swarm" "$SEEDS" "${sets[@]}"
  b=$(stats "$T/$bug-b.db" "$SEEDS" "$where")
  u=$(stats "$T/$bug-u.db" "$SEEDS" "$where")
  s=$(stats "$T/$bug-s.db" "$SEEDS" "$where")
  printf '  %-18s | %-36s | %-36s | %-36s  (before: %s)\n' "$bug" "$b" "$u" "$s" "$before"
  [ "${s%% *}" -gt 0 ] || { echo "  $bug: not found by $swarm in $SEEDS seeds"; status=1; }
  rm -f "$T/$bug"-*.db*
done <<'TABLE'
quorum_off_by_one  raft-chaos    raft
forget_vote        raft-crash    raft
accept_stale_term  raft-crash    raft
keep_conflicts     raft-chaos    raft
vote_any_log       raft-chaos    raft
commit_old_term    raft-figure8  raft
ack_before_sync    raft-chaos    raft
committed_loss     canonical-raft-chaos canonical
TABLE

echo "correct protocol: raft-swarm, seeds 1..$CORRECT:"
sweep "$T/ok.db" raft-swarm "$CORRECT"
bad=$(q "$T/ok.db" "SELECT count(*) FROM runs WHERE outcome <> 'ok'")
echo "  $(q "$T/ok.db" "SELECT count(*) FROM runs") runs, $bad not ok $(q "$T/ok.db" "SELECT group_concat(seed || ':' || check_name, ' ') FROM runs WHERE outcome <> 'ok'")"
[ "$bad" = 0 ] || status=1

echo "aimed kinds: seeds where a kind took effect / seeds that enable it (metrics, $CORRECT seeds):"
for kind in leader_crash sync_crash leader_partition restart_partitioned storm; do
  line=$(q "$T/ok.db" "SELECT sum(e.value > 0), count(*) FROM metrics s JOIN metrics e
    ON e.run_id = s.run_id AND e.name = 'faults.$kind.effective'
    WHERE s.name = 'faults.$kind.scheduled' AND s.value > 0")
  took=${line%,*} on=${line#*,}
  pct=$(awk -v a="$took" -v b="$on" 'BEGIN { printf "%.1f", b ? 100 * a / b : 0 }')
  printf '  %-20s %6s / %-6s = %5s%%\n' "$kind" "$took" "$on" "$pct"
  awk -v p="$pct" 'BEGIN { exit !(p >= 20) }' || status=1
done

echo "aimed kinds from the faults table (took_effect), 60 seeds recorded in full:"
"$FL" sweep "$SCN/raft-swarm.json" --seeds 1..60 -j "$JOBS" --db "$T/rec.db" --record all \
  --quiet >/dev/null 2>&1
q "$T/rec.db" "SELECT json_extract(spec, '\$.tag') AS kind, count(DISTINCT run_id) AS seeds_on,
    count(DISTINCT CASE WHEN took_effect THEN run_id END) AS seeds_took,
    round(100.0 * count(DISTINCT CASE WHEN took_effect THEN run_id END) / count(DISTINCT run_id), 1)
  FROM faults WHERE json_extract(spec, '\$.tag') IS NOT NULL GROUP BY 1 ORDER BY 1" |
  awk -F, '{ printf "  %-20s %4s / %-4s = %5s%%\n", $1, $3, $2, $4 }'
exit $status
