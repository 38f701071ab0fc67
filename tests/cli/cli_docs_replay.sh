#!/usr/bin/env bash
# docs/replay.md is true: its ```sh commands run (exit 0 or 1) in a copy of the source
# tree, every line of its ```text blocks is a line they print, its ```sql block runs on
# the database they leave, and its JSON example has the keys recheck --format json prints.
source "$(dirname "$0")/lib/common.bash"

doc="$SRC/docs/replay.md"
extract() { # extract TYPE PREFIX: each fenced block of that type into PREFIX1, PREFIX2...
  awk -v t="$1" -v pre="$2" '
    $0 == "```" t { on = 1; n++; f = pre n; printf "" > f; next }
    on && $0 == "```" { on = 0; close(f); next }
    on { print >> f }' "$doc"
}
extract sh cmds_
extract text text_
extract sql sql_
extract json json_
cp -r "$SRC/sim" sim
[ -s cmds_1 ] && pass || fail "docs/replay.md has no sh example"
n=0
: >all.out
while IFS= read -r line; do
  [ -n "$line" ] || continue
  n=$((n + 1))
  cmd=${line/#faultline /\"$FL\" }
  eval "$cmd" >cmd.out 2>cmd.err </dev/null
  rc=$?
  cat cmd.out >>all.out
  [ "$n" = 9 ] && cp cmd.out recheck.json
  [ $rc = 0 ] || [ $rc = 1 ] && pass || fail "docs/replay.md: $line (exit $rc: $(head -c 300 cmd.err))"
done <cmds_1
[ $n = 9 ] && pass || fail "docs/replay.md: expected 9 commands, got $n (update this test)"

for f in text_*; do
  while IFS= read -r line; do
    grep -qxF -- "$line" all.out && pass || fail "docs/replay.md text line not printed by its commands: $line"
  done <"$f"
done
for f in sql_*; do
  "$FL" query faultline.db "$(cat "$f")" >/dev/null 2>sql.err && pass || fail "docs/replay.md sql: $(cat sql.err)"
done
python3 - json_1 recheck.json <<'PY' && pass || fail "the documented recheck JSON does not have the keys recheck prints"
import json, sys
doc, got = (json.load(open(p)) for p in sys.argv[1:3])
def shape(j):
    if isinstance(j, dict):
        return {k: shape(v) for k, v in j.items()}
    if isinstance(j, list):
        return [shape(j[0])] if j else []
    return type(j).__name__
assert list(doc) == list(got), (list(doc), list(got))
assert shape(doc) == shape(got), (shape(doc), shape(got))
PY
finish
