#!/usr/bin/env bash
# docs/shrink.md is true: its ```sh commands run (exit 0 or 1) in a copy of the source
# tree, every line of its first, second and fourth ```text blocks is a line they print,
# the third is the minimal schedule they write, byte for byte, and the show command
# the prose names works on the shrunk run.
source "$(dirname "$0")/lib/common.bash"

doc="$SRC/docs/shrink.md"
extract() { # extract TYPE PREFIX: each fenced block of that type into PREFIX1, PREFIX2...
  awk -v t="$1" -v pre="$2" '
    $0 == "```" t { on = 1; n++; f = pre n; printf "" > f; next }
    on && $0 == "```" { on = 0; close(f); next }
    on { print >> f }' "$doc"
}
extract sh cmds_
extract text text_
cp -r "$SRC/sim" sim
[ -s cmds_1 ] && pass || fail "docs/shrink.md has no sh example"
n=0
: >all.out
while IFS= read -r line; do
  [ -n "$line" ] || continue
  n=$((n + 1))
  cmd=${line/#faultline /\"$FL\" }
  eval "$cmd" >cmd.out 2>cmd.err </dev/null
  rc=$?
  cat cmd.out >>all.out
  [ $rc = 0 ] || [ $rc = 1 ] && pass || fail "docs/shrink.md: $line (exit $rc: $(head -c 300 cmd.err))"
done <cmds_1
[ $n = 7 ] && pass || fail "docs/shrink.md: expected 7 commands, got $n (update this test)"
for f in text_1 text_2 text_4; do
  while IFS= read -r line; do
    grep -qxF -- "$line" all.out && pass || fail "docs/shrink.md ($f) line not printed by its commands: $line"
  done <"$f"
done
cmp -s text_3 minimal.json && pass || fail "docs/shrink.md's minimal.json is not what shrink wrote: $(cat minimal.json)"
digest=$(grep -o 'digest:   [0-9a-f]*' "$doc" | head -1)
grep -qF "$digest" all.out && pass || fail "docs/shrink.md's '$digest' is not what run printed"
grep -q '^outcome: *violation (leader_completeness' all.out && pass ||
  fail "docs/shrink.md: run minimal-script.json fails leader_completeness"
expect_exit 0 "the show command of docs/shrink.md" -- "$FL" show bugs.db 2 --step 449
finish
