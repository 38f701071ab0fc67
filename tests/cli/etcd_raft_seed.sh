#!/usr/bin/env bash
# The seed document run on etcd's Raft itself (issue 17): the seed's own script
# (tests/scripts/seed_000.json) on sim/scenarios/etcd-raft-seed.json follows every expect,
# and etcd's log lines in the trace are the seed document's, in order, once timestamps
# (seed) and faultline's "[time #step] etcd-raft N: " prefixes are removed -- except for
# the differences listed below, each explained.  The same run twice is byte-identical.
source "$(dirname "$0")/lib/common.bash"
source "$(dirname "$0")/lib/etcd_raft.bash"

SCRIPT=$SRC/tests/scripts/seed_000.json
SEEDDOC=$SRC/tests/scripts/seed_000.txt

if expect_exit 0 "the seed script runs on etcd-raft" -- "$FL" run "$ETCD_SEED" --schedule "$SCRIPT" --trace; then
  cp "$T/out" trace1
  grep -qE '^outcome: +ok' trace1 && pass || fail "outcome is not ok: $(grep outcome trace1)"
  "$FL" run "$ETCD_SEED" --schedule "$SCRIPT" --trace >trace2 2>/dev/null
  cmp -s trace1 trace2 && pass || fail "two runs of the seed script differ"
  # The seed's etcd and raftexample lines: "raft2021/05/06 22:26:15 INFO: " or
  # "2021/05/06 22:26:15 " before the text (harness lines -- Ignored event, ----, debug --
  # are not etcd's).
  sed -nE 's/^(raft)?2021\/05\/06 [0-9:]{8} (INFO: )?//p' "$SEEDDOC" >seed.lines
  sed -nE 's/^\[[^]]*\] etcd-raft [0-9]+: //p' trace1 >ours.lines
  [ "$(wc -l <seed.lines)" -gt 50 ] && pass || fail "the seed document has too few etcd lines"
  diff seed.lines ours.lines >got.diff
  # Every difference, explained:
  #  - "N starting a new WAL from params.initial" (x3): the seed's members had a WAL on
  #    disk; ours start from an empty simulated disk and write params.initial's state as
  #    their WAL first (then replay it, as the seed's do).
  #  - "replaying WAL of member 2" moves after member 1's configuration lines: raftexample
  #    started its three members concurrently (goroutines), so member 2's first line came
  #    before member 1 applied its configuration entries; faultline starts one node per
  #    step.
  #  - "raft.node: 3 elected leader 2 at term 11" moves after node 1's lines: the seed's
  #    harness delivered leader 2's MsgApp to node 3 before the one to node 1; the
  #    script's stabilize delivers the oldest message first (2 -> 1 was sent first).
  cat >want.diff <<'DIFF'
2a3
> 1 starting a new WAL from params.initial: term 9, commit 10, 11 entries
7d7
< replaying WAL of member 2
10a11
> replaying WAL of member 2
11a13
> 2 starting a new WAL from params.initial: term 9, commit 10, 11 entries
20a23
> 3 starting a new WAL from params.initial: term 9, commit 10, 11 entries
58d60
< raft.node: 3 elected leader 2 at term 11
61a64
> raft.node: 3 elected leader 2 at term 11
DIFF
  cmp -s want.diff got.diff && pass || fail "etcd's lines differ from the seed's beyond the explained differences: $(diff want.diff got.diff | head -20)"
  for line in 'etcd-raft 1: 1 \[logterm: 9, index: 11\] sent MsgVote request to 2 at term 10' \
              'soup: 1 -> 2 MsgVote term=10 lastlog=9/11' \
              'soup: 1 -> 2 MsgProp entries=1' \
              'ignored 1: ' \
              'state 3: .*commit=14'; do
    grep -qE -e "$line" trace1 && pass || fail "trace lacks /$line/"
  done
fi

# A wrong expectation is a divergence on etcd too.
sed '$d' "$SCRIPT" | sed '$d' >bad.json
echo '  {"expect": {"node": 3, "commit": 15}}' >>bad.json
echo ']' >>bad.json
if expect_exit 1 "a wrong expectation fails the run" -- "$FL" run "$ETCD_SEED" --schedule bad.json; then
  grep -qE '^outcome: +divergence' "$T/out" && pass || fail "outcome is not divergence"
fi
finish
