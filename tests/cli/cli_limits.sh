#!/usr/bin/env bash
# cli_limits.sh -- every limit a scenario or the command line can reach holds: what is
# accepted runs, what cannot run is refused at once with exit 2 and one line.
source "$(dirname "$0")/lib/common.bash" "$@"
ECHO=$SRC/sim/scenarios/echo.json

# nodes: the largest accepted value runs 1 s of simulated time (an echo run)
expect_exit 2 "nodes above the limit" -- "$FL" run "$ECHO" --set nodes=10001
expect_error_line 'nodes: expected an integer in \[1,10000\], got 10001' "nodes: one line"
if [ -n "${FL_SANITIZED:-}" ]; then
  echo "cli_limits: the 10,000-node run is not made under the sanitizers (minutes there)"
else
  t0=$(date +%s)
  expect_exit 0 "10,000 nodes, 1 s" -- "$FL" run "$ECHO" --set nodes=10000 --set run.until=1s
  grep -q '^time: *1.000000s simulated' out && pass || fail "the run reached 1 s: $(grep time: out)"
  [ $(($(date +%s) - t0)) -lt 60 ] && pass || fail "10,000 nodes took $(($(date +%s) - t0)) s"
fi

# a fault rate whose draws alone would overflow a schedule: refused before any run
expect_exit 2 "crash every 1ns" -- timeout 20 "$FL" run "$SRC/sim/scenarios/raft-crash.json" \
  --set faults.crash.every=1ns
expect_error_line 'faults.crash.every: 1 ns draws about 19500000000 faults .* at most 1000000 entries' \
  "crash every 1ns: one line"
expect_exit 2 "crash every 1ns in a sweep" -- timeout 20 "$FL" sweep "$SRC/sim/scenarios/raft-crash.json" \
  --set faults.crash.every=1ns --seeds 1..3 --db s.db
# a schedule past its partition memory: exit 2 (the input asks too much), not 3
expect_exit 2 "partition cells" -- "$FL" run "$ECHO" --set nodes=10000 --set run.until=2s \
  --set 'faults={"window": ["0s", "1s"], "partition": {"every": "100us"}}'
expect_error_line 'the schedule would exceed .* lower the fault rates' "partition cells: one line"

# seeds: what SQLite stores exactly (signed 64-bit), else refused
expect_exit 0 "seed 2^63-1" -- "$FL" run "$ECHO" --seed 9223372036854775807 --db r.db
[ "$(sqlite3 r.db 'SELECT seed FROM runs')" = 9223372036854775807 ] && pass || fail "stored exactly"
expect_exit 2 "seed 2^63" -- "$FL" run "$ECHO" --seed 9223372036854775808
expect_error_line "--seed: expected an integer in \[0, 2\^63-1" "seed 2^63: one line"
expect_exit 2 "sweep seeds past 2^63-1" -- "$FL" sweep "$ECHO" --seeds 9223372036854775800..9223372036854775808 --db r.db
expect_error_line "--seeds: .* seeds at most 2\^63-1" "sweep seeds: one line"

# keys with control characters do not break the one line
printf '{"protocol": "raft", "nodes": 3, "a\\nb": 1}' >k.json
expect_exit 2 "a newline in a key" -- "$FL" run k.json
expect_error_line 'k.json: a\\x0ab: unknown key' "the key escaped"
printf '{"protocol": "raft", "nodes": 3, "params": {"bugs": ["x\\ny"]}}' >k2.json
expect_exit 2 "a newline in a bug name" -- "$FL" run k2.json
expect_error_line 'unknown bug "x\\x0ay"' "the name escaped"
# non-finite and huge numbers in protocol params (a cast of inf to an integer is UB)
for v in 1e30 -1e30 1.5; do
  expect_exit 2 "max_entries_per_msg=$v" -- "$FL" run "$SRC/sim/scenarios/raft-chaos.json" \
    --set "params.max_entries_per_msg=$v"
  expect_error_line 'params.max_entries_per_msg: expected an integer in \[1, 4096\]' "$v: one line"
done
# --set into an array that is absent
expect_exit 2 "--set into an absent array" -- "$FL" run "$SRC/sim/scenarios/raft-chaos.json" \
  --set 'network.links[5].to=1'
expect_error_line 'network.links is absent' "absent: one line"
finish
