#!/usr/bin/env bash
# `faultline merge OUT IN...`: the shards of a sweep merged equal the unsharded sweep (same
# seeds, same digests), recorded runs come with all their rows under new ids, duplicates
# are refused (naming the seed) or skipped when asked, and whatever is refused -- a
# duplicate, an input that is not a faultline database -- leaves OUT exactly as it was.
source "$(dirname "$0")/lib/common.bash"

q() { "$FL" query "$@" --format csv | tail -n +2; }
ECHO="$SRC/sim/scenarios/echo.json"
S=(--set run.until=1s --seeds 1..30 -j 2 --quiet)
# The state of a database as merge could change it: every table's rows, in order.
dump() {
  for t in scenarios sweeps runs events messages snapshots faults logs metrics; do
    echo "== $t"
    q "$1" "SELECT * FROM $t ORDER BY 1, 2"
  done
}

# ---- shards 1/2 + 2/2 merged = the unsharded sweep
expect_exit 0 "unsharded" -- "$FL" sweep "$ECHO" "${S[@]}" --db all.db
expect_exit 0 "shard 1/2" -- "$FL" sweep "$ECHO" "${S[@]}" --db s1.db --shard 1/2
expect_exit 0 "shard 2/2" -- "$FL" sweep "$ECHO" "${S[@]}" --db s2.db --shard 2/2
[ "$(q s1.db 'SELECT count(*) FROM runs')/$(q s2.db 'SELECT count(*) FROM runs')" = 15/15 ] &&
  pass || fail "each shard has half the seeds"
expect_exit 0 "merge the shards" -- "$FL" merge m.db s1.db s2.db
grep -q '^merged 2 databases into m.db: 30 runs, 2 new sweeps, 1 new scenario' out && pass ||
  fail "merge summary: $(cat out)"
q all.db 'SELECT seed, digest FROM runs ORDER BY seed' >want
q m.db 'SELECT seed, digest FROM runs ORDER BY seed' >got
[ "$(wc -l <want)" = 30 ] && cmp -s want got && pass ||
  fail "merged shards = unsharded sweep: $(diff want got | head -5)"
[ "$(q m.db 'SELECT count(*) || "/" || count(DISTINCT id) || "/" || min(id) || "/" || max(id) FROM runs')" = 30/30/1/30 ] &&
  pass || fail "run ids renumbered 1..30"
[ "$(q m.db 'SELECT group_concat(shard, " ") FROM (SELECT shard FROM sweeps ORDER BY id)')" = "1/2 2/2" ] &&
  pass || fail "both sweeps copied"
[ "$(q m.db 'SELECT count(*) FROM runs r JOIN sweeps w ON w.id = r.sweep_id AND (r.seed - 1) % 2 = CAST(substr(w.shard, 1, 1) AS INTEGER) - 1')" = 30 ] &&
  pass || fail "every run points at its shard's sweep"
[ "$(q m.db 'SELECT count(*) FROM scenarios')" = 1 ] && pass || fail "one scenario (deduplicated by hash)"
[ "$(q m.db 'PRAGMA integrity_check')" = ok ] && pass || fail "integrity_check after merge"

# ---- duplicates: refused with the seed named, OUT unchanged; skipped on request
dump m.db >before
expect_exit 2 "duplicate refused" -- "$FL" merge m.db s1.db &&
  expect_error_line '^faultline: merge: s1\.db: seed 1 of scenario .* is already in m\.db \(15 duplicate runs in all\).*--skip-duplicates' \
    "duplicate message"
dump m.db >after
cmp -s before after && pass || fail "a refused merge leaves OUT unchanged"
expect_exit 0 "skip duplicates" -- "$FL" merge m.db s1.db s2.db --skip-duplicates
grep -q '^merged 2 databases into m.db: 0 runs, 0 new sweeps, 0 new scenarios' out && pass ||
  fail "nothing new: $(head -1 out)"
grep -q '^skipped 30 duplicate runs' out && pass || fail "says how many were skipped: $(cat out)"
[ "$(q m.db 'SELECT count(*) FROM runs')/$(q m.db 'SELECT count(*) FROM sweeps')" = 30/2 ] && pass ||
  fail "still 30 runs and 2 sweeps"
# the same input twice in one merge: the second copy is the duplicate
expect_exit 2 "duplicate across inputs" -- "$FL" merge d.db s1.db s1.db &&
  expect_error_line 'seed 1 of scenario .* is also in s1\.db' "duplicate across inputs message"
[ ! -e d.db ] && pass || fail "a refused merge into a new OUT leaves no file"
# OUT with part of the seeds: --skip-duplicates adds exactly the rest
expect_exit 0 "partial" -- "$FL" merge p.db s1.db --quiet
expect_exit 0 "rest" -- "$FL" merge p.db all.db --skip-duplicates
grep -q '^merged 1 database into p.db: 15 runs, 1 new sweep, 0 new scenarios' out &&
  grep -q '^skipped 15 duplicate runs' out && pass || fail "the other 15 added: $(cat out)"
q p.db 'SELECT seed, digest FROM runs ORDER BY seed' >got
cmp -s want got && pass || fail "partial + rest = all seeds once"

# ---- recorded runs travel with every row
BUG='params.bugs=["pong_without_ping"]'
expect_exit 1 "bug shard 1/2" -- "$FL" sweep "$ECHO" --set run.until=1s --set "$BUG" --seeds 1..6 \
  -j 2 --db b1.db --shard 1/2 --quiet
expect_exit 1 "bug shard 2/2" -- "$FL" sweep "$ECHO" --set run.until=1s --set "$BUG" --seeds 1..6 \
  -j 2 --db b2.db --shard 2/2 --quiet
rows() { q "$1" "SELECT (SELECT count(*) FROM events) || ' ' || (SELECT count(*) FROM messages) || ' ' || (SELECT count(*) FROM snapshots) || ' ' || (SELECT count(*) FROM metrics) || ' ' || (SELECT count(*) FROM faults) || ' ' || (SELECT count(*) FROM logs)"; }
# m.db already holds the shards' runs (and their metrics): count what the merge adds
read -r -a r0 <<<"$(rows m.db)"
expect_exit 0 "merge recorded runs after others" -- "$FL" merge m.db b1.db b2.db --quiet
read -r -a r1 <<<"$(rows b1.db)"
read -r -a r2 <<<"$(rows b2.db)"
read -r -a rm <<<"$(rows m.db)"
ok=1
for i in 0 1 2 3 4 5; do [ $((r0[i] + r1[i] + r2[i])) = "${rm[i]}" ] || ok=0; done
[ $ok = 1 ] && [ "${rm[0]}" -gt 0 ] && pass || fail "all rows copied: ${r0[*]} + ${r1[*]} + ${r2[*]} -> ${rm[*]}"
[ "$(q m.db "SELECT count(*) FROM runs r WHERE r.id > 30 AND r.steps = (SELECT count(*) FROM events e WHERE e.run_id = r.id)")" = 6 ] &&
  pass || fail "each recorded run's events under its new id"
id=$(q m.db "SELECT id FROM runs WHERE seed = 4 AND outcome = 'violation'")
expect_exit 0 "replay a merged run" -- "$FL" replay m.db "$id"
grep -q "reproduced run $id exactly" out && pass || fail "replay of merged run $id: $(tail -2 out)"

# ---- an input that is not a faultline database: exit 2, OUT unchanged (or not created)
echo "not a database" >junk.db
sqlite3 foreign.db 'CREATE TABLE t(x)' 2>/dev/null || cp "$FL" foreign.db
dump m.db >before
sum_before=$(cat m.db m.db-wal 2>/dev/null | md5sum)
for bad in junk.db foreign.db missing.db; do
  expect_exit 2 "refuse $bad" -- "$FL" merge m.db s1.db "$bad" --skip-duplicates &&
    expect_error_line "^faultline: merge: $bad: " "refuse $bad message"
done
expect_exit 2 "refuse junk msg" -- "$FL" merge m.db junk.db &&
  expect_error_line '^faultline: merge: junk\.db: not a faultline database \(give a file' "junk message"
dump m.db >after
cmp -s before after && [ "$(cat m.db m.db-wal 2>/dev/null | md5sum)" = "$sum_before" ] && pass ||
  fail "OUT unchanged after refused inputs"
expect_exit 2 "refuse into new OUT" -- "$FL" merge n.db s1.db junk.db
[ ! -e n.db ] && pass || fail "no OUT created when an input is refused"
expect_exit 2 "OUT not ours" -- "$FL" merge junk.db s1.db &&
  expect_error_line '^faultline: merge: junk\.db: not a faultline database \(give a file' "foreign OUT"
expect_exit 2 "IN is OUT" -- "$FL" merge m.db ./m.db &&
  expect_error_line 'is the output database' "IN is OUT message"
expect_exit 2 "no IN" -- "$FL" merge m.db && expect_error_line '^faultline: merge: ' "no IN"
[ "$(q m.db 'PRAGMA integrity_check')" = ok ] && pass || fail "integrity_check at the end"

# ---- more inputs than SQLite can attach at once (10): 12 shards
for k in $(seq 1 12); do
  "$FL" sweep "$ECHO" --set run.until=1s --seeds 1..30 -j 1 --db "k$k.db" --shard "$k/12" --quiet \
    >/dev/null 2>&1
done
expect_exit 0 "merge 12 shards" -- "$FL" merge twelve.db k{1..12}.db
q twelve.db 'SELECT seed, digest FROM runs ORDER BY seed' >got
cmp -s want got && pass || fail "12 shards merged = the unsharded sweep"
finish
