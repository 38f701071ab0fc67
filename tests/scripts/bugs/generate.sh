#!/bin/sh
# generate.sh FAULTLINE [OUTDIR] -- regenerate tests/scripts/bugs/<bug>.json: for each
# known Raft bug, record the failing seed with the fewest steps to its failure that a
# sweep of its shipped scenario found, and convert that run with `faultline script`
# (docs/script.md).  The table says which seed; tests/cli/raft_bug_scripts.sh runs the
# files.  Seeds are of digest epoch 2: another epoch may need other seeds.
set -eu
FL=${1:?usage: generate.sh FAULTLINE [OUTDIR]}
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${2:-$HERE}
SC=$HERE/../../../sim/scenarios
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# bug scenario seed (seeds searched: 1..300, forget_vote 1..1000, commit_old_term 1..3000)
while read -r bug scenario seed; do
    "$FL" run "$SC/$scenario.json" --seed "$seed" --set "params.bugs=[\"$bug\"]" \
        --db "$TMP/$bug.db" >/dev/null 2>&1 || true
    "$FL" script "$TMP/$bug.db" 1 --out "$OUT/$bug.json"
done <<'TABLE'
quorum_off_by_one raft-chaos 152
forget_vote raft-crash 4
accept_stale_term raft-crash 86
keep_conflicts raft-chaos 28
vote_any_log raft-chaos 28
commit_old_term raft-figure8 2645
ack_before_sync raft-chaos 289
stale_read raft-kv 180
early_ack raft-kv 130
TABLE
