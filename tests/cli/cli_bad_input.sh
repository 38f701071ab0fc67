#!/usr/bin/env bash
# Every bad input a user can give to `run`, `scenario` and `query` is exit code 2 with one
# clear line on stderr, never a crash and never a database written by a failed command.
source "$(dirname "$0")/lib/common.bash"

echo '{"protocol": "echo", "nodes": ' >malformed.json
echo '{"protocol": "echo", "nodes": "three"}' >wrongtype.json
echo '{"protocol": "echo", "network": {"drop": 1.5}}' >range.json
echo '{"protocol": "echo", "colour": "blue"}' >unknown.json
echo '{"protocol": "echo"} trailing' >trailing.json
echo '{"protocol": "nosuch"}' >noproto.json
echo '{"protocol": "echo", "params": {"period": "fast"}}' >badparams.json
echo '{"protocol": "echo", "run": {"until": "1s"}}' >good.json
mkdir adir.json

check() { # check PATTERN WHAT -- CMD...
  local pattern=$1 what=$2
  shift 2
  expect_exit 2 "$what" "$@" && expect_error_line "$pattern" "$what"
}

for cmd in run scenario; do
  check 'malformed.json.*(line|column|JSON)' "$cmd malformed JSON" -- "$FL" $cmd malformed.json
  check 'nodes: expected' "$cmd wrong type" -- "$FL" $cmd wrongtype.json
  check 'network.drop: expected a probability' "$cmd out of range" -- "$FL" $cmd range.json
  check 'colour: unknown key' "$cmd unknown key" -- "$FL" $cmd unknown.json
  check 'trailing' "$cmd trailing garbage" -- "$FL" $cmd trailing.json
  check 'missing.json: No such file' "$cmd missing file" -- "$FL" $cmd missing.json
  check 'adir.json' "$cmd unreadable file" -- "$FL" $cmd adir.json
  check 'unknown protocol "nosuch"' "$cmd unknown protocol" -- "$FL" $cmd noproto.json
  check 'params.period' "$cmd bad params" -- "$FL" $cmd badparams.json
  check '--set: expected PATH=VALUE' "$cmd bad --set" -- "$FL" $cmd good.json --set nodes
  check 'nodes: expected an integer' "$cmd --set out of range" -- "$FL" $cmd good.json --set nodes=0
done

check "--seed: expected an integer in \[0, 2\^63-1 = 9223372036854775807\], got 'x'" "bad seed" -- "$FL" run good.json --seed x
check "--seed: expected an integer in \[0, 2\^63-1 = 9223372036854775807\], got '-1'" "negative seed" -- "$FL" run good.json --seed -1
check "--seed: expected an integer in" "seed overflow" -- "$FL" run good.json --seed 99999999999999999999999
check "--record: expected all or none" "bad --record" -- "$FL" run good.json --record some
check "unexpected argument 'extra'" "extra argument" -- "$FL" run good.json extra

# A schedule or script file (--schedule) is JSON with nothing but whitespace after it.
echo '{"protocol": "echo", "network": {"mode": "scripted"}}' >scripted.json
echo '[{"timeout": 1}] trailing' >trailing-script.json
echo '[] trailing' >trailing-schedule.json
check 'script: unexpected text after the JSON' "script trailing garbage" -- \
  "$FL" run scripted.json --schedule trailing-script.json
check 'schedule: unexpected text after the JSON' "schedule trailing garbage" -- \
  "$FL" run good.json --schedule trailing-schedule.json

# No database is created by a command that fails before running.
check 'colour: unknown key' "bad scenario with --db" -- "$FL" run unknown.json --db new.db
[ ! -e new.db ] && pass || fail "a failed run left new.db behind"

# A file that is not a faultline database is refused and left as it was.
printf 'hello, not a database\n' >notours.db
cp notours.db notours.orig
check 'notours.db: not a faultline database' "db not ours" -- "$FL" run good.json --db notours.db
cmp -s notours.db notours.orig && pass || fail "notours.db was modified"
check 'notours.db: not a faultline database' "query db not ours" -- "$FL" query notours.db
cmp -s notours.db notours.orig && pass || fail "query modified notours.db"
for cmd in "sweep good.json --seeds 1..3 --db" "replay" "show"; do
  # shellcheck disable=SC2086
  set -- $cmd
  first=$1
  shift
  if [ "$first" = sweep ]; then args=("$@" notours.db); else args=(notours.db 1); fi
  check 'notours.db: not a faultline database' "$first on a db not ours" -- "$FL" "$first" "${args[@]}"
  cmp -s notours.db notours.orig && pass || fail "$first modified notours.db"
done
[ ! -e notours.db-wal ] && pass || fail "a -wal file appeared next to notours.db"

# A real SQLite database of someone else.
if command -v sqlite3 >/dev/null; then
  sqlite3 other.db 'CREATE TABLE t(x)'
  cp other.db other.orig
  check 'other.db: not a faultline database' "foreign sqlite db" -- "$FL" run good.json --db other.db
  cmp -s other.db other.orig && pass || fail "other.db was modified"
fi

check 'missing.db' "query missing db" -- "$FL" query missing.db
"$FL" run good.json --db ok.db >/dev/null 2>&1 || fail "recording into ok.db"
check 'read-only' "query refuses writes" -- "$FL" query ok.db "DELETE FROM runs"
[ "$("$FL" query ok.db 'SELECT count(*) AS n FROM runs' --format csv | tail -1)" = 1 ] && pass ||
  fail "runs row survived the refused DELETE"
check 'query' "query bad SQL" -- "$FL" query ok.db "SELEC nonsense"
check '--format: expected table, csv or json' "query bad format" -- "$FL" query ok.db --format xml

# Plugins: a missing file, and a shared object without the symbol.
check '--protocol' "missing plugin" -- "$FL" run good.json --protocol ./nosuch.so
if [ -e "$BUILD/plugins/libnosymbol.so" ]; then
  check 'no symbol faultline_protocol' "plugin without symbol" -- \
    "$FL" run good.json --protocol "$BUILD/plugins/libnosymbol.so"
else
  fail "test plugin libnosymbol.so was not built"
fi
finish
