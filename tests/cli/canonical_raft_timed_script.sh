#!/usr/bin/env bash
# faultline script --timed on canonical-raft runs: libraft decides elections by its
# clock (drifted by clock faults) and its own random draws, so its scripts need the
# run's times (--timed, with {"clock": N, "ppm": P} entries) and the run's --seed; with
# both, the script follows the whole run, every expect holding; untimed it parts from
# the run (docs/script.md).
source "$(dirname "$0")/lib/common.bash"
source "$(dirname "$0")/lib/canonical_raft.bash"

for seed in 2 3; do
  "$FL" run "$CR_CHAOS" --seed "$seed" --db "cr$seed.db" >/dev/null 2>&1
  [ "$(sqlite3 "cr$seed.db" "SELECT outcome FROM runs")" = ok ] && pass || fail "seed $seed passes"
  expect_exit 0 "script --timed seed $seed" -- "$FL" script "cr$seed.db" 1 --timed --out "t$seed.json"
  [ "$(jq '[.script[] | select(.clock)] | length' "t$seed.json")" -gt 0 ] && pass ||
    fail "seed $seed: the run's clock faults are clock entries"
  expect_exit 0 "timed script seed $seed, --seed $seed" -- "$FL" run "t$seed.json" --seed "$seed" </dev/null
  expect_exit 0 "untimed script seed $seed" -- "$FL" script "cr$seed.db" 1 --out "u$seed.json"
  expect_exit 1 "untimed script seed $seed parts from the run" -- "$FL" run "u$seed.json" --seed "$seed" </dev/null
  grep -q '^outcome:  divergence' out && pass || fail "untimed: $(grep outcome out)"
done

finish
