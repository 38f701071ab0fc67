#!/usr/bin/env bash
# docs/case-studies/etcd-raft.md is real: each command of its ```sh blocks runs (exit 0,
# or 1 for the negative control's sweep), and each line of its ```text blocks is a line
# of the seed script's trace on etcd-raft.
source "$(dirname "$0")/lib/common.bash"
source "$(dirname "$0")/lib/etcd_raft.bash"
DOC=$SRC/docs/case-studies/etcd-raft.md

mkdir -p tests && cp -r "$SRC/sim" sim && cp -r "$SRC/tests/scripts" tests/scripts
awk '/^```sh$/{on=1; next} on && /^```$/{on=0} on' "$DOC" >cmds
[ -s cmds ] && pass || fail "no commands in $DOC"
while IFS= read -r line; do
  case $line in faultline\ *) ;; *) fail "not a faultline command: $line"; continue ;; esac
  eval "\"\$FL\" ${line#faultline }" >cmd.out 2>cmd.err </dev/null
  rc=$?
  [ $rc -le 1 ] && pass || fail "$line: exit $rc: $(head -c 300 cmd.err)"
done <cmds

"$FL" run sim/scenarios/etcd-raft-seed.json --schedule tests/scripts/seed_000.json --trace \
  >trace 2>/dev/null
awk '/^```text$/{on=1; next} on && /^```$/{on=0} on' "$DOC" >lines
[ -s lines ] && pass || fail "no trace excerpt in $DOC"
while IFS= read -r line; do
  grep -qxF -- "$line" trace && pass || fail "not in the seed trace: $line"
done <lines
finish
