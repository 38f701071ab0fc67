#!/usr/bin/env bash
# cli_nemesis.sh -- the aimed nemesis (issue 16, docs/faults.md "Aimed faults"): raft-swarm
# at a handful of seeds is ok and deterministic; a run's --write-schedule binds every
# selector to a plain node ("selected") and replays with the same digest; the docs'
# selector schedule runs as documented; param swarm draws within the scenario's ranges and
# records them; the existing scenarios' digests are those of the nemesis before it; bad
# aimed input is one line on stderr and exit 2.
source "$(dirname "$0")/lib/common.bash"

SW="$SRC/sim/scenarios/raft-swarm.json"
digest() { grep '^digest:' out | awk '{ print $2 }'; }

# a handful of seeds: ok, every aimed kind drawn somewhere
expect_exit 0 "raft-swarm, seeds 1..6" -- "$FL" sweep "$SW" --seeds 1..6 -j 2 --db sw.db \
  --record all --quiet
for kind in leader_crash sync_crash leader_partition restart_partitioned storm; do
  n=$(sqlite3 sw.db "SELECT count(*) FROM faults WHERE json_extract(spec, '\$.tag') = '$kind'")
  [ "$n" -gt 0 ] && pass || fail "no $kind entry in 6 seeds of raft-swarm"
done
[ "$(sqlite3 sw.db "SELECT count(*) FROM faults WHERE spec LIKE '%\"selected\"%'")" -gt 0 ] &&
  pass || fail "recorded specs name the nodes their selectors bound"

# determinism: twice the same digest; the written schedule replays exactly
for seed in 1 11; do
  expect_exit 0 "raft-swarm seed $seed" -- "$FL" run "$SW" --seed $seed --write-schedule s$seed.json
  d1=$(digest)
  expect_exit 0 "raft-swarm seed $seed again" -- "$FL" run "$SW" --seed $seed
  [ "$(digest)" = "$d1" ] && pass || fail "seed $seed: two runs, two digests"
  expect_exit 0 "seed $seed from its written schedule" -- "$FL" run "$SW" --seed $seed \
    --schedule s$seed.json
  [ "$(digest)" = "$d1" ] && pass || fail "seed $seed: the written schedule gives $(digest), not $d1"
  grep -q '"selected":"' s$seed.json && pass || fail "seed $seed: no bound selector"
done

# the existing scenarios keep the digests of the nemesis before the aimed kinds
while read -r sc seed want; do
  expect_exit 0 "$sc seed $seed" -- "$FL" run "$SRC/sim/scenarios/$sc.json" --seed $seed
  [ "$(digest)" = "$want" ] && pass || fail "$sc seed $seed: digest $(digest), expected $want"
done <<'TABLE'
raft-chaos   3  bbefa45fa18901c7
raft-chaos   7  9694932230da2476
TABLE

# the docs' schedule (docs/faults.md "Selectors")
sed -n '/^<!-- selectors example -->$/,/^```$/p' "$SRC/docs/faults.md" | sed '1,2d;$d' >sel.json
[ -s sel.json ] && pass || fail "the selectors example is in docs/faults.md"
expect_exit 0 "the selectors example" -- "$FL" run "$SRC/sim/scenarios/raft-chaos.json" --seed 3 \
  --schedule sel.json --write-schedule sel.out --trace
grep -qE 'fault: crash [0-9] just before its sync' out && pass || fail "a sync crash struck: $(grep fault: out | head)"
grep -q 'fault: partition(leader) {' out && pass || fail "the leader was partitioned away"
! grep -q '"select"' sel.out && pass || fail "every selector was bound: $(grep select sel.out)"
sed -n '/^<!-- selectors bound -->$/,/^```$/p' "$SRC/docs/faults.md" | sed '1,2d;$d' >bound.doc
sed -n '2,8p' sel.out | sed 's/,$//' >bound.got
diff bound.doc bound.got >/dev/null && pass || fail "docs/faults.md's bound entries are not the run's: $(diff bound.doc bound.got)"
d1=$(digest)
expect_exit 0 "the example's written schedule" -- "$FL" run "$SRC/sim/scenarios/raft-chaos.json" \
  --seed 3 --schedule sel.out
[ "$(digest)" = "$d1" ] && pass || fail "the bound schedule replays with another digest"

# param swarm: drawn in the scenario's ranges, recorded, the same on every run
expect_exit 0 "param swarm, 8 seeds" -- "$FL" sweep "$SW" --seeds 1..8 -j 2 --db p.db --record none --quiet
[ "$(sqlite3 p.db "SELECT count(*) FROM metrics WHERE name = 'swarm.nodes' AND value BETWEEN 3 AND 5")" = 8 ] &&
  pass || fail "nodes drawn in [3,5] for each seed"
[ "$(sqlite3 p.db "SELECT count(DISTINCT value) FROM metrics WHERE name = 'swarm.max_entries_per_msg'")" -gt 1 ] &&
  pass || fail "max_entries_per_msg is drawn per seed"
[ "$(sqlite3 p.db "SELECT count(*) FROM metrics WHERE name = 'swarm.election_timeout' AND value BETWEEN 100000000 AND 300000000 AND value % 1000000 = 0")" = 8 ] &&
  pass || fail "election timeouts in whole ms of [100ms,300ms]"

expect_exit 0 "a param-swarm run" -- "$FL" run "$SW" --seed 3 --db one.db
n=$(sqlite3 one.db "SELECT value FROM metrics WHERE name = 'swarm.nodes'")
grep -q "^scenario: raft-swarm (raft, $n nodes)\$" out && pass ||
  fail "the summary names the $n nodes drawn: $(head -1 out)"
[ "$(sqlite3 one.db "SELECT count(DISTINCT node) FROM events WHERE node > 0")" = "$n" ] && pass ||
  fail "the run had the $n nodes drawn"

# a selector crash with no restart: nobody can say who is up at the end
printf '[{"at":"1s","kind":"crash","node":{"select":"leader"}}]\n' >unpaired.json
expect_exit 0 "an unpaired selector crash" -- "$FL" run "$SRC/sim/scenarios/raft-chaos.json" \
  --schedule unpaired.json
grep -qx 'liveness: not checked: the crashes and restarts its selectors aim do not pair up' out &&
  pass || fail "the summary says liveness was not checked: $(grep liveness out)"

# bad input: one line, exit 2
bad_schedule() { # description pattern json
  printf '%s\n' "$3" >bad.json
  expect_exit 2 "$1" -- "$FL" run "$SRC/sim/scenarios/raft-chaos.json" --schedule bad.json &&
    expect_error_line "$2" "$1"
}
bad_schedule "an unknown selector" 'schedule\[1\]\.node\.select: expected "leader", "follower"' \
  '[{"at":"1s","kind":"crash","node":{"select":"boss"}}]'
bad_schedule "an entry selector naming a later entry" 'schedule\[1\]\.node\.entry: expected an earlier entry' \
  '[{"at":"1s","kind":"restart","node":{"select":"entry","entry":2}}]'
bad_schedule "a sync that is neither before nor after" 'schedule\[1\]\.sync: expected "before" or "after"' \
  '[{"at":"1s","kind":"crash","node":1,"sync":"while"}]'
bad_schedule "an isolate partition with too many companions" 'schedule\[1\]\.with: expected how many other nodes join it, in \[0,1\], got 5' \
  '[{"at":"1s","kind":"partition","isolate":{"select":"leader"},"with":5}]'
bad_run() { # description pattern --set...
  local what=$1 pattern=$2
  shift 2
  expect_exit 2 "$what" -- "$FL" run "$SW" "$@" && expect_error_line "$pattern" "$what"
}
bad_run "a range outside the protocol's" 'faults\.swarm_params\.nodes: \[3, 9\] is outside the protocol raft.s range \[3, 7\]' \
  --set 'faults.swarm_params={"nodes":[3,9]}'
bad_run "a range the protocol does not declare" 'faults\.swarm_params\.heartbeat: the protocol raft declares no such range' \
  --set 'faults.swarm_params={"heartbeat":["10ms","20ms"]}'
bad_run "an empty range" 'faults\.swarm_params\.nodes: expected LO <= HI, got \[5, 3\]' \
  --set 'faults.swarm_params={"nodes":[5,3]}'
bad_run "an unknown key of an aimed kind" 'faults\.storm\.nodes: unknown key' \
  --set 'faults.storm={"nodes":3}'
expect_exit 2 "param swarm for a protocol without ranges" -- "$FL" run "$SRC/sim/scenarios/echo.json" \
  --set faults.swarm_params=true &&
  expect_error_line 'faults\.swarm_params: the protocol echo declares no param ranges' "no ranges"
finish
