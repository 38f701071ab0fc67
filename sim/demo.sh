#!/usr/bin/env bash
# make demo: the most telling thing faultline can show, in under a minute.
# 1. a 3-node Raft cluster under chaos, step by step (the first lines of its trace);
# 2. a sweep over 300 seeds of a crash-heavy scenario with a known bug switched on
#    (a follower accepts appends from a stale leader), into a SQLite file;
# 3. SQL questions about the outcome;
# 4. the first failing seed, re-executed from the database with its digest verified;
# 5. every node's state at its failing step; 6. the run shrunk to the faults that matter.
set -euo pipefail
FL=${1:-build/faultline}
SC=sim/scenarios/raft-chaos.json
SWEEP_SC=sim/scenarios/raft-crash.json
BUG='params.bugs=["accept_stale_term"]'
DB=demo.db
rm -f "$DB" "$DB-wal" "$DB-shm"
say() { printf '\n== %s\n' "$*"; }

say "1. Raft, 3 nodes, drops + partitions + crashes + forced timeouts, seed 1 (first 30 trace lines)"
"$FL" run "$SC" --seed 1 --trace | head -n 30 || true

say "2. A sweep of $SWEEP_SC, seeds 1..300, with the bug accept_stale_term"
set +e
"$FL" sweep "$SWEEP_SC" --seeds 1..300 --set "$BUG" --db "$DB" --record-max 5
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
  step=$("$FL" query "$DB" "SELECT fail_step FROM runs WHERE id = $run" --format csv | tail -n +2)
  say "5. Every node's state at the failing step $step, read back from SQLite"
  "$FL" show "$DB" "$run" --step "$step" | sed -n '/^-- every node/,$p'
  say "6. Shrink run $run: the fewest faults that still break the same check (10 s budget)"
  "$FL" shrink "$DB" "$run" -j 2 --budget 10s --out demo-minimal.json 2>/dev/null |
    grep -E '^shrink: (before|after|fault decisions|steps|[0-9]+ candidates|minimal|recorded)' || true
  say "What to look at next"
  echo "  $FL serve $DB                        # the web UI on http://127.0.0.1:8080: runs, diagrams, states"
  echo "  $FL show $DB $run | less              # the failing run, step by step, from SQLite"
  echo "  $FL query $DB \"SELECT step, kind, node, detail FROM events WHERE run_id = $run ORDER BY step DESC LIMIT 20\""
fi
echo "  $FL query $DB --failing                   # every failing seed with the command that reproduces it"
echo "  docs/sql.md (schema + cookbook), docs/scenario.md, docs/writing-a-protocol.md"
