#!/usr/bin/env bash
# The examples in the docs run: every ```json block of docs/scenario.md is a valid
# scenario, every ```sql block of docs/sql.md runs on a real recorded database, and the
# README's tour commands work.
source "$(dirname "$0")/lib/common.bash"

# extract BLOCKTYPE FILE: write each fenced block of that type to block_N files
extract() {
  awk -v t="$1" -v pre="$3" '
    $0 == "```" t { on = 1; n++; f = pre n; printf "" > f; next }
    on && $0 == "```" { on = 0; close(f); next }
    on { print >> f }' "$2"
}

extract json "$SRC/docs/scenario.md" scen_
n=0
for f in scen_*; do
  [ -e "$f" ] || break
  n=$((n + 1))
  if "$FL" scenario "$f" >/dev/null 2>"$f.err"; then pass; else fail "docs/scenario.md json block $f: $(cat "$f.err")"; fi
done
[ $n -ge 1 ] && pass || fail "docs/scenario.md has no json example"

"$FL" run "$SRC/sim/scenarios/raft-chaos.json" --seed 3 --db docs.db --set run.until=3s \
  --set 'faults.window=["100ms","2s"]' --set run.liveness=1s >/dev/null 2>&1
[ "$(sqlite3 docs.db "SELECT count(*) FROM runs")" = 1 ] && pass || fail "the Raft run for the cookbook"
"$FL" run "$SRC/sim/scenarios/echo.json" --seed 3 --db docs.db --set run.until=1s >/dev/null 2>&1
extract sql "$SRC/docs/sql.md" sql_
n=0
for f in sql_*; do
  [ -e "$f" ] || break
  n=$((n + 1))
  if "$FL" query docs.db "$(cat "$f")" >/dev/null 2>"$f.err"; then pass; else fail "docs/sql.md block $f: $(cat "$f.err") -- $(head -c 200 "$f")"; fi
done
[ $n -ge 3 ] && pass || fail "docs/sql.md has fewer than 3 sql examples"
extract sql "$SRC/docs/faults.md" fsql_
n=0
for f in fsql_*; do
  [ -e "$f" ] || break
  n=$((n + 1))
  if "$FL" query docs.db "$(cat "$f")" >/dev/null 2>"$f.err"; then pass; else fail "docs/faults.md block $f: $(cat "$f.err")"; fi
done
[ $n -ge 2 ] && pass || fail "docs/faults.md has fewer than 2 sql examples"
# its summary line example is the real summary of that run
grep -E '^faults: ' "$SRC/docs/faults.md" >faults_line.txt
"$FL" run "$SRC/sim/scenarios/raft-crash.json" --seed 52 --set 'params.bugs=["accept_stale_term"]' \
  2>/dev/null | grep -xFf faults_line.txt >/dev/null && pass ||
  fail "docs/faults.md's faults: line is not what run prints"

# The docs name only commands that exist: every `faultline CMD` in backticks is one that
# `faultline --help` lists.
"$FL" --help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }' >commands.txt
grep -ohE '`faultline [a-z][a-z-]*' "$SRC/README.md" "$SRC"/docs/*.md | cut -c12- | sort -u >named.txt
[ -s named.txt ] && pass || fail "the docs name no command"
while IFS= read -r cmd; do
  grep -qx -- "$cmd" commands.txt && pass || fail "the docs name \`faultline $cmd\`, which does not exist"
done <named.txt

# A code excerpt fenced as ```c PATH is PATH's text, line for line.
awk '/^```c [^ ]+$/{f=$2; n++; print "==" f; on=1; next} on && /^```$/{on=0} on' \
  "$SRC/docs/writing-a-protocol.md" >excerpts
[ -s excerpts ] && pass || fail "docs/writing-a-protocol.md has no code excerpt"
while IFS= read -r line; do
  case $line in
    ==*) src=$SRC/${line#==}; [ -f "$src" ] && pass || fail "excerpt of a missing file: $src" ;;
    *) grep -qxF -- "$line" "$src" && pass || fail "excerpt line not in $src: $line" ;;
  esac
done <excerpts

# The README's trace example is a real trace: every line of it appears in the seed run.
"$FL" run "$SRC/sim/scenarios/raft-seed.json" --schedule "$SRC/tests/scripts/seed_000.json" \
  --trace >seed_trace.txt 2>/dev/null
grep '^\[ ' "$SRC/README.md" >readme_trace.txt
[ -s readme_trace.txt ] && pass || fail "README has no trace example"
while IFS= read -r line; do
  grep -qxF -- "$line" seed_trace.txt && pass || fail "README trace line not in the real trace: $line"
done <readme_trace.txt

# The README tour, command by command (F=build/faultline replaced by the binary).
cd "$SRC"
grep -E '^\$F ' README.md | sed 's/ *#.*$//' >"$T/tour"
cd "$T"
cp -r "$SRC/sim" "$T/sim"
while IFS= read -r line; do
  [ -n "$line" ] || continue
  cmd=${line//\$F/\"$FL\"}
  # a tour line ending in a backslash continues on the next
  if eval "$cmd" >/dev/null 2>tour.err </dev/null; then pass; else
    rc=$?
    [ $rc = 1 ] && pass || fail "README tour: $line (exit $rc: $(head -c 300 tour.err))"
  fi
done <"$T/tour"
finish
