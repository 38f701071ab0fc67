#!/usr/bin/env bash
# make demo: the most telling thing faultline can show, in under a minute.
# 1. a 3-node Raft cluster under chaos, step by step (the first lines of its trace);
# 2. a sweep over 300 seeds with a known bug switched on, into a SQLite file;
# 3. SQL questions about the outcome;
# 4. the first failing seed, re-executed from the database with its digest verified.
set -euo pipefail
FL=${1:-build/faultline}
SC=sim/scenarios/raft-chaos.json
BUG='params.bugs=["quorum_off_by_one"]'
DB=demo.db
rm -f "$DB" "$DB-wal" "$DB-shm"
say() { printf '\n== %s\n' "$*"; }

say "1. Raft, 3 nodes, drops + partitions + crashes + forced timeouts, seed 1 (first 30 trace lines)"
"$FL" run "$SC" --seed 1 --trace | head -n 30 || true

say "2. A sweep of seeds 1..300 with the bug quorum_off_by_one (majority computed as n/2)"
set +e
"$FL" sweep "$SC" --seeds 1..300 --set "$BUG" --db "$DB" --record-max 5
status=$?
set -e
echo "(sweep exit code $status: 1 means some seed failed, as it should with this bug)"

say "3. Ask the database"
"$FL" query "$DB" "SELECT outcome, check_name, count(*) AS seeds FROM runs GROUP BY outcome, check_name ORDER BY seeds DESC"
"$FL" query "$DB" "SELECT seed, check_name, fail_step, substr(detail, 1, 60) AS detail FROM runs WHERE outcome = 'violation' ORDER BY seed LIMIT 5"

run=$("$FL" query "$DB" "SELECT id FROM runs WHERE outcome = 'violation' AND recorded = 'all' ORDER BY seed LIMIT 1" --format csv | tail -n +2)
if [ -n "$run" ]; then
  say "4. Replay run $run from the database: same steps, same digest"
  "$FL" replay "$DB" "$run" --quiet
  say "What to look at next"
  echo "  $FL show $DB $run | less              # the failing run, step by step, from SQLite"
  echo "  $FL query $DB \"SELECT step, kind, node, detail FROM events WHERE run_id = $run ORDER BY step DESC LIMIT 20\""
fi
echo "  $FL query $DB --failing                   # every failing seed with the command that reproduces it"
echo "  docs/sql.md (schema + cookbook), docs/scenario.md, docs/writing-a-protocol.md"
