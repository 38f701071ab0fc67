#!/usr/bin/env bash
# cli_api_versions.sh -- API versioning (docs/writing-a-protocol.md): a version-1 plugin
# still loads and runs, a version-2 plugin's process_init runs once per process before
# the first run and its failure is a clear error, a newer version is refused, and
# --version says which versions this faultline speaks.
source "$(dirname "$0")/lib/common.bash" "$@"
P=$BUILD/plugins

expect_exit 0 "--version" -- "$FL" --version
grep -qE '^faultline [0-9.]+ \(protocol API 4, database schema 4, digest epoch 2\)$' out && pass ||
  fail "--version names the API, schema and digest epoch: $(cat out)"

expect_exit 0 "a version-1 plugin runs" -- "$FL" run --protocol "$P/libv1proto.so" \
  --set run.until=100ms --trace
grep -q 'v1proto 1: version 1 plugin up' out && pass || fail "the v1 plugin's start ran"
grep -q '^outcome:  ok' out && pass || fail "the v1 plugin's run is ok"

expect_exit 0 "process_init" -- "$FL" run --protocol "$P/libinitproto.so" --set run.until=10ms --trace
[ "$(grep -c 'process_init ran 1 time(s)' out)" = 3 ] && pass ||
  fail "process_init ran once before every node started: $(grep process_init out | head -3)"

FL_TEST_INIT_FAIL=1 expect_exit 2 "process_init fails" -- "$FL" run --protocol "$P/libinitproto.so"
expect_error_line 'protocol initproto: process_init failed: the runtime did not start' \
  "a failed process_init is one line"

expect_exit 2 "a newer API is refused" -- "$FL" run --protocol "$P/libv99proto.so"
expect_error_line 'built for API version 99, this faultline loads 1\.\.4' "the versions are named"
finish
