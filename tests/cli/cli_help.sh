#!/usr/bin/env bash
# Every command has --help (exit 0, usage on stdout); --version works; unknown
# commands and options are usage errors (exit 2, one line on stderr).
source "$(dirname "$0")/lib/common.bash"

expect_exit 0 "--help" -- "$FL" --help && grep -q '^usage: faultline' out || fail "--help text"
expect_exit 0 "--version" -- "$FL" --version && grep -qE '^faultline [0-9]+\.[0-9]+' out ||
  fail "--version text"
for cmd in run sweep merge scenario protocols query replay show check-history migrate; do
  expect_exit 0 "$cmd --help" -- "$FL" "$cmd" --help
  grep -q "^usage: faultline $cmd" out || fail "$cmd --help prints its usage"
done
expect_exit 2 "no command" -- "$FL"
expect_exit 2 "unknown command" -- "$FL" frobnicate && expect_error_line 'frobnicate: unknown command' "unknown command"
expect_exit 2 "unknown run option" -- "$FL" run --frob && expect_error_line "unknown option '--frob'" "unknown run option"
expect_exit 0 "protocols" -- "$FL" protocols
grep -q '^echo' out || fail "protocols lists echo"
grep -q '^raft' out || fail "protocols lists raft"
grep -q 'timers: election heartbeat' out || fail "protocols lists raft's timers"
finish
