#!/usr/bin/env bash
# A module's identity covers the Go library it loads (issue 17; sim/plugin_id.c follows
# DT_NEEDED through RUNPATH $ORIGIN): with a copy of the etcd-raft module, a sweep
# resumes while nothing changed, and after the Go library alone is rebuilt (here: one
# byte appended, which changes its hash and nothing else) the same sweep starts anew
# instead of resuming, and replay says which library changed.
source "$(dirname "$0")/lib/common.bash"
source "$(dirname "$0")/lib/etcd_raft.bash"

mkdir mod
cp "$BUILD"/etcd-raft/libetcd-raft.so "$BUILD"/etcd-raft/libfl_etcd_go.so mod/
M=$T/mod/libetcd-raft.so
sweep() { "$FL" sweep "$ETCD_CHAOS" --protocol "$M" --seeds 3 -j1 --db s.db --set run.until=2s --set "faults.window=[\"100ms\", \"1s\"]" --set run.liveness=1s "$@"; }

expect_exit 0 "a sweep of the module copy" -- sweep
expect_exit 0 "the same sweep again" -- sweep
grep -q 'resuming sweep 1' "$T/err" && pass || fail "an unchanged module did not resume: $(cat "$T/err")"

printf 'x' >>mod/libfl_etcd_go.so # the "rebuilt" Go library
expect_exit 0 "the sweep after the Go library changed" -- sweep
grep -q 'resuming' "$T/err" && fail "a changed Go library resumed the old sweep" || pass
n=$("$FL" query s.db "SELECT count(*) FROM scenarios" --format csv | tail -1)
[ "$n" = 2 ] && pass || fail "expected 2 scenario identities, got $n"
"$FL" query s.db "SELECT json FROM scenarios ORDER BY id" --format csv >ids.csv
[ "$(grep -o 'libfl_etcd_go.so[^}]*' ids.csv | sort -u | wc -l)" = 2 ] && pass ||
  fail "the two identities do not differ in the Go library's hash: $(cat ids.csv)"

# replay of a run of the first identity with the changed library: a warning naming it
run1=$("$FL" query s.db "SELECT min(id) FROM runs" --format csv | tail -1)
"$FL" replay s.db "$run1" --protocol "$M" >replay.out 2>replay.err
grep -q 'libfl_etcd_go.so' replay.err replay.out && pass ||
  fail "replay does not name the changed Go library: $(cat replay.err replay.out | head -5)"
finish
