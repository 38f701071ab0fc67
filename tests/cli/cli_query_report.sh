#!/usr/bin/env bash
# The canned questions: --report summarises a sweep (outcomes, violations by invariant,
# fault shares, sweeps, speed); --failing lists every failing run with a replay command
# that really reproduces it.
source "$(dirname "$0")/lib/common.bash"

"$FL" sweep "$SRC/sim/scenarios/echo.json" --seeds 1..20 --set run.until=1s \
  --set 'params.bugs=["pong_without_ping"]' --set network.drop=0.1 --db q.db --quiet \
  >/dev/null 2>&1
expect_exit 0 "report" -- "$FL" query q.db --report
for title in 'outcomes by scenario' 'violations by invariant' 'fault kinds' 'sweeps' 'speed'; do
  grep -q "^== $title" out && pass || fail "report has a section '$title'"
done
grep -qE '^echo-5 +pong_without_ping +20 ' out && pass || fail "report counts the violations by invariant"
grep -qE '^drop +20 ' out && pass || fail "report shows the drop fault in every run"

expect_exit 0 "failing" -- "$FL" query q.db --failing --format csv
[ "$(tail -n +2 out | wc -l)" = 20 ] && pass || fail "--failing lists the 20 failing runs"
cmd=$(tail -n +2 out | head -1 | awk -F, '{print $NF}')
case "$cmd" in
  "faultline replay q.db "*) pass ;;
  *) fail "--failing gives a replay command, got '$cmd'" ;;
esac
run=${cmd##* }
expect_exit 0 "the listed replay command reproduces" -- "$FL" replay q.db "$run" --quiet
grep -q '^replay: reproduced' out && pass || fail "replay of run $run: $(tail -1 out)"

expect_exit 2 "report takes no --failing" -- "$FL" query q.db --report --failing &&
  expect_error_line '--report takes no SQL and no --failing' "report with failing"
finish
