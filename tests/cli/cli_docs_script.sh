#!/usr/bin/env bash
# docs/script.md's examples run: its ```sh commands work in order, every line of its
# ```text blocks is a line they print, its ```json block is the file `faultline script`
# wrote (and the shipped bug script), and its table of bug scripts says their real
# steps, entries and sizes.
source "$(dirname "$0")/lib/common.bash"

doc="$SRC/docs/script.md"
ln -s "$SRC/sim" sim
block() { # block TYPE: the lines of every fenced block of that type
  awk -v t="$1" '$0 == "```" t { on = 1; next } on && $0 == "```" { on = 0 } on' "$doc"
}

block sh >commands
[ "$(wc -l <commands)" -ge 4 ] && pass || fail "docs/script.md has its example commands"
: >all.out
while IFS= read -r line; do
  read -ra words <<<"${line#faultline }"
  # the words are the doc's; the one quoted argument is a --set value
  words=("${words[@]//\'/}")
  "$FL" "${words[@]}" >>all.out 2>err </dev/null
  rc=$?
  [ $rc -le 1 ] && pass || fail "docs/script.md: '$line' exit $rc: $(cat err)"
done <commands

block text >shown
[ -s shown ] && pass || fail "docs/script.md shows output"
while IFS= read -r line; do
  [ -z "$line" ] || grep -qxF -- "$line" all.out && pass || fail "docs/script.md shows '$line', which the commands did not print"
done <shown

block json >doc.json
cmp -s doc.json ack.json && pass || fail "docs/script.md's json block is not what script wrote: $(diff doc.json ack.json | head -5)"
cmp -s ack.json "$SRC/tests/scripts/bugs/ack_before_sync.json" && pass ||
  fail "ack.json is the shipped tests/scripts/bugs/ack_before_sync.json"

# the table of bug scripts: | `bug` | scenario seed | steps | entries | bytes |
grep -E '^\| `[a-z_]+` \| raft-' "$doc" | tr -d '`,' | awk -F' *\\| *' '{print $2, $4, $5, $6}' >table
[ "$(wc -l <table)" = 9 ] && pass || fail "the table lists the 9 bug scripts"
while read -r bug steps entries bytes; do
  f="$SRC/tests/scripts/bugs/$bug.json"
  last=$(jq -r '.script[0].comment' "$f" | sed 's/.*steps 0\.\.\([0-9]*\).*/\1/')
  [ "$((last + 1))" = "$steps" ] && [ "$(jq '.script | length' "$f")" = "$entries" ] &&
    [ "$(wc -c <"$f")" = "$bytes" ] && pass ||
    fail "$bug: the table says $steps steps, $entries entries, $bytes bytes; the file has $((last + 1)), $(jq '.script | length' "$f"), $(wc -c <"$f")"
done <table

finish
