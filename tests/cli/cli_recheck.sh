#!/usr/bin/env bash
# recheck re-executes every failing run on the current build and says which are fixed,
# still failing the same way, or failing differently; each re-execution is a run with
# origin 'replay' and parent_run = the original; --sweep N narrows, --format json has the
# documented shape, exit 0 only when every failure is fixed.
source "$(dirname "$0")/lib/common.bash"

# the library before the fix: every `which` fails after 5 steps, check "limit"
cat >before.c <<'C'
int stepper_limit(int w) { (void)w; return 5; }
const char *stepper_check(int w) { (void)w; return "limit"; }
C
# after: which 1 is fixed, 2 still fails the same way (later), 3 fails differently
cat >after.c <<'C'
int stepper_limit(int w) { return w == 1 ? 1000000 : w == 2 ? 7 : 5; }
const char *stepper_check(int w) { return w == 3 ? "other" : "limit"; }
C
mkdir -p p/lib
cc -shared -fPIC -o p/lib/libstephelp.so before.c &&
  cc -std=c11 -Wall -Wextra -Werror -shared -fPIC -o p/libstepper.so "$SRC/tests/cli/lib/stepper.c" \
    -I"$SRC/core" $(pkg-config --cflags libcjson) -Lp/lib -lstephelp -Wl,-rpath,'$ORIGIN/lib' 2>cc.err &&
  pass || { fail "the test plugin does not build: $(head -c 400 cc.err)"; finish; }

pl=p/libstepper.so
for w in 1 2 3; do
  "$FL" sweep --protocol $pl --set params.which=$w --set run.until=1s --seeds 2 -j 1 --db r.db --quiet >/dev/null 2>&1
done
"$FL" run --protocol $pl --set params.which=3 --set run.until=1s --seed 9 --db r.db >/dev/null 2>&1
[ "$(sqlite3 r.db "SELECT count(*) FROM runs WHERE outcome = 'violation'")" = 7 ] && pass ||
  fail "7 failing runs to recheck: $(sqlite3 r.db "SELECT id, outcome FROM runs")"

# nothing changed: every failure still fails the same way
expect_exit 1 "recheck, nothing fixed" -- "$FL" recheck r.db -j 2
tail -1 out | grep -qx 'recheck: 7 failing runs re-executed: 0 fixed, 7 still failing the same way, 0 failing differently' &&
  pass || fail "summary before the fix: $(tail -1 out)"
[ "$(sqlite3 r.db "SELECT count(*) FROM runs WHERE origin = 'replay'")" = 7 ] && pass || fail "7 replay rows"
[ "$(sqlite3 r.db "SELECT count(*) FROM runs r JOIN runs o ON o.id = r.parent_run WHERE r.origin = 'replay' AND r.digest = o.digest AND r.seed = o.seed")" = 7 ] &&
  pass || fail "each re-execution is linked to its original, with its digest"

# the fix
cc -shared -fPIC -o p/lib/libstephelp.so after.c
expect_exit 1 "recheck after the fix" -- "$FL" recheck r.db -j 2
grep -qx 'recheck: run 1 (seed 1): fixed: ok (was violation: limit at step 5; run [0-9]*)' out && pass ||
  fail "run 1 fixed: $(grep 'run 1 ' out)"
grep -qx 'recheck: run 3 (seed 1): still failing: violation: limit at step 7 (was violation: limit at step 5; run [0-9]*)' out &&
  pass || fail "run 3 still failing: $(grep 'run 3 ' out)"
grep -qx 'recheck: run 5 (seed 1): failing differently: violation: other at step 5 (was violation: limit at step 5; run [0-9]*)' out &&
  pass || fail "run 5 failing differently: $(grep 'run 5 ' out)"
tail -1 out | grep -qx 'recheck: 7 failing runs re-executed: 2 fixed, 2 still failing the same way, 3 failing differently' &&
  pass || fail "summary after the fix: $(tail -1 out)"
[ "$(grep -c '^recheck: run ' out)" = 7 ] && pass || fail "one line per failing run"
# earlier re-executions are not rechecked; the new rows say what happened
[ "$(sqlite3 r.db "SELECT count(*) FROM runs WHERE origin = 'replay'")" = 14 ] && pass || fail "7 more replay rows"
[ "$(sqlite3 r.db "SELECT count(*) FROM runs WHERE origin = 'replay' AND outcome = 'ok'")" = 2 ] && pass ||
  fail "the fixed runs' rows are ok"
# the changed library is a new plugin identity: its re-executions belong to it
[ "$(sqlite3 r.db "SELECT count(DISTINCT scenario_id) FROM runs WHERE origin = 'replay'")" = 6 ] && pass ||
  fail "re-executions of a changed plugin go to its new scenario"

# --sweep N, --format json
expect_exit 0 "recheck --sweep 1" -- "$FL" recheck r.db --sweep 1 --format json
python3 - out <<'PY' && pass || fail "recheck --format json: $(head -c 400 out)"
import json, sys
j = json.load(open(sys.argv[1]))
assert list(j) == ["database", "sweep", "rechecked", "fixed", "same", "different", "interrupted", "runs"], list(j)
assert j["database"] == "r.db" and j["sweep"] == 1 and j["rechecked"] == 2 and j["fixed"] == 2, j
assert j["same"] == 0 and j["different"] == 0 and j["interrupted"] is False, j
for r in j["runs"]:
    assert list(r) == ["run", "seed", "verdict", "was", "now"], list(r)
    assert r["verdict"] == "fixed" and r["was"] == {"outcome": "violation", "check": "limit", "fail_step": 5}, r
    assert list(r["now"]) == ["outcome", "check", "fail_step", "run"], r["now"]
    assert r["now"]["outcome"] == "ok" and r["now"]["check"] is None and r["now"]["fail_step"] is None, r
assert [r["run"] for r in j["runs"]] == [1, 2], j["runs"]
PY
expect_exit 1 "recheck --sweep 2 -j 1" -- "$FL" recheck r.db --sweep 2 -j 1
tail -1 out | grep -q '2 failing runs re-executed: 0 fixed, 2 still failing' && pass || fail "--sweep 2: $(tail -1 out)"

# Ctrl-C: what is done is recorded and reported, exit 130
cc -shared -fPIC -o p/lib/libstephelp.so before.c
# max_steps far beyond what 1 s can run, so that the Ctrl-C always comes mid-run
"$FL" sweep --protocol $pl --set run.until=10000s --set run.max_steps=10000000000 --seeds 2 -j 1 \
  --db long.db --record none --quiet >/dev/null 2>&1
cat >never.c <<'C'
int stepper_limit(int w) { (void)w; return 2000000000; }
const char *stepper_check(int w) { (void)w; return "limit"; }
C
cc -shared -fPIC -o p/lib/libstephelp.so never.c # each run now goes on for 10000 s: long
"$FL" recheck long.db -j 1 >int.out 2>int.err &
pid=$!
sleep 1
kill -INT $pid
wait $pid
rc=$?
[ $rc = 130 ] && pass || fail "recheck interrupted: exit $rc, expected 130: $(cat int.err)"
tail -1 int.out | grep -q '^recheck: [0-9] failing runs\? re-executed (interrupted): ' && pass ||
  fail "the summary says it was interrupted: $(cat int.out)"
[ "$(grep -c '^recheck: run ' int.out)" = "$(sqlite3 long.db "SELECT count(*) FROM runs WHERE origin = 'replay'")" ] &&
  pass || fail "every re-execution reported is recorded, and only those"

# no failing runs
"$FL" run "$SRC/sim/scenarios/echo.json" --set run.until=100ms --db ok.db >/dev/null 2>&1
expect_exit 0 "recheck, nothing failing" -- "$FL" recheck ok.db
grep -qx 'recheck: 0 failing runs re-executed: 0 fixed, 0 still failing the same way, 0 failing differently' out &&
  pass || fail "nothing to recheck: $(cat out)"

# bad input: one line, exit 2, nothing written
before=$(md5sum <r.db)
expect_exit 2 "missing db" -- "$FL" recheck nosuch.db && expect_error_line 'nosuch.db: No such file' "missing db"
[ -e nosuch.db ] && fail "recheck created the missing database" || pass
expect_exit 2 "no such sweep" -- "$FL" recheck r.db --sweep 9 && expect_error_line '--sweep 9: no such sweep' "--sweep 9"
expect_exit 2 "bad sweep" -- "$FL" recheck r.db --sweep x && expect_error_line 'expected a sweep id' "--sweep x"
expect_exit 2 "bad -j" -- "$FL" recheck r.db -j 0 && expect_error_line '-j: expected 1..1024' "-j 0"
expect_exit 2 "bad format" -- "$FL" recheck r.db --format xml && expect_error_line 'expected text or json' "--format xml"
expect_exit 2 "no db" -- "$FL" recheck && expect_error_line 'expected DB' "no DB"
expect_exit 2 "two dbs" -- "$FL" recheck r.db r.db && expect_error_line 'unexpected argument' "two DBs"
expect_exit 2 "unknown option" -- "$FL" recheck r.db --what && expect_error_line 'unknown option' "--what"
echo nonsense >foreign.db
expect_exit 2 "foreign file" -- "$FL" recheck foreign.db && expect_error_line 'foreign.db' "foreign file"
[ "$(cat foreign.db)" = nonsense ] && pass || fail "a foreign file is left alone"
mv p q
expect_exit 2 "plugin gone" -- "$FL" recheck r.db && expect_error_line 'libstepper.so' "plugin gone"
[ "$(md5sum <r.db)" = "$before" ] && pass || fail "a refused recheck changed the database"
finish
