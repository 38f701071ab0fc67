#!/usr/bin/env bash
# bench_record_scale.sh FAULTLINE -- recording that scales (issue 11), in one run:
# 1. raft-chaos seeds 1..20 (30 simulated s each), each run once recorded `all` into a
#    fresh file and once with --record none: the median file size (target <= 2.5 MB)
#    and the median ratio of the two in-process wall times, runs.wall_us of each
#    (target <= 5x); and, for the whole story, the same ratio of the two commands'
#    elapsed times (start-up, the parent's last inserts and the commit included);
# 2. `sweep --record all` of raft-chaos seeds 1..50 at -j2: the file's total size
#    (target <= 150 MB);
# 3. where the bytes of seed 3 go, per table (dbstat when SQLite has it).
# Recording against a bare SQLite loop inserting the same rows is bench_record_run's.
set -uo pipefail
FL=$(realpath "${1:-build/faultline}")
SRC=$(cd "$(dirname "$0")/../.." && pwd)
CHAOS="$SRC/sim/scenarios/raft-chaos.json"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
median() { sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
wall_us() { sqlite3 "$1" "SELECT wall_us FROM runs ORDER BY id DESC LIMIT 1"; }
: > "$T/sizes"
: > "$T/ratios"
: > "$T/rec"
: > "$T/bare"
: > "$T/cmd_ratios"
now_us() { echo $(( $(date +%s%N) / 1000 )); }
for seed in $(seq 1 20); do
  rm -f "$T/r.db"* "$T/n.db"*
  t0=$(now_us)
  "$FL" run "$CHAOS" --seed "$seed" --db "$T/r.db" >/dev/null 2>&1 || true
  t1=$(now_us)
  "$FL" run "$CHAOS" --seed "$seed" --db "$T/n.db" --record none >/dev/null 2>&1 || true
  t2=$(now_us)
  awk -v a=$((t1 - t0)) -v b=$((t2 - t1)) 'BEGIN { printf "%.2f\n", a / b }' >> "$T/cmd_ratios"
  size=$(stat -c %s "$T/r.db")
  rec=$(wall_us "$T/r.db")
  bare=$(wall_us "$T/n.db")
  echo "$size" >> "$T/sizes"
  echo "$rec" >> "$T/rec"
  echo "$bare" >> "$T/bare"
  awk -v a="$rec" -v b="$bare" 'BEGIN { printf "%.2f\n", a / b }' >> "$T/ratios"
  [ "$seed" = 3 ] && cp "$T/r.db" "$T/seed3.db"
done
msize=$(median < "$T/sizes")
echo "raft-chaos seeds 1..20, 30 s, recorded all, one run each:"
awk -v s="$msize" 'BEGIN { printf "  median file %.2f MB (target <= 2.5 MB)\n", s / 1e6 }'
echo "  largest $(sort -n "$T/sizes" | tail -n 1 | awk '{printf "%.2f", $1 / 1e6}') MB," \
  "smallest $(sort -n "$T/sizes" | head -n 1 | awk '{printf "%.2f", $1 / 1e6}') MB"
echo "  median in-process wall: recorded $(median < "$T/rec") us, unrecorded $(median < "$T/bare") us"
echo "  median recorded/unrecorded ratio $(median < "$T/ratios")x (target <= 5x)"
echo "  median ratio of the whole commands' elapsed times $(median < "$T/cmd_ratios")x"

rm -f "$T/s.db"*
t0=$(date +%s.%N)
"$FL" sweep "$CHAOS" --seeds 1..50 -j 2 --record all --db "$T/s.db" --quiet >/dev/null 2>&1
t1=$(date +%s.%N)
total=$(stat -c %s "$T/s.db")
awk -v s="$total" -v a="$t0" -v b="$t1" 'BEGIN {
  printf "sweep --record all, raft-chaos seeds 1..50, -j2: %.1f MB in total (target <= 150 MB), %.1f s\n",
    s / 1e6, b - a }'

echo "seed 3, bytes per table:"
sqlite3 "$T/seed3.db" "SELECT '  ' || name || ' ' || printf('%.2f', sum(pgsize) / 1e6) || ' MB'
  FROM dbstat GROUP BY name ORDER BY sum(pgsize) DESC LIMIT 6" 2>/dev/null ||
  echo "  (this sqlite3 has no dbstat)"
sqlite3 "$T/seed3.db" "SELECT '  steps ' || (SELECT steps FROM runs) || ', rows: events ' ||
  (SELECT count(*) FROM events) || ', messages ' || (SELECT count(*) FROM messages) ||
  ', snapshots ' || (SELECT count(*) FROM snapshots) || ' (' ||
  (SELECT sum(keyframe) FROM snapshots) || ' keyframes), logs ' || (SELECT count(*) FROM logs)"
