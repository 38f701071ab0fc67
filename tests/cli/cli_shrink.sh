#!/usr/bin/env bash
# cli_shrink.sh -- `faultline shrink` (docs/shrink.md): raft-crash seed 52 with
# accept_stale_term shrunk to a schedule that still fails `durability`; the result is
# 1-minimal (this test removes each remaining episode, message fault and op itself and
# runs the candidate: none fails that check any more); the minimal run is recorded
# (origin shrink, parent_run the original) with its shrinks row and replays exactly;
# a shrink is deterministic (a capped shrink at -j1 and at -j2 gives the same file and
# digest); bad input is one line on stderr, exit 2, and the database untouched.
source "$(dirname "$0")/lib/common.bash"

SC="$SRC/sim/scenarios/raft-crash.json"
BUG='params.bugs=["accept_stale_term"]'
"$FL" run "$SC" --seed 52 --set "$BUG" --db a.db >/dev/null 2>&1
"$FL" run "$SC" --seed 1 --db a.db >/dev/null 2>&1 # run 2: passes
[ "$(sqlite3 a.db "SELECT outcome || ' ' || check_name FROM runs WHERE id = 1")" = "violation durability" ] &&
  pass || fail "run 1 fails durability"

# ---- the shrink ----
expect_exit 0 "shrink run 1" -- "$FL" shrink a.db 1 -j 2 --out min.json && cp out shrink.out
grep -q '^shrink: after: violation: durability at step ' shrink.out && pass ||
  fail "the minimal run fails the same check: $(head -5 shrink.out)"
grep -q '1-minimal: yes' shrink.out && pass || fail "the search ended 1-minimal: $(grep candidates shrink.out)"
before=$(sqlite3 a.db "SELECT decisions_before FROM shrinks")
after=$(sqlite3 a.db "SELECT decisions_after FROM shrinks")
[ "$after" -le $((before / 10 > 5 ? before / 10 : 5)) ] && pass ||
  fail "decisions $before -> $after: more than max(10%, 5)"
[ "$(sqlite3 a.db "SELECT origin || ' ' || parent_run || ' ' || recorded FROM runs WHERE id = 3")" = "shrink 1 all" ] &&
  pass || fail "the minimal run is run 3, origin shrink, parent 1, recorded in full"
[ "$(sqlite3 a.db "SELECT original_run || ' ' || shrunk_run || ' ' || check_name || ' ' || minimal FROM shrinks")" = "1 3 durability 1" ] &&
  pass || fail "the shrinks row: $(sqlite3 a.db "SELECT * FROM shrinks")"
[ "$(sqlite3 a.db "SELECT schedule_json FROM runs WHERE id = 3")" = "$(cat min.json)" ] && pass ||
  fail "the recorded run followed the schedule in min.json"
expect_exit 0 "replay the minimal run" -- "$FL" replay a.db 3 --quiet
digest=$(sed -n 's/.*), digest \([0-9a-f]*\)$/\1/p' shrink.out)
"$FL" run "$SC" --seed 52 --set "$BUG" --schedule min.json >run.out 2>/dev/null
grep -q "digest:   $digest" run.out && pass || fail "run --schedule min.json gives the shrunk digest $digest"

# a shrunk schedule names its ops: --write-schedule keeps them, and a shrink of the
# shrunk run starts from them
"$FL" run "$SC" --seed 52 --set "$BUG" --schedule min.json --write-schedule again.json >/dev/null 2>&1
cmp -s min.json again.json && pass || fail "run --write-schedule of min.json is min.json: $(head -c 300 again.json)"
cp a.db re.db
expect_exit 0 "shrink the shrunk run" -- "$FL" shrink re.db 3 -j 2 --out re.json --as-script min-script.json
cmp -s min.json re.json && pass || fail "shrinking a 1-minimal run gives it back: $(head -c 300 re.json)"

# --as-script: the shrunk run as a scenario with a script (docs/script.md) that fails the
# same check with no seed and no timing
grep -q '^shrink: run [0-9]* as a script of [0-9]* entries ([0-9]* expects) in min-script.json$' out &&
  pass || fail "shrink says where the script went: $(tail -3 out)"
"$FL" run min-script.json >script.out 2>&1
grep -q '^outcome: *violation (durability' script.out && pass ||
  fail "the --as-script scenario fails durability: $(grep -m3 'outcome\|divergence' script.out)"

# ---- 1-minimal, checked here: every single removal stops failing durability ----
python3 - min.json >cands.txt <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
ents = s["entries"]
timed = [i for i, e in enumerate(ents) if "at_ns" in e]
claimed, episodes = set(), []
for i in timed:  # the episodes shrink removes whole (docs/shrink.md)
    if i in claimed:
        continue
    e, end = ents[i], None
    for j in timed:
        if j <= i or j in claimed:
            continue
        g = ents[j]
        if e["kind"] == "crash" and g["kind"] == "restart" and g["node"] == e["node"]:
            end = j; break
        if e["kind"] == "partition" and g["kind"] in ("heal", "partition"):
            end = j if g["kind"] == "heal" else None; break
        if e["kind"] == "clock" and e["ppm"] != 0 and g["kind"] == "clock" and g["node"] == e["node"]:
            end = j if g["ppm"] == 0 else None; break
    if end is not None:
        claimed.add(end)
    episodes.append({i} | ({end} if end is not None else set()))
episodes += [{i} for i, e in enumerate(ents) if "at_ns" not in e]
n = 0
for ep in episodes:
    c = dict(s); c["entries"] = [e for i, e in enumerate(ents) if i not in ep]
    n += 1; json.dump(c, open("cand%d.json" % n, "w")); print("cand%d.json" % n)
for op in s.get("ops", []):
    c = dict(s); c["ops"] = [o for o in s["ops"] if o != op]
    n += 1; json.dump(c, open("cand%d.json" % n, "w")); print("cand%d.json" % n)
PY
ncands=$(wc -l <cands.txt)
[ "$ncands" -gt 0 ] && pass || fail "no element remains to remove"
still=0
while read -r c; do
  "$FL" run "$SC" --seed 52 --set "$BUG" --schedule "$c" >c.out 2>/dev/null
  grep -q '^outcome: *violation (durability' c.out && still=$((still + 1)) && echo "still fails: $c" >&2
done <cands.txt
[ "$still" = 0 ] && pass || fail "$still of $ncands single removals still fail durability: not 1-minimal"

# ---- determinism: a capped shrink at -j1 and -j2 ----
cp a.db b.db
expect_exit 0 "capped shrink -j1" -- "$FL" shrink a.db 1 -j 1 --max-candidates 120 --out j1.json && cp out j1.out
expect_exit 0 "capped shrink -j2" -- "$FL" shrink b.db 1 -j 2 --max-candidates 120 --out j2.json && cp out j2.out
cmp -s j1.json j2.json && pass || fail "-j1 and -j2 give different schedules"
[ -n "$(grep digest j1.out)" ] && [ "$(grep 'digest' j1.out)" = "$(grep 'digest' j2.out | sed 's/run 5/run 4/')" ] &&
  pass || fail "-j1 and -j2 give different digests: $(grep digest j1.out) / $(grep digest j2.out)"
grep -q '120 candidates.*1-minimal: no (the budget ran out)' j1.out && pass ||
  fail "a capped shrink says it is not proven 1-minimal: $(grep candidates j1.out)"

# ---- bad input: one line, exit 2, nothing written ----
bad() { # bad DESCRIPTION PATTERN ARGS...
  local what=$1 pat=$2
  shift 2
  local sum
  sum=$(md5sum a.db | cut -d' ' -f1)
  expect_exit 2 "$what" -- "$FL" shrink "$@" || return
  [ "$(wc -l <"$T/err")" = 1 ] && grep -q -- "$pat" "$T/err" && pass ||
    fail "$what: expected one line matching '$pat', got: $(cat "$T/err")"
  [ "$(md5sum a.db | cut -d' ' -f1)" = "$sum" ] && pass || fail "$what: the database changed"
}
bad "a run that passed" "run 2 passed (outcome ok): there is no failure to shrink" a.db 2
bad "a run not in the database" "99" a.db 99
bad "a run id that is not a number" "abc" a.db abc
printf 'not a database\n' >notdb.db
bad "a file that is not a database" "notdb.db" notdb.db 1
sqlite3 other.db "CREATE TABLE t(x); INSERT INTO t VALUES (1);"
bad "a database that is not faultline's" "other.db" other.db 1
bad "no such file" "nosuch.db" nosuch.db 1
[ ! -e nosuch.db ] && pass || fail "shrink created nosuch.db"
bad "a budget that is not a duration" "--budget: expected a duration such as 60s, got 'soon'" a.db 1 --budget soon
bad "a budget of zero" "--budget" a.db 1 --budget 0s
bad "an unknown flag" "unknown option" a.db 1 --bogus
bad "-j 0" "-j: expected 1..1024 workers" a.db 1 -j 0
bad "--max-candidates 0" "--max-candidates: expected a count" a.db 1 --max-candidates 0
bad "both keep rules" "exclude each other" a.db 1 --same-check --any-violation
bad "no RUN" "expected DB and RUN" a.db
bad "an extra argument" "unexpected argument" a.db 1 2
bad "an empty --as-script" "--as-script: expected a file name" a.db 1 --as-script ""

finish
