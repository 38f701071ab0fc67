#!/usr/bin/env bash
# faultline script DB RUN: recorded failing runs of several bugs (plain requests, clients,
# crashes, duplicated messages) become scripts that `faultline run` follows to a
# violation of the same check, with their expects holding; a passing run's script passes;
# the conversion is deterministic; bad input is one line on stderr, exit 2, no damage.
source "$(dirname "$0")/lib/common.bash"

sc() { echo "$SRC/sim/scenarios/$1.json"; }
outcome() { sed -n 's/^outcome: *//p' out; }

# convert BUG SCENARIO SEED: record the seed, convert it, run the script
convert() {
  local bug=$1 scenario=$2 seed=$3
  "$FL" run "$(sc "$scenario")" --seed "$seed" --set "params.bugs=[\"$bug\"]" --db "$bug.db" \
    >/dev/null 2>&1
  local check
  check=$(sqlite3 "$bug.db" "SELECT check_name FROM runs WHERE id = 1 AND outcome = 'violation'")
  [ -n "$check" ] && pass || { fail "$bug seed $seed: the recorded run has no violation"; return; }
  expect_exit 0 "script $bug" -- "$FL" script "$bug.db" 1 --out "$bug.json" || return
  grep -q "^script: run 1 steps 0\.\.$(sqlite3 "$bug.db" "SELECT fail_step FROM runs")" out && pass ||
    fail "$bug: the summary names the steps followed: $(cat out)"
  expect_exit 1 "run the $bug script" -- "$FL" run "$bug.json" </dev/null
  case "$(outcome)" in
  "violation ($check:"*) pass ;;
  *) fail "$bug: the script's run ends in '$(outcome)', expected a violation of $check" ;;
  esac
  [ "$(jq '[.script[] | select(.expect)] | length' "$bug.json")" -ge 1 ] && pass ||
    fail "$bug: the script has expects of the state before the failing step"
  [ "$(jq -r .network.mode "$bug.json")" = scripted ] && [ "$(jq -r .params.bugs[0] "$bug.json")" = "$bug" ] &&
    pass || fail "$bug: the scenario is scripted and keeps the run's params"
}

convert vote_any_log raft-chaos 1          # duplicated messages, partitions, a crash
convert quorum_off_by_one raft-chaos 152
convert forget_vote raft-crash 4           # crashes and restarts
convert ack_before_sync raft-chaos 289     # held syncs
convert stale_read raft-kv 1               # clients: processes, timeouts, lost requests
convert commit_old_term raft-figure8 2645  # 5 nodes

# the run with duplicates: copies are made by duplicate entries and delivered by copy number
[ "$(jq '[.script[] | select(.duplicate)] | length' vote_any_log.json)" -gt 0 ] &&
  [ "$(jq '[.script[] | select(.deliver.copy)] | length' vote_any_log.json)" -gt 0 ] && pass ||
  fail "vote_any_log seed 1 delivers copies: the script duplicates them"
# the clients' run: every request of the script names a process within workload.clients
procs=$(jq '.workload.clients' stale_read.json)
[ "$(jq "[.script[] | select(.process != null and .process >= $procs)] | length" stale_read.json)" = 0 ] &&
  pass || fail "stale_read: processes are within workload.clients ($procs)"

# --timed: every acting entry carries its step's virtual time, and the script fails at
# the run's own failing time
expect_exit 0 "script --timed" -- "$FL" script vote_any_log.db 1 --timed --out timed.json
[ "$(jq '[.script[] | select(.expect == null and .syncs == null and .at_ns == null)] | length' timed.json)" = 0 ] &&
  pass || fail "--timed: every acting entry has at_ns"
expect_exit 1 "run the timed script" -- "$FL" run timed.json </dev/null
want_t=$(sqlite3 vote_any_log.db "SELECT printf('%d.%06d', fail_time_ns / 1000000000, fail_time_ns / 1000 % 1000000) FROM runs")
grep -q "^at step: .*(t=${want_t}s)$" out && grep -q '^outcome:  violation (leader_completeness:' out &&
  pass || fail "--timed: the violation comes at the run's time ${want_t}s: $(grep -E '^(outcome|at step)' out)"

# deterministic: the same run converts to the same bytes, on stdout too
expect_exit 0 "script to stdout" -- "$FL" script vote_any_log.db 1
cmp -s out vote_any_log.json && pass || fail "stdout and --out give the same text"

# a passing run: converted whole, its expects at the end, and the script passes
"$FL" run "$(sc raft-chaos)" --seed 2 --set run.until=3s --set "faults.window=[\"500ms\", \"2s\"]" --set run.liveness=1s --db ok.db >/dev/null 2>&1
[ "$(sqlite3 ok.db "SELECT outcome FROM runs")" = ok ] && pass || fail "seed 2 for 3 s passes"
expect_exit 0 "script of a passing run" -- "$FL" script ok.db 1 --out ok.json
expect_exit 0 "run the passing run's script" -- "$FL" run ok.json </dev/null
[ "$(jq '.script[-1] | has("expect")' ok.json)" = true ] && pass ||
  fail "a passing run's script ends with its expects"

# a script past the worker's frame limit (about 1 MiB, docs/script.md) ends the run
# instead of hanging it (the worker blocked writing, the parent waiting for it)
jq -n '{network: {mode: "scripted"}, script: [range(40000) | {timeout: 1, comment: "0123456789"}]}' >big.json
[ "$(wc -c <big.json)" -gt 1100000 ] && pass || fail "big.json is past 1 MiB"
timeout 60 "$FL" run big.json </dev/null >out 2>err
rc=$?
[ $rc = 1 ] && pass || fail "a script past the frame limit: exit $rc (124: it hung)"

# ---- bad input: one line, exit 2, nothing written or changed ----
sum=$(sha256sum vote_any_log.db)
expect_exit 2 "no such run" -- "$FL" script vote_any_log.db 7 --out x.json
expect_error_line '^faultline: script: no run 7 in vote_any_log.db$' "no such run"
expect_exit 2 "missing db" -- "$FL" script nothere.db 1
expect_error_line '^faultline: script: .*nothere.db' "missing db"
[ ! -e nothere.db ] && pass || fail "a missing database is not created"
echo "not a database" >junk.db
expect_exit 2 "not our db" -- "$FL" script junk.db 1
expect_error_line 'not a faultline database' "not our db"
expect_exit 2 "bad run id" -- "$FL" script vote_any_log.db x1
expect_error_line "^faultline: script: RUN: expected a run id \(1, 2, \.\.\.\), got 'x1'$" "bad run id"
expect_exit 2 "no run id" -- "$FL" script vote_any_log.db
expect_error_line '^faultline: script: expected DB and a RUN id' "no run id"
expect_exit 2 "unknown option" -- "$FL" script vote_any_log.db 1 --seed 3
expect_error_line "^faultline: script: unknown option '--seed'" "unknown option"
expect_exit 2 "--out without a file" -- "$FL" script vote_any_log.db 1 --out
expect_error_line '^faultline: script: --out needs a file name' "--out without a file"
expect_exit 2 "--out in a missing directory" -- "$FL" script vote_any_log.db 1 --out no/such/x.json
expect_error_line '^faultline: script: --out no/such/x.json: cannot create the file' "--out dir"
[ ! -e x.json ] && pass || fail "nothing is written on an error"
[ "$(sha256sum vote_any_log.db)" = "$sum" ] && pass || fail "the database is unchanged"
# a run not recorded in full: says how to record it
"$FL" sweep "$(sc raft-chaos)" --seeds 2 -j 1 --set 'params.bugs=["quorum_off_by_one"]' \
  --db sw.db --record-max 1 --quiet >/dev/null 2>&1
expect_exit 2 "bare run" -- "$FL" script sw.db 2
expect_error_line '^faultline: script: run 2 is not recorded in full \(faultline replay sw.db 2 --record records it\)$' \
  "bare run"
# a scripted run is its own script
"$FL" run quorum_off_by_one.json --db scripted.db >/dev/null 2>&1
expect_exit 2 "scripted run" -- "$FL" script scripted.db 1
expect_error_line '^faultline: script: run 1 is a scripted run already' "scripted run"

finish
