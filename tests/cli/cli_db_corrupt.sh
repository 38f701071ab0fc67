#!/usr/bin/env bash
# cli_db_corrupt.sh -- corruption is never silent.  A page of `runs` and a page of
# `snapshots` of a recorded sweep are overwritten with garbage (the page found from
# dbstat); then the sweep's resume, `run --db`, `query --report`, `show`, `replay` and
# `merge` (an input) each exit 2 with one line naming the file and what to do, and the
# file is unchanged.  (Before, a damaged `runs` page made a resume print "already done
# ... outcomes: none" and exit 0, and a damaged `snapshots` page went unnoticed.)
source "$(dirname "$0")/lib/common.bash"
command -v sqlite3 >/dev/null || { echo "SKIP: cli_db_corrupt needs the sqlite3 CLI"; finish; }

SC="$SRC/sim/scenarios/raft-chaos.json"
# (no "ring": on 3 nodes it is never drawn, and `run` would warn about it on stderr)
SETS=(--set run.until=2s --set 'faults.window=["200ms","1500ms"]' --set run.liveness=500ms
  --set 'faults.partition.kinds=["isolate","halves","oneway","bridge"]')
SWEEP=(sweep "$SC" --seeds 1..30 -j 2 --record all --quiet "${SETS[@]}")
"$FL" "${SWEEP[@]}" --db s.db >/dev/null 2>"$T/err" || fail "the sweep: $(cat "$T/err")"
[ "$(sqlite3 s.db 'PRAGMA integrity_check')" = ok ] && pass || fail "s.db is not sound"
PS=$(sqlite3 s.db 'PRAGMA page_size')

check() { # check WHAT DB -- CMD...
  local what=$1 db=$2
  shift 3
  expect_exit 2 "$what" -- "$@" &&
    expect_error_line "$db: damaged database \(quick_check: .*\) \(the file is damaged: keep it aside and record into a new file; \`sqlite3 $db .recover\` may save the rest\)$" "$what"
}

for table in runs snapshots; do
  # the second leaf page of the table (the first may be shared with little else)
  page=$(sqlite3 s.db "SELECT pageno FROM dbstat WHERE name = '$table' AND pagetype = 'leaf'
                       ORDER BY pageno LIMIT 1 OFFSET 1")
  [ -n "$page" ] && pass || { fail "no leaf page of $table in s.db"; continue; }
  db=bad_$table.db
  cp s.db $db
  head -c "$PS" /dev/zero | tr '\0' '\245' |
    dd of=$db bs="$PS" seek=$((page - 1)) conv=notrunc status=none
  cp $db $db.orig
  check "sweep resume, damaged $table page $page" $db -- "$FL" "${SWEEP[@]}" --db $db
  check "run --db, damaged $table" $db -- "$FL" run "$SC" "${SETS[@]}" --db $db
  check "query --report, damaged $table" $db -- "$FL" query $db --report
  check "show, damaged $table" $db -- "$FL" show $db 1
  check "replay, damaged $table" $db -- "$FL" replay $db 1 --quiet
  check "merge from a damaged $table" $db -- "$FL" merge merged_$table.db $db
  cmp -s $db $db.orig && pass || fail "$db was changed by a command that refused it"
  [ ! -e $db-wal ] && [ ! -e $db-journal ] && pass || fail "$db: a -wal or -journal appeared"
done

# A plain query reads only what it asks for: a damaged page it reads is exit 2 too.
expect_exit 2 "query reading a damaged snapshots page" -- "$FL" query bad_snapshots.db \
  "SELECT count(*), sum(length(state)) FROM snapshots" &&
  expect_error_line "bad_snapshots.db: database disk image is malformed \(the file is damaged" \
    "query reading a damaged snapshots page"
# The undamaged original still resumes as a no-op.
expect_exit 0 "resume of the sound file" -- "$FL" "${SWEEP[@]}" --db s.db
finish
