#!/usr/bin/env bash
# cli_input_messages.sh -- what a user gives is read the Unix way and, when wrong, named
# in one line that says what was got: `run -` / `scenario -` / `sweep -` read the
# scenario from stdin; an empty file is "empty file"; a duration param that is not a
# string says what it got; an integral number (3.0) is an integer everywhere; errors say
# their command once; `protocols` says what each bug does.
source "$(dirname "$0")/lib/common.bash"

ECHO='{"protocol": "echo", "run": {"until": "1s"}}'

# stdin
echo "$ECHO" >echo1.json
"$FL" run echo1.json --seed 3 >from_file 2>/dev/null
expect_exit 0 "run - reads stdin" -- bash -c "echo '$ECHO' | '$FL' run - --seed 3"
grep -q '^digest:' out && [ "$(grep '^digest:' out)" = "$(grep '^digest:' from_file)" ] && pass ||
  fail "run - is the same run as the file: $(grep digest out) vs $(grep digest from_file)"
grep -q '(echo, 3 nodes)' out && pass || fail "run - ran the scenario from stdin: $(head -1 out)"
expect_exit 0 "scenario - reads stdin" -- bash -c "echo '{\"nodes\": 5}' | '$FL' scenario -"
grep -q '"nodes":.*5' out && pass || fail "scenario - printed the stdin scenario"
expect_exit 0 "sweep - reads stdin" -- bash -c "echo '$ECHO' | '$FL' sweep - --seeds 2 --db s.db --quiet"
expect_exit 2 "bad stdin scenario" -- bash -c "echo '{\"nodes\": 0}' | '$FL' run -" &&
  expect_error_line '^faultline: run: stdin: nodes: expected an integer in \[1,10000\], got 0$' "stdin error"
expect_exit 2 "bad stdin params" -- bash -c "echo '{\"params\": {\"heartbeat\": 50}}' | '$FL' scenario -" &&
  expect_error_line '^faultline: scenario: stdin: params.heartbeat: expected a duration such as "150ms", got 50$' "stdin params"

# empty files
: >empty.json
printf ' \n\n' >blank.json
for f in empty.json blank.json; do
  for cmd in run scenario; do
    expect_exit 2 "$cmd $f" -- "$FL" $cmd $f &&
      expect_error_line "^faultline: $cmd: $f: empty file" "$cmd $f"
  done
done
expect_exit 2 "empty stdin" -- bash -c "'$FL' run - </dev/null" &&
  expect_error_line '^faultline: run: stdin: empty file' "empty stdin"
expect_exit 2 "empty --schedule" -- "$FL" run echo1.json --schedule empty.json &&
  expect_error_line '^faultline: run: --schedule empty.json: empty file' "empty schedule"

# a bad duration says what it got
echo '{"params": {"election_timeout": 150}}' >dur.json
expect_exit 2 "duration as a number" -- "$FL" run dur.json &&
  expect_error_line '^faultline: run: dur.json: params.election_timeout: expected a duration such as "150ms", got 150$' "duration"
echo '{"protocol": "echo", "params": {"period": 10}}' >period.json
expect_exit 2 "echo period as a number" -- "$FL" scenario period.json &&
  expect_error_line 'params.period: expected a positive duration such as "10ms", got 10$' "period"
echo '{"params": {"max_entries_per_msg": 1.5}}' >int.json
expect_exit 2 "a non-integral param" -- "$FL" scenario int.json &&
  expect_error_line 'params.max_entries_per_msg: expected an integer in \[1, 4096\], got 1.5$' "int param"

# 3.0 is the integer 3, everywhere it is read: the scenario, its params, --set, schedules
echo '{"nodes": 3.0, "params": {"max_entries_per_msg": 64.0}, "run": {"until": "1s"}}' >float.json
echo '{"nodes": 3, "params": {"max_entries_per_msg": 64}, "run": {"until": "1s"}}' >int3.json
"$FL" run int3.json >int3.out 2>/dev/null
expect_exit 0 "integral floats" -- "$FL" run float.json
[ "$(grep '^digest' out)" = "$(grep '^digest' int3.out)" ] && pass || fail "3.0 runs as 3"
expect_exit 0 "--set nodes=3.0" -- "$FL" scenario int3.json --set nodes=3.0
grep -qE '"nodes":[[:space:]]+3,' out && pass || fail "--set nodes=3.0 is 3: $(grep nodes out)"
echo '[{"at_ns": 500000000.0, "kind": "crash", "node": 2.0}, {"at": "0.7s", "kind": "restart", "node": 2}]' >fsched.json
echo '[{"at_ns": 500000000, "kind": "crash", "node": 2}, {"at": "0.7s", "kind": "restart", "node": 2}]' >isched.json
"$FL" run int3.json --schedule isched.json >isched.out 2>/dev/null
expect_exit 0 "integral floats in a schedule" -- "$FL" run int3.json --schedule fsched.json
[ "$(grep '^digest' out)" = "$(grep '^digest' isched.out)" ] && pass || fail "node 2.0 is node 2"
expect_exit 2 "3.5 nodes" -- "$FL" scenario int3.json --set nodes=3.5 &&
  expect_error_line 'nodes: expected an integer in \[1,10000\], got 3.5$' "3.5 nodes"

# the command once
expect_exit 2 "bad SQL" -- "$FL" query s.db "SELEC 1" &&
  expect_error_line '^faultline: query: near "SELEC": syntax error$' "bad SQL"
! grep -qE 'faultline: ([a-z-]+): \1: ' err && pass || fail "doubled prefix: $(cat err)"
expect_exit 2 "write SQL" -- "$FL" query s.db "DELETE FROM runs" &&
  expect_error_line '^faultline: query: only read-only SQL is allowed$' "write SQL"
expect_exit 2 "missing schedule" -- "$FL" run echo1.json --schedule nosuch.json &&
  expect_error_line '^faultline: run: nosuch.json: No such file or directory$' "missing schedule"

# no command names itself twice, whatever goes wrong
while IFS= read -r cmd; do
  eval "\"\$FL\" $cmd" >/dev/null 2>twice.err </dev/null
  ! grep -qE '^faultline: ([a-z-]+): \1: ' twice.err && pass || fail "doubled prefix: $(cat twice.err)"
  grep -q '^faultline: ' twice.err && pass || fail "$cmd: no error line: $(cat twice.err)"
done <<'EOF'
query s.db "SELECT * FROM nosuch"
query s.db "SELEC"
query nosuch.db
run nosuch.json
run empty.json
run echo1.json --db /nonexistent-dir/x.db
sweep nosuch.json --seeds 2
sweep echo1.json --seeds 2 --db /nonexistent-dir/x.db
scenario nosuch.json
replay s.db 999
show s.db 999
merge m.db nosuch.db
migrate nosuch.db
check-history nosuch.jsonl --model register
EOF

# protocols: one line per bug, saying what it does
expect_exit 0 "protocols" -- "$FL" protocols
grep -qE '^    forget_vote: .*restart' out && pass || fail "forget_vote is explained: $(grep forget out)"
grep -qE '^    pong_without_ping: ' out && pass || fail "echo's bug is explained"
n=$(awk '/^raft/ { r = 1 } r && /^  bugs:/ { b = 1; next } b && /^    / { n++ } b && /^  [a-z]/ { b = 0 } END { print n }' out)
[ "$n" = 9 ] && pass || fail "raft's 9 bugs, one line each: $n"
! grep -q '^    bugs\.' out && pass || fail "the bugs.* doc lines are not listed as params"
finish
