#!/usr/bin/env bash
# cli_db_errors.sh -- a database the user gives that cannot be used as it is (a
# directory, a path in a missing directory, read-only, locked by another process,
# truncated, malformed, not SQLite, not ours) is exit 2 with one line naming the file
# and what to do, for the writers (run --db, sweep) and the readers (query, show,
# replay); the file is left as it was and no -wal/-shm file blocks the next attempt.
# Readers only read: they work on a read-only file in a read-only directory (checked
# as another user, since tests run as root), and on a file another process holds with
# BEGIN EXCLUSIVE; writers switch the file back to journal_mode=DELETE when they close.
source "$(dirname "$0")/lib/common.bash"

echo '{"protocol": "echo", "nodes": 3, "run": {"until": "300ms"}}' >good.json
"$FL" run good.json --db ok.db >/dev/null 2>&1 || fail "recording into ok.db"

check() { # check PATTERN WHAT -- CMD...
  local pattern=$1 what=$2
  shift 2
  expect_exit 2 "$what" "$@" && expect_error_line "$pattern" "$what"
}
# Each writer and reader on DB must be exit 2 with one line matching PATTERN.
check_all() { # check_all PATTERN WHAT DB
  local pattern=$1 what=$2 db=$3
  check "$pattern" "run --db $what" -- "$FL" run good.json --db "$db"
  check "$pattern" "sweep $what" -- "$FL" sweep good.json --seeds 2 --db "$db" --quiet
  check "$pattern" "query --report $what" -- "$FL" query "$db" --report
  check "$pattern" "show $what" -- "$FL" show "$db" 1
  check "$pattern" "replay $what" -- "$FL" replay "$db" 1
}
no_sidecars() { # no_sidecars DB WHAT
  if [ -e "$1-wal" ] || [ -e "$1-shm" ] || [ -e "$1-journal" ]; then
    fail "$2: left $(ls "$1"-* | tr '\n' ' ')"
  else
    pass
  fi
}

# ---- paths that are not database files ----
mkdir adir
sqlite3 other.db 'CREATE TABLE t(x); INSERT INTO t VALUES (1)'
check_all '^faultline: (\w+: )?adir: is a directory \(give the path of a database file\)$' \
  "on a directory" adir
check '/no/such/dir/x.db: directory /no/such/dir: No such file or directory \(create it' \
  "run --db in a missing directory" -- "$FL" run good.json --db /no/such/dir/x.db
check '/no/such/dir/x.db: directory /no/such/dir: No such file' \
  "sweep in a missing directory" -- "$FL" sweep good.json --seeds 2 --db /no/such/dir/x.db
check 'missing.db: No such file or directory' "query a missing file" -- "$FL" query missing.db
[ ! -e missing.db ] && pass || fail "query created missing.db"

# ---- docs/cli.md's examples: command, stderr, exit code ----
ln -s "$SRC/sim" sim
awk '$0 == "```console" { on = 1; next } on && $0 == "```" { on = 0 } on' "$SRC/docs/cli.md" \
  >examples
[ "$(grep -c '^\$ faultline ' examples)" -ge 3 ] && pass || fail "docs/cli.md has no examples"
while IFS= read -r cmd && IFS= read -r want_err && IFS= read -r want_exit; do
  read -ra words <<<"${cmd#\$ faultline }"
  "$FL" "${words[@]}" >/dev/null 2>"$T/err"
  got="[exit $?]"
  [ "$got" = "$want_exit" ] && [ "$(cat "$T/err")" = "$want_err" ] && pass ||
    fail "docs/cli.md: '$cmd' gave $got and '$(cat "$T/err")'"
done <examples

# ---- damaged or foreign files: refused, unchanged ----
cp ok.db trunc.db
truncate -s 8192 trunc.db
head -c 8192 ok.db >garbled.db
head -c 4096 /dev/zero | tr '\0' '\245' >>garbled.db # page 3 on is garbage
tail -c +12289 ok.db >>garbled.db
echo "just some text, long enough to be read as a header........................" >text.db
for f in trunc garbled text other; do cp $f.db $f.orig; done
check_all "trunc.db: .*(malformed|damaged|truncated).*record into a new file" "truncated" trunc.db
check_all "garbled.db: .*(malformed|damaged).*sqlite3 garbled.db .recover" "malformed" garbled.db
check_all 'text.db: not a faultline database \(give a file' "not SQLite" text.db
check_all 'other.db: not a faultline database \(give a file' "SQLite, not ours" other.db
for f in trunc garbled text other; do
  cmp -s $f.db $f.orig && pass || fail "$f.db was changed"
  no_sidecars $f.db "$f.db"
done

# ---- writers close in journal_mode=DELETE: nothing beside the file ----
[ "$(sqlite3 ok.db 'PRAGMA journal_mode')" = delete ] && pass ||
  fail "ok.db is not back in journal_mode=DELETE after run --db"
no_sidecars ok.db "run --db"
"$FL" sweep good.json --seeds 1..3 --db sw.db --quiet >/dev/null 2>&1 || fail "sweep into sw.db"
[ "$(sqlite3 sw.db 'PRAGMA journal_mode')" = delete ] && pass ||
  fail "sw.db is not back in journal_mode=DELETE after sweep"
no_sidecars sw.db "sweep"

# readers open a URI (mode=ro): a name with URI characters is still just a file name
cp ok.db 'we ird%3F?#.db'
[ "$("$FL" query 'we ird%3F?#.db' 'SELECT count(*) AS n FROM runs' --format csv | tail -1)" = 1 ] &&
  pass || fail "query of a file named 'we ird%3F?#.db'"

# ---- locked by another process (BEGIN EXCLUSIVE), in both journal modes ----
cp ok.db wal.db
[ "$(sqlite3 wal.db 'PRAGMA journal_mode = WAL')" = wal ] || fail "wal.db into WAL mode"
for db in ok.db wal.db; do
  rm -f ready
  (echo "BEGIN EXCLUSIVE; SELECT 'held';" && while [ ! -e done.$db ]; do sleep 0.2; done) |
    sqlite3 "$db" >ready &
  holder=$!
  for _ in $(seq 50); do [ -s ready ] && break; sleep 0.1; done
  [ -s ready ] || fail "sqlite3 did not take the lock on $db"
  check "$db: database is locked \(another process holds it locked: wait until it is done" \
    "run --db on $db held with BEGIN EXCLUSIVE" -- "$FL" run good.json --db "$db"
  [ $db = ok.db ] && check "$db: database is locked \(another process holds it locked" \
    "sweep on $db held with BEGIN EXCLUSIVE" -- "$FL" sweep good.json --seeds 2 --db "$db"
  # readers are not blocked: a rollback-journal file is read as immutable, a WAL
  # file's readers never wait for its writer
  expect_exit 0 "query on $db held with BEGIN EXCLUSIVE" -- "$FL" query "$db" \
    "SELECT count(*) FROM runs"
  touch done.$db
  wait $holder
done
"$FL" run good.json --db ok.db >/dev/null 2>"$T/err" && pass ||
  fail "run --db after the lock was released: $(cat "$T/err")"

# ---- as another user: read-only files and directories ----
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
if ! "${NOBODY[@]}" true 2>/dev/null || [ "$(id -u)" != 0 ]; then
  echo "SKIP: read-only cases need root to switch to uid 65534 with setpriv (uid $(id -u))"
  finish
fi
chmod 755 "$T" # nobody must reach the files; the parent is mktemp's 700
as_nobody() { "${NOBODY[@]}" "$@"; }
check_nobody() { # check_nobody PATTERN WHAT -- CMD...
  local pattern=$1 what=$2
  shift 3
  expect_exit 2 "$what" -- as_nobody "$@" && expect_error_line "$pattern" "$what"
}
mkdir rodir rwdir
cp ok.db rodir/del.db
cp wal.db rodir/wal.db # in WAL mode, without a -wal file
cp ok.db rwdir/ro.db
chmod 444 rodir/*.db rwdir/ro.db
chmod 555 rodir
chmod 777 rwdir
for db in rodir/del.db rodir/wal.db; do
  expect_exit 0 "query $db (read-only file and directory)" -- as_nobody "$FL" query "$db" \
    "SELECT count(*) FROM runs"
  expect_exit 0 "query --report $db" -- as_nobody "$FL" query "$db" --report
  expect_exit 0 "show $db" -- as_nobody "$FL" show "$db" 1 --step 3
  expect_exit 0 "replay $db" -- as_nobody "$FL" replay "$db" 1 --quiet
  check_nobody "$db: cannot write: Permission denied \(make it writable, or use another" \
    "run --db on read-only $db" -- "$FL" run good.json --db "$db"
  no_sidecars "$db" "readers of $db"
done
check_nobody "rodir/new.db: cannot write in directory rodir: Permission denied" \
  "run --db into a read-only directory" -- "$FL" run good.json --db rodir/new.db
check_nobody "rwdir/ro.db: cannot write: Permission denied" \
  "sweep into a read-only file" -- "$FL" sweep good.json --seeds 2 --db rwdir/ro.db --quiet
no_sidecars rwdir/ro.db "a failed write attempt"
chmod 666 rwdir/ro.db # the user fixes the mode: the next attempt works
expect_exit 0 "run --db once the file is writable" -- as_nobody "$FL" run good.json \
  --db rwdir/ro.db
no_sidecars rwdir/ro.db "run --db as nobody"

# A -wal file (a writer active or killed) in a directory the reader cannot write: it
# cannot read (SQLite needs the -shm file), and says so.
cp ok.db rwdir/w.db
sqlite3 rwdir/w.db 'PRAGMA journal_mode = WAL' >/dev/null
(echo "BEGIN; SELECT count(*) FROM runs;" && while [ ! -e done.w ]; do sleep 0.2; done) |
  sqlite3 rwdir/w.db >/dev/null &
holder=$!
for _ in $(seq 50); do [ -e rwdir/w.db-wal ] && [ -e rwdir/w.db-shm ] && break; sleep 0.1; done
chmod 755 rwdir
chmod 600 rwdir/w.db-shm
check_nobody "rwdir/w.db: cannot read while rwdir/w.db-wal exists" \
  "query with a -wal file in a read-only directory" -- "$FL" query rwdir/w.db \
  "SELECT count(*) FROM runs"
touch done.w
wait $holder
chmod 777 rwdir
finish
