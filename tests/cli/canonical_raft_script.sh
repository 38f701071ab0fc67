#!/usr/bin/env bash
# libraft 0.15's AppendEntriesResult last-index bug, scripted (tests/scripts/
# canonical_raft_last_index.json, docs/case-studies/canonical-raft.md): a follower
# answers a heartbeat that checked entry 1 with last=2, its stale entry; the leader
# commits its own entry 2 that only it holds.  With the observer on, the run ends at
# that commit as a durability violation; with params.checks=false it plays out: the
# leader crashes, the follower wins the next term and commits its stale entry 2 of an
# older term by counting replicas (0.15 also lacks Figure 8's current-term rule), so
# the committed entry is lost.  With params.fix_result_last (the upstream fix) the
# leader never commits it.
source "$(dirname "$0")/lib/common.bash"
source "$(dirname "$0")/lib/canonical_raft.bash"
SC=$SRC/tests/scripts/canonical_raft_last_index.json

if expect_exit 1 "the observer catches the commit" -- "$FL" run "$SC" --trace; then
  grep -qE '^outcome: +violation \(durability: entry 2 \(term 3\), committed by a leader, is synced on 1 of 3 nodes' out &&
    pass || fail "not the durability violation: $(grep outcome out)"
  grep -qE '^at step: +15 ' out && pass || fail "not at step 15: $(grep 'at step' out)"
  for line in '#14\] soup: 3 -> 2 delivered AppendEntries term=3 prev=1/1 n=0 commit=1' \
              '#14\] soup: 2 -> 3 AppendEntriesResult term=3 rejected=0 last=2' \
              '#14\] state 2: role=follower term=3 .*last_index=2 last_term=2' \
              '#15\] state 3: role=leader term=3 .*commit=2 .*last_term=3'; do
    grep -qE -e "$line" out && pass || fail "trace lacks /$line/"
  done
fi

if expect_exit 0 "without checks the committed entry is lost" -- \
     "$FL" run "$SC" --set params.checks=false --trace; then
  grep -qE 'state 3: role=leader term=3 .*commit=2 .*last_term=3' out && pass ||
    fail "node 3 never committed entry 2 of term 3"
  grep -qE 'state 2: role=leader term=4 .*commit=2 .*last_term=2' out && pass ||
    fail "node 2 never committed its stale entry 2 of term 2"
  grep -qE 'state 1: role=follower term=4 .*commit=2 .*last_term=2' out && pass ||
    fail "node 1 never committed the stale entry"
  grep -qE '^outcome: +ok' out && pass || fail "$(grep outcome out)"
fi

if expect_exit 1 "with the upstream fix nothing is committed" -- \
     "$FL" run "$SC" --set params.fix_result_last=true --trace; then
  grep -qE '#14\] soup: 2 -> 3 AppendEntriesResult term=3 rejected=0 last=1' out && pass ||
    fail "the fixed follower does not answer last=1"
  grep -qE "^outcome: +divergence \(script: script\[17\]: expect node 3 commit: expected 2, got 1\)" out &&
    pass || fail "$(grep outcome out)"
fi
"$FL" run "$SC" --trace >t1 2>/dev/null
"$FL" run "$SC" --trace >t2 2>/dev/null
cmp -s t1 t2 && pass || fail "two runs of the script differ"
finish
