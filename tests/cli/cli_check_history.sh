#!/usr/bin/env bash
# faultline check-history: verdicts and exit codes (0 linearizable, 1 not, 4 unknown,
# 2 bad input), one-line errors with the line number for every class of bad input, the
# --format json shape, and the example of docs/linearizability.md.
source "$(dirname "$0")/lib/common.bash"
H=$SRC/tests/histories

# ---- verdicts ----
expect_exit 0 "register ok" -- "$FL" check-history "$H/register-ok.jsonl" --model register &&
  { grep -q 'linearizable: 8 operations' out && pass || fail "register ok text: $(cat out)"; }
expect_exit 1 "stale read" -- "$FL" check-history "$H/stale-read.jsonl" --model register &&
  { grep -q '^cannot linearize:' out && pass || fail "stale read report: $(cat out)"; }
expect_exit 0 "kv ok" -- "$FL" check-history "$H/kv-ok.jsonl" --model kv
expect_exit 0 "kv ok, no partition" -- "$FL" check-history "$H/kv-ok.jsonl" --model kv --no-partition
expect_exit 1 "kv bad" -- "$FL" check-history "$H/kv-bad.jsonl" --model kv &&
  { grep -q 'key "y"' out && pass || fail "kv bad names key y: $(cat out)"; }
expect_exit 1 "kv bad, no partition" -- "$FL" check-history "$H/kv-bad.jsonl" --model kv --no-partition
expect_exit 4 "state budget" -- "$FL" check-history "$H/register-ok.jsonl" --model register --max-states 3 &&
  { grep -q 'unknown: the budget of search states ran out' out && pass || fail "unknown text: $(cat out)"; }
expect_exit 0 "time budget" -- "$FL" check-history "$H/register-ok.jsonl" --model register --budget 10s
expect_exit 1 "stdin" -- "$FL" check-history - --model register <"$H/stale-read.jsonl"
# the same history checked twice gives the same output, byte for byte
"$FL" check-history "$H/kv-bad.jsonl" --model kv --format json >a.json
"$FL" check-history "$H/kv-bad.jsonl" --model kv --format json >b.json
cmp -s a.json b.json && pass || fail "two checks differ"

# ---- --format json ----
expect_exit 1 "json violation" -- "$FL" check-history "$H/kv-bad.jsonl" --model kv --format json
[ "$(wc -l <out)" = 1 ] && pass || fail "json is one line"
for want in '"verdict":"violation"' '"model":"kv"' '"partitioned":true' '"key":"y"' \
  '"prefix":\[1,2\]' '"culprit":{"op":3,"process":3,"f":"get","type":"ok","invoke_index":6,"complete_index":7' \
  '"concurrent":\[\]' '"states":[0-9]' '"ops":4'; do
  grep -qE -- "$want" out && pass || fail "json lacks $want: $(cat out)"
done
expect_exit 0 "json ok" -- "$FL" check-history "$H/register-ok.jsonl" --model register --format json
grep -q '"verdict":"ok"' out && ! grep -q '"culprit"' out && pass || fail "json ok shape: $(cat out)"
expect_exit 4 "json unknown" -- "$FL" check-history "$H/register-ok.jsonl" --model register --format json --max-states 2
grep -q '"verdict":"unknown"' out && pass || fail "json unknown: $(cat out)"

# ---- bad input: exit 2, one line, FILE:LINE: why ----
check() { # check FILE PATTERN WHAT [MODEL]
  expect_exit 2 "$3" -- "$FL" check-history "$1" --model "${4:-register}" &&
    expect_error_line "^faultline: check-history: $2" "$3"
}
W='{"process": 0, "type": "invoke", "f": "write", "value": 1}'
WOK='{"process": 0, "type": "ok", "f": "write", "value": 1}'
printf '%s\n%s\nnot json\n' "$W" "$WOK" >notjson.jsonl
check notjson.jsonl 'notjson.jsonl:3: not JSON' "not JSON"
printf '%s\n%s\n{"process": 0, "type": "inv' "$W" "$WOK" >trunc.jsonl
check trunc.jsonl 'trunc.jsonl:3: not JSON' "truncated line"
printf '%s\n' '{"process": 0, "type": "invoke", "f": "frob", "value": 1}' >unknownf.jsonl
check unknownf.jsonl 'unknownf.jsonl:1: unknown f "frob"' "unknown f"
printf '%s\n' '{"process": 0, "type": "maybe", "f": "read", "value": null}' >unknowntype.jsonl
check unknowntype.jsonl 'unknowntype.jsonl:1: unknown type "maybe"' "unknown type"
printf '%s\n%s\n%s\n' "$W" "$WOK" '{"process": 3, "type": "ok", "f": "read", "value": 1}' >noinv.jsonl
check noinv.jsonl 'noinv.jsonl:3: completion without an invocation \(process 3\)' "completion without invocation"
printf '%s\n%s\n' "$W" "$W" >twice.jsonl
check twice.jsonl 'twice.jsonl:2: second invocation by process 0' "second invocation"
printf '%s\n%s\n' "$W" '{"process": 0, "type": "ok", "f": "read", "value": 1}' >otherf.jsonl
check otherf.jsonl 'otherf.jsonl:2: completion f "read" differs' "completion with another f"
printf '%s\n' '{"process": 0, "type": "invoke", "f": "write", "value": "one"}' >wrongtype.jsonl
check wrongtype.jsonl 'wrongtype.jsonl:1: value: write expects an integer' "wrong value type"
printf '%s\n' '{"process": "0", "type": "invoke", "f": "write", "value": 1}' >wrongproc.jsonl
check wrongproc.jsonl 'wrongproc.jsonl:1: process: expected an integer' "wrong process type"
printf '%s\n' '{"process": 0, "type": "invoke", "f": "put", "key": 7, "value": "a"}' >wrongkey.jsonl
check wrongkey.jsonl 'wrongkey.jsonl:1: key: expected a string' "wrong key type" kv
printf '%s\n' '{"process": 0, "type": "invoke", "f": "write", "value": 1, "colour": "red"}' >unknownkey.jsonl
check unknownkey.jsonl 'unknownkey.jsonl:1: unknown key "colour"' "unknown key"
printf '%s\n' '{"process": 0, "type": "invoke", "f": "write", "value": 1, "value": 2}' >dupkey.jsonl
check dupkey.jsonl 'dupkey.jsonl:1: duplicate key "value"' "duplicate key"
printf '%s\n' '{"process": 0, "type": "invoke", "f": "write"}' >missing.jsonl
check missing.jsonl 'missing.jsonl:1: missing key "value"' "missing key"
printf '%s\n%s x\n' "$W" "$WOK" >trailing.jsonl
check trailing.jsonl 'trailing.jsonl:2: trailing characters after the JSON at column' "trailing garbage"
printf '%s\n' '{"process": 0, "type": "invoke", "f": "write", "value": [[[[[[[[[[1]]]]]]]]]]}' >deep.jsonl
check deep.jsonl 'deep.jsonl:1: nested deeper than 4 levels' "deep nesting"
printf '{"process": 0, "type": "invoke", "f": "put", "key": "a\001b", "value": "v"}\n' >ctrl.jsonl
check ctrl.jsonl 'ctrl.jsonl:1: control character 0x01' "control character" kv
printf '{"process": 0, "type": "invoke", "f": "put", "key": "a\\u0000b", "value": "v"}\n' >nul.jsonl
check nul.jsonl 'nul.jsonl:1: NUL character' "escaped NUL" kv
printf '%s\n%s\n' "$W" '{"process": 1, "type": "invoke", "f": "get", "key": "k", "value": null}' >mixed.jsonl
check mixed.jsonl 'mixed.jsonl:2: get operation in a register history' "register and kv mixed"
{ printf '{"process": 0, "type": "invoke", "f": "put", "key": "k", "value": "'
  head -c 1100000 /dev/zero | tr '\0' a; printf '"}\n'; } >long.jsonl
check long.jsonl 'long.jsonl:1: line longer than 1048576 bytes' "line too long" kv
: >empty.jsonl
check empty.jsonl 'empty.jsonl: empty file' "empty file"
check nosuch.jsonl 'nosuch.jsonl: No such file' "missing file"
check "$H/kv-ok.jsonl" '.*kv-ok.jsonl: the history has kv operations' "model of the other kind"

# ---- usage ----
expect_exit 0 "--help" -- "$FL" check-history --help && grep -q '^usage: faultline check-history' out && pass ||
  fail "--help usage"
expect_exit 2 "no --model" -- "$FL" check-history "$H/kv-ok.jsonl" && expect_error_line '--model register\|kv is required' "no --model"
expect_exit 2 "bad --model" -- "$FL" check-history "$H/kv-ok.jsonl" --model graph && expect_error_line "--model: expected register or kv, got 'graph'" "bad --model"
expect_exit 2 "bad --format" -- "$FL" check-history "$H/kv-ok.jsonl" --model kv --format xml && expect_error_line "--format: expected text or json" "bad --format"
expect_exit 2 "bad --budget" -- "$FL" check-history "$H/kv-ok.jsonl" --model kv --budget soon && expect_error_line "--budget: expected a duration" "bad --budget"
expect_exit 2 "bad --max-states" -- "$FL" check-history "$H/kv-ok.jsonl" --model kv --max-states 0 && expect_error_line "--max-states: expected a positive integer" "bad --max-states"
expect_exit 2 "no file" -- "$FL" check-history --model kv && expect_error_line "missing FILE" "no file"
expect_exit 2 "--no-partition on register" -- "$FL" check-history "$H/register-ok.jsonl" --model register --no-partition &&
  expect_error_line "--no-partition applies to --model kv only" "--no-partition on register"

# ---- the example of docs/linearizability.md: its history is the file, its output is real ----
DOC=$SRC/docs/linearizability.md
block() { # block MARKER: the fenced block after the line holding MARKER
  awk -v m="$1" 'index($0, m) { found = 1; next } found && /^```/ { if (on) exit; on = 1; next } on { print }' "$DOC"
}
block 'example-history: tests/histories/stale-read.jsonl' >doc_history
cmp -s doc_history "$H/stale-read.jsonl" && pass || fail "docs example history differs from tests/histories/stale-read.jsonl"
block 'example-output:' >doc_output
[ -s doc_output ] && pass || fail "docs has no example output"
cmd=$(head -1 doc_output | sed 's/^\$ faultline //')
(cd "$SRC" && eval "\"$FL\" $cmd") >real_output 2>&1
rc=$?
[ $rc = 1 ] && pass || fail "docs example: exit $rc, expected 1"
tail -n +2 doc_output | diff - real_output >doc.diff && pass || fail "docs example output differs: $(cat doc.diff)"
finish
