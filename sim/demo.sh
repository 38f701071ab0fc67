#!/usr/bin/env bash
# make demo: the most telling thing faultline can show today, in under a minute.
# 1. a 3-node Raft cluster under chaos, traced step by step (the first lines);
# 2. the same seed again: the same digest (determinism);
# 3. a known bug switched on, found, and recorded into SQLite;
# 4. questions asked of that database with `faultline query`.
set -euo pipefail
FL=${1:-build/faultline}
DB=demo.db
rm -f "$DB" "$DB-wal" "$DB-shm"
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "1. A 3-node Raft cluster under chaos (sim/scenarios/raft-chaos.json), seed 1: first 40 trace lines"
"$FL" run sim/scenarios/raft-chaos.json --seed 1 --trace | head -n 40 || true

say "2. The same seed twice gives the same digest"
a=$("$FL" run sim/scenarios/raft-chaos.json --seed 1 2>/dev/null | grep '^digest:' || true)
b=$("$FL" run sim/scenarios/raft-chaos.json --seed 1 2>/dev/null | grep '^digest:' || true)
echo "first:  $a"
echo "second: $b"

say "3. Seeds 1..40 with the bug 'quorum_off_by_one' switched on, recorded into $DB"
found=""
for seed in $(seq 1 40); do
  if ! "$FL" run sim/scenarios/raft-chaos.json --seed "$seed" --db "$DB" --record none \
    --set 'params.bugs=["quorum_off_by_one"]' >/dev/null 2>&1; then
    found="$found $seed"
  fi
done
echo "failing seeds:${found:- none}"

say "4. Ask the database: outcomes, then the failing runs"
"$FL" query "$DB" "SELECT outcome, count(*) AS runs FROM runs GROUP BY outcome"
"$FL" query "$DB" "SELECT seed, outcome, check_name, fail_step, digest FROM runs WHERE outcome <> 'ok' ORDER BY seed LIMIT 5"

first=$(echo $found | cut -d' ' -f1)
say "What to look at next"
if [ -n "$first" ]; then
  echo "  reproduce a failure step by step:"
  echo "    $FL run sim/scenarios/raft-chaos.json --seed $first --set 'params.bugs=[\"quorum_off_by_one\"]' --trace | less"
  echo "  record it fully and query its steps:"
  echo "    $FL run sim/scenarios/raft-chaos.json --seed $first --set 'params.bugs=[\"quorum_off_by_one\"]' --db one.db"
  echo "    $FL query one.db \"SELECT step, kind, node, detail FROM events ORDER BY step DESC LIMIT 20\""
fi
echo "  the SQL cookbook: docs/sql.md; scenario reference: docs/scenario.md"
