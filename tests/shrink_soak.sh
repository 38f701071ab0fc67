#!/usr/bin/env bash
# shrink_soak.sh FAULTLINE -- `make soak`'s shrink numbers (issue 13, docs/shrink.md): for
# each of the 7 original Raft bugs (docs/raft.md), the first failing seed of its shipped
# scenario (a sweep with --stop-after 1), shrunk at -j2 with the default 60 s budget.
# Prints per bug the fault decisions (schedule entries + message faults) and steps
# before and after, the workload ops, the candidates, the wall time and whether the
# result is 1-minimal; then whether each meets the targets: decisions after <= max(10%
# of before, 5) -- "before" counted both ways: every decision of the materialised
# schedule, and only those at or before the failing step -- and under 60 s of wall time;
# and whether the minimal run as a script (--as-script) fails the same check when run.
set -uo pipefail
FL=$(realpath "$1")
SRC=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d /tmp/fl-shrink-soak.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 3
status=0
printf '%-18s %-13s %5s | %-22s | %-13s | %-9s | %5s | %6s | %s\n' bug scenario seed \
  "decisions before->after" "reached->after" "steps" "cands" "wall" "1-minimal targets"
while read -r bug sc; do
  db="$bug.db"
  "$FL" sweep "$SRC/sim/scenarios/$sc.json" --set "params.bugs=[\"$bug\"]" --seeds 1..20000 \
    -j 1 --stop-after 1 --db "$db" --quiet >/dev/null 2>&1
  run=$(sqlite3 "$db" "SELECT id FROM runs WHERE outcome IN ('violation','liveness')
                       AND recorded = 'all' ORDER BY seed LIMIT 1")
  if [ -z "$run" ]; then echo "$bug: no failing seed found"; status=1; continue; fi
  seed=$(sqlite3 "$db" "SELECT seed FROM runs WHERE id = $run")
  t0=$(date +%s.%N)
  "$FL" shrink "$db" "$run" -j 2 --out "$bug.json" --as-script "$bug.script.json" >"$bug.out" 2>"$bug.err"
  rc=$?
  t1=$(date +%s.%N)
  if [ $rc != 0 ]; then echo "$bug: shrink exited $rc: $(head -1 "$bug.err")"; status=1; continue; fi
  IFS='|' read -r db_ da sb sa cand minimal <<<"$(sqlite3 "$db" "SELECT decisions_before,
    decisions_after, steps_before, steps_after, candidates, minimal FROM shrinks
    ORDER BY id DESC LIMIT 1")"
  check=$(sqlite3 "$db" "SELECT check_name FROM shrinks ORDER BY id DESC LIMIT 1")
  "$FL" run "$bug.script.json" >"$bug.script.out" 2>&1
  ok_script=$(grep -q "^outcome: *violation ($check:" "$bug.script.out" && echo yes || echo NO)
  reached=$(sed -n 's/.*; \([0-9]*\) at or before the failing step.*/\1/p' "$bug.out")
  wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
  ok_all=$(awk -v b="$db_" -v a="$da" 'BEGIN { t = b / 10; if (t < 5) t = 5; print (a <= t) ? "yes" : "NO" }')
  ok_reached=$(awk -v b="$reached" -v a="$da" 'BEGIN { t = b / 10; if (t < 5) t = 5; print (a <= t) ? "yes" : "NO" }')
  ok_wall=$(awk -v w="$wall" 'BEGIN { print (w < 60) ? "yes" : "NO" }')
  printf '%-18s %-13s %5s | %9s -> %-9s | %5s -> %-5s | %4s->%-4s | %5s | %5ss | %-3s  size(all) %s, size(reached) %s, <60s %s, script %s\n' \
    "$bug" "$sc" "$seed" "$db_" "$da" "$reached" "$da" "$sb" "$sa" "$cand" "$wall" \
    "$([ "$minimal" = 1 ] && echo yes || echo no)" "$ok_all" "$ok_reached" "$ok_wall" "$ok_script"
  [ "$minimal" = 1 ] && [ "$ok_all" = yes ] && [ "$ok_wall" = yes ] && [ "$ok_script" = yes ] || status=1
done <<'BUGS'
quorum_off_by_one raft-chaos
forget_vote raft-crash
accept_stale_term raft-crash
keep_conflicts raft-chaos
vote_any_log raft-chaos
commit_old_term raft-figure8
ack_before_sync raft-chaos
BUGS
echo "(load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores, shared with other work)"
exit $status
