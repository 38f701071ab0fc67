#!/usr/bin/env bash
# The seed document's harness (tests/scripts/seed_000.json, scenario
# sim/scenarios/raft-seed.json) run by the real binary: node 1 leader at term 10 and
# commit 12 everywhere, node 2 leader at term 11 and commit 13, the value proposed at
# follower 1 forwarded to node 2 as MsgProp and committed at 14; the self-addressed
# events of the seed are traced as ignored; the same run twice is byte-identical; an
# expectation that does not hold ends the run as a divergence naming the entry.
source "$(dirname "$0")/lib/common.bash"

"$FL" protocols 2>/dev/null | grep -q '^raft' || {
  fail "raft is not registered in this binary (sim/protocols/registry.c)"
  finish
}
SC=$SRC/sim/scenarios/raft-seed.json
SCRIPT=$SRC/tests/scripts/seed_000.json

if expect_exit 0 "the seed script runs" -- "$FL" run "$SC" --schedule "$SCRIPT" --trace; then
  cp "$T/out" trace1
  for line in 'raft 1: replaying WAL of member 1' \
              'raft 1: 1 became leader at term 10' \
              'raft 2: 2 became leader at term 11' \
              'raft 1: 1 \[term: 10\] received a MsgApp message with higher term from 2 \[term: 11\]' \
              'ignored 1: ' \
              'soup: 1 -> 2 MsgProp entries=1' \
              'state 3: .*commit=14' \
              '^outcome: +ok'; do
    grep -qE -e "$line" trace1 && pass || fail "trace lacks /$line/"
  done
  "$FL" run "$SC" --schedule "$SCRIPT" --trace >trace2 2>/dev/null
  cmp -s trace1 trace2 && pass || fail "two runs of the seed script differ"
fi

# A wrong expectation (commit 15 instead of 14 in the last entry) is a divergence.
sed '$d' "$SCRIPT" | sed '$d' >bad.json
echo '  {"expect": {"node": 3, "commit": 15}}' >>bad.json
echo ']' >>bad.json
if expect_exit 1 "a wrong expectation fails the run" -- "$FL" run "$SC" --schedule bad.json; then
  grep -qE '^outcome: +divergence' "$T/out" && pass || fail "outcome is not divergence: $(cat "$T/out")"
fi
finish
