#!/usr/bin/env bash
# cli_serve.sh -- `faultline serve`: a real server on a free port, every API endpoint's
# JSON checked against the database it reads (counts of runs, events, messages, drops,
# nodes, operations), the SQL box's safety (writes, ATTACH, writable pragmas, two
# statements, load_extension, a runaway recursive CTE stopped by the time limit, the row
# cap), bad requests (400, 404, 405, 403, never a crash), the headers of every answer,
# the command line's errors, and the file left exactly as it was.
source "$(dirname "$0")/lib/common.bash"
source "$(dirname "$0")/lib/serve.bash"
for tool in curl jq; do
  command -v $tool >/dev/null ||
    { echo "cli/cli_serve skipped: $tool not found (apt-get install $tool; make test installs it)"; exit 77; }
done

DB=$T/ui.db
serve_make_db "$DB"
sum_before=$(md5sum <"$DB")
q() { sqlite3 "$DB" "$1"; }
serve_start "$DB" || finish

# ---- meta, runs ----
expect_json /api/meta '.counts.runs' "$(q 'SELECT count(*) FROM runs')" "meta: runs"
expect_json /api/meta '.counts.failing' "$(q "SELECT count(*) FROM runs WHERE outcome <> 'ok'")" "meta: failing"
expect_json /api/meta '.sweeps[0].failing' "$(q "SELECT count(*) FROM runs WHERE sweep_id = 1 AND outcome <> 'ok'")" "meta: a sweep's failing runs"
expect_json /api/runs '.total' "$(q 'SELECT count(*) FROM runs')" "runs: total"
expect_json '/api/runs?limit=5' '.runs | length' 5 "runs: limit"
expect_json '/api/runs?outcome=violation' '.total' "$(q "SELECT count(*) FROM runs WHERE outcome = 'violation'")" "runs: outcome filter"
expect_json '/api/runs?sweep=1&failing=1' '.total' "$(q "SELECT count(*) FROM runs WHERE sweep_id = 1 AND outcome <> 'ok'")" "runs: a sweep's failing runs"
expect_json '/api/runs?sweep=1&failing=1' '[.runs[].outcome] | map(select(. == "ok")) | length' 0 "runs: failing has no ok run"
expect_json '/api/runs' '[.facets.outcome[] | "\(.value)=\(.n)"] | join(",")' \
  "$(q "SELECT group_concat(outcome || '=' || n, ',') FROM (SELECT outcome, count(*) AS n FROM runs GROUP BY 1 ORDER BY n DESC, 1)")" "runs: outcome facet"
expect_json '/api/runs?sort=seed&order=desc&sweep=1&limit=1' '.runs[0].seed' 16 "runs: sort by seed, descending"
expect_json '/api/runs?scenario=%3Cscript%3Ealert(1)%3C/script%3E' '.runs[0].scenario' '<script>alert(1)</script>' "runs: a scenario name round-trips"
get '/api/runs?scenario=%3Cscript%3Ealert(1)%3C/script%3E'
grep -q '<script>' "$T/body" && fail "runs: a raw <script> in the JSON" || pass
grep -qF '\u003cscript\u003e' "$T/body" && pass || fail "runs: < and > are not escaped in the JSON"
get '/api/runs.csv?sweep=1'
[ "$CODE" = 200 ] && [ "$(wc -l <"$T/body")" = 17 ] && head -1 "$T/body" | grep -q '^id,sweep,scenario,seed,outcome' &&
  pass || fail "runs.csv: HTTP $CODE, $(wc -l <"$T/body") lines: $(head -c 200 "$T/body")"
grep -qi '^content-type: text/csv' "$T/headers" && pass || fail "runs.csv: not text/csv"
expect_json '/api/runs.json?sweep=1' '.total' 16 "runs.json"
expect_status '/api/runs?sort=1;DROP' 400 "runs: a sort column not in the list" 'sort'
expect_status '/api/runs?order=sideways' 400 "runs: a bad order" 'order'
expect_status '/api/runs?limit=0' 400 "runs: limit 0" 'limit'
expect_status '/api/runs?sweep=x' 400 "runs: sweep not a number" 'sweep'
expect_status '/api/runs?format=xml' 400 "runs: an unknown format" 'format'

# ---- one run ----
R=1
N=$(q "SELECT json_extract(s.json, '$.nodes') FROM runs r JOIN scenarios s ON s.id = r.scenario_id WHERE r.id = $R")
LAST=$(q "SELECT steps - 1 FROM runs WHERE id = $R")
DROPS=$(q "SELECT count(*) FROM messages WHERE run_id = $R AND fate GLOB 'dropped:*'")
[ "$DROPS" -gt 0 ] && pass || fail "run $R has no dropped message to show"
expect_json /api/run/$R '.run.nodes' "$N" "run: nodes"
expect_json /api/run/$R '.counts.events' "$(q "SELECT count(*) FROM events WHERE run_id = $R")" "run: events"
expect_json /api/run/$R '.counts.messages' "$(q "SELECT count(*) FROM messages WHERE run_id = $R")" "run: messages"
expect_json /api/run/$R '.counts.dropped' "$DROPS" "run: drops"
expect_json /api/run/$R '.counts.duplicates' "$(q "SELECT count(*) FROM messages WHERE run_id = $R AND copy > 0")" "run: duplicates"
expect_json /api/run/$R '.faults | length' "$(q "SELECT count(*) FROM faults WHERE run_id = $R AND kind NOT IN ('drop', 'duplicate', 'delay')")" "run: the schedule's faults"
expect_json /api/run/$R '[.message_faults[].n] | add' "$(q "SELECT count(*) FROM faults WHERE run_id = $R AND kind IN ('drop', 'duplicate', 'delay')")" "run: the per-message faults"
expect_json /api/run/$R '.metrics | length' "$(q "SELECT count(*) FROM metrics WHERE run_id = $R")" "run: metrics"
SH=$(q "SELECT id FROM runs WHERE origin = 'shrink'")
P=$(q "SELECT parent_run FROM runs WHERE id = $SH")
expect_json /api/run/$P '[.related[] | "\(.relation) \(.origin)"] | join(",")' "child shrink" "run: its shrink"
expect_json /api/run/$SH '[.related[] | "\(.relation) \(.id)"] | join(",")' "parent $P" "shrink: its original"
expect_json /api/run/2 '.run.check' linearizability "run 2: its finding"
expect_json /api/run/2 '.history_ops.n' "$(q 'SELECT count(*) FROM history WHERE run_id = 2')" "run 2: its operations"

# ---- the diagram's window ----
W="/api/run/$R/diagram?from=0&to=$LAST"
expect_json "$W" '.events.rows | length' "$(q "SELECT count(*) FROM events WHERE run_id = $R")" "diagram: every step of the window"
expect_json "$W" '.messages.rows | length' "$(q "SELECT count(*) FROM messages WHERE run_id = $R")" "diagram: every message of the window"
expect_json "$W" '[.messages.rows[] | select(.[7] | startswith("dropped:"))] | length' "$DROPS" "diagram: drops"
expect_json "$W" '.nodes' "$N" "diagram: nodes"
expect_json "/api/run/$R/diagram?from=100&to=199" '[.events.rows[0][0], .events.rows[-1][0]] | join(",")' "100,199" "diagram: a window of steps"
expect_json "/api/run/$R/diagram?from=100&to=199" '.messages.rows | length' \
  "$(q "SELECT count(*) FROM messages WHERE run_id = $R AND (sent_step BETWEEN 100 AND 199 OR fate_step BETWEEN 100 AND 199)")" "diagram: the window's messages"
expect_json "/api/run/$R/diagram" '.window.to - .window.from + 1' 400 "diagram: the default window"
expect_status "/api/run/$R/diagram?from=0&to=9000" 400 "diagram: a window too wide" 'at most'
expect_status "/api/run/$R/diagram?from=$((LAST + 1))" 400 "diagram: a window past the end" 'steps 0'
expect_status "/api/run/$R/diagram?from=50&to=10" 400 "diagram: to before from" 'before'
M=$(q "SELECT min(msg_id) FROM messages WHERE run_id = $R AND fate GLOB 'dropped:*'")
expect_json "/api/run/$R/message/$M" '.message.body' "$(q "SELECT body FROM messages WHERE run_id = $R AND msg_id = $M")" "message: its body"
expect_json "/api/run/$R/message/$M" '.message.fate' "$(q "SELECT fate FROM messages WHERE run_id = $R AND msg_id = $M")" "message: its fate"
expect_status "/api/run/$R/message/999999" 404 "message: not in the run"

# ---- states, history, sweep ----
S=300
expect_json "/api/run/$R/state?step=$S" '.nodes | length' "$N" "state: every node"
for n in $(seq 1 "$N"); do
  want=$(q "SELECT json_extract(state, '$.term') FROM snapshots WHERE run_id = $R AND node = $n AND step <= $S ORDER BY step DESC LIMIT 1")
  expect_json "/api/run/$R/state?step=$S" ".nodes[$((n - 1))].after.state | fromjson | .term" "$want" "state: node $n's term"
done
expect_json "/api/run/$R/state?step=$S" '.logs | length' "$(q "SELECT count(*) FROM logs WHERE run_id = $R AND step = $S")" "state: the step's log lines"
expect_json "/api/run/$R/state?step=$S" '.event.kind' "$(q "SELECT kind FROM events WHERE run_id = $R AND step = $S")" "state: the step"
expect_status "/api/run/$R/state?step=$((LAST + 1))" 400 "state: a step past the end" 'step'
expect_status "/api/run/$R/state?step=-1" 400 "state: a negative step" 'step'
expect_json /api/run/2/history '.ops.rows | length' "$(q 'SELECT count(*) FROM history WHERE run_id = 2')" "history: operations"
expect_json /api/sweep/1 '[.outcomes[].runs] | add' 16 "sweep: outcomes"
expect_json /api/sweep/1 '[.violations[].runs] | add' "$(q "SELECT count(*) FROM runs WHERE sweep_id = 1 AND outcome <> 'ok'")" "sweep: violations"
expect_json /api/sweep/1 '.fail_times | length' "$(q "SELECT count(*) FROM runs WHERE sweep_id = 1 AND outcome <> 'ok' AND fail_time_ns IS NOT NULL")" "sweep: times to failure"
expect_json /api/sweep/1 '[.faults[] | select(.fault == "partition") | .failing] | .[0]' "$(q "SELECT count(*) FROM runs WHERE sweep_id = 1 AND outcome <> 'ok'")" "sweep: fault kinds of failing runs"
expect_status /api/sweep/9 404 "sweep: no such sweep"

# ---- SQL ----
expect_json '/api/sql?q=SELECT%20count(*)%20AS%20n%20FROM%20events' '.rows[0][0]' "$(q 'SELECT count(*) FROM events')" "sql: a count"
get '/api/sql.csv?q=SELECT%20id,%20outcome%20FROM%20runs%20ORDER%20BY%20id'
[ "$CODE" = 200 ] && [ "$(sed -n 2p "$T/body")" = "1,$(q 'SELECT outcome FROM runs WHERE id = 1')" ] && pass || fail "sql.csv: $(head -c 200 "$T/body")"
sqlq() { printf '/api/sql?q=%s' "$(jq -rn --arg s "$1" '$s|@uri')"; }
expect_status "$(sqlq "INSERT INTO meta VALUES ('x', 'y')")" 400 "sql: INSERT" 'read-only'
expect_status "$(sqlq "DELETE FROM runs")" 400 "sql: DELETE" 'read-only'
expect_status "$(sqlq "ATTACH DATABASE '$T/other.db' AS o")" 400 "sql: ATTACH" 'read-only'
[ ! -e "$T/other.db" ] && pass || fail "sql: ATTACH created a file"
expect_status "$(sqlq "PRAGMA writable_schema = 1")" 400 "sql: PRAGMA writable_schema" 'read-only'
expect_status "$(sqlq "PRAGMA query_only = 0")" 400 "sql: PRAGMA query_only = 0" 'read-only'
expect_status "$(sqlq "SELECT 1; DELETE FROM runs")" 400 "sql: a read, then a write" 'one SQL statement|read-only'
expect_status "$(sqlq "SELECT 1; SELECT 2")" 400 "sql: two reads" 'one SQL statement'
expect_status "$(sqlq "SELECT load_extension('/tmp/x.so')")" 400 "sql: load_extension" 'read-only|not authorized'
expect_status "$(sqlq "CREATE TEMP TABLE t(x)")" 400 "sql: CREATE TEMP TABLE" 'read-only'
expect_status "$(sqlq "UPDATE sqlite_master SET sql = ''")" 400 "sql: UPDATE sqlite_master" 'read-only|may not be modified'
expect_json "$(sqlq "SELECT count(*) FROM json_each('[1,2,3]')")" '.rows[0][0]' 3 "sql: a table-valued function"
expect_status "$(sqlq "PRAGMA table_info(runs)")" 200 "sql: an introspection pragma"
expect_status "$(sqlq "SELECT * FROM no_such_table")" 400 "sql: an error in the SQL" 'no such table'
t0=$(date +%s%N)
expect_status "$(sqlq "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c")" \
  400 "sql: a runaway recursive CTE" 'time limit of 2000 ms'
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -lt 6000 ] && pass || fail "sql: the runaway query took $ms ms"
expect_json "$(sqlq "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c")" \
  '[(.rows | length), .truncated] | join(",")' "10000,true" "sql: the row cap"
expect_status '/api/sql' 400 "sql: no q" 'no SQL'
expect_json /api/meta '.counts.runs' "$(q 'SELECT count(*) FROM runs')" "the server still answers after the SQL cases"

# ---- bad requests ----
expect_status /api/run/abc 400 "a run id that is not a number" 'bad id'
expect_status /api/run/99999999999999999999 400 "a run id too large" 'bad id'
expect_status /api/run/12345 404 "a run that does not exist" 'no run'
expect_status /run/12345 404 "the page of a run that does not exist"
expect_status /run/x 400 "the page of a bad run id"
expect_status /sweep/7 404 "the page of a sweep that does not exist"
expect_status /api/nothing 404 "an unknown API" 'no such API'
expect_status /nowhere 404 "an unknown page"
expect_status /static/nope.js 404 "a file that is not compiled in"
expect_status /static/../../../etc/passwd 404 "a path out of /static"
expect_status /static/%2e%2e%2f%2e%2e%2fetc%2fpasswd 404 "an encoded path out of /static"
expect_status '/api/run/1/state?step=%zz' 400 "a malformed query string"
expect_status '/api/run/1//state' 404 "an empty path segment"
long=$(head -c 600 /dev/zero | tr '\0' 'a')
expect_status "/$long" 400 "a path longer than 400 bytes"
expect_status '/api/run/1%00/state' 400 "a NUL in the path" 'bad id'
expect_status "/api/runs?$(seq -s '&' -f 'p%g=1' 1 500)" 200 "500 unknown parameters are ignored"
expect_status '/api/run/1/diagram?from=1&from=2&to=3' 200 "a repeated parameter: the first counts"
expect_status '/api/run/1/diagram?from=99999999999999999999' 400 "a number too large" 'integer'
for odd in '/api/run/-1' '/api/run/1/message/-1' '/api/run/0x10' '/api/sweep/1.5' '/run/1e3' '/state/1/2' '/api/run/1/message'; do
  get "$odd"
  case "$CODE" in 400 | 404) pass ;; *) fail "GET $odd: HTTP $CODE, expected 400 or 404" ;; esac
done
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$SERVE_PORT/api/runs")
[ "$code" = 405 ] && pass || fail "POST: HTTP $code, expected 405"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: evil.example:80' "http://127.0.0.1:$SERVE_PORT/api/meta")
[ "$code" = 403 ] && pass || fail "a foreign Host header: HTTP $code, expected 403 (DNS rebinding)"
exec 3<>"/dev/tcp/127.0.0.1/$SERVE_PORT"
printf 'GARBAGE\r\n\r\n' >&3
reply=$(timeout 5 head -c 12 <&3)
exec 3>&-
[ "$reply" = "HTTP/1.1 400" ] && pass || fail "a malformed request line: '$reply', expected HTTP/1.1 400"
exec 3<>"/dev/tcp/127.0.0.1/$SERVE_PORT"
head -c 30000 /dev/zero | tr '\0' 'a' | sed 's/^/GET \/api\/meta HTTP\/1.1\r\nX: /' >&3 2>/dev/null
exec 3>&-
kill -0 "$SERVE_PID" && pass || fail "the server died"
expect_json /api/meta '.counts.runs' "$(q 'SELECT count(*) FROM runs')" "the server still answers after the bad requests"

# ---- headers: the pages' policy, on pages, files and the API ----
for path in / /runs /run/1 /diagram/1 /static/app.js /static/style.css /api/meta; do
  get "$path"
  grep -qi "^content-security-policy: default-src 'self'" "$T/headers" && pass ||
    fail "$path: no Content-Security-Policy default-src 'self'"
  grep -qi '^x-content-type-options: nosniff' "$T/headers" && pass || fail "$path: no nosniff"
done
get /
grep -q '<script src="/static/app.js"' "$T/body" && ! grep -qE '<script>|<style>| on[a-z]+=' "$T/body" &&
  pass || fail "the page shell has inline script or style"

# ---- the docs' examples: every GET line of docs/ui.md answers 200 here ----
grep -E '^GET /' "$SRC/docs/ui.md" | cut -d' ' -f2 >"$T/doc_urls"
[ "$(wc -l <"$T/doc_urls")" -ge 8 ] && pass || fail "docs/ui.md lists fewer than 8 GET examples"
while IFS= read -r u; do expect_status "$u" 200 "docs/ui.md: GET $u"; done <"$T/doc_urls"

serve_stop
[ "$(md5sum <"$DB")" = "$sum_before" ] && pass || fail "the database changed while served"
ls "$T"/ui.db-* >/dev/null 2>&1 && fail "serve left files beside the database: $(ls "$T")" || pass

# ---- the command line ----
expect_exit 2 "serve: no DB" -- "$FL" serve && expect_error_line '^faultline: serve: missing DB' "serve: no DB"
expect_exit 2 "serve: missing file" -- "$FL" serve "$T/missing.db" &&
  expect_error_line 'missing.db: No such file or directory' "serve: missing file"
printf 'not a database' >"$T/junk.db"
expect_exit 2 "serve: not a database" -- "$FL" serve "$T/junk.db" &&
  expect_error_line 'not a faultline database' "serve: not a database"
expect_exit 2 "serve: bad port" -- "$FL" serve "$DB" --port 70000 &&
  expect_error_line '^faultline: serve: --port: expected 0..65535' "serve: bad port"
expect_exit 2 "serve: bad host" -- "$FL" serve "$DB" --host example.com &&
  expect_error_line '^faultline: serve: --host: expected an IP address' "serve: bad host"
expect_exit 2 "serve: unknown option" -- "$FL" serve "$DB" --bogus &&
  expect_error_line "unknown option '--bogus'" "serve: unknown option"
serve_start "$DB"
expect_exit 2 "serve: a port in use" -- "$FL" serve "$DB" --port "$SERVE_PORT" &&
  expect_error_line "cannot listen on 127.0.0.1 port $SERVE_PORT" "serve: a port in use"
serve_stop
"$FL" serve "$DB" --host 0.0.0.0 --port 0 >"$T/any.out" 2>"$T/any.err" &
pid=$!
sleep 0.5
kill "$pid"
wait "$pid"
rc=$?
grep -q "warning: 0.0.0.0 is not a loopback address" "$T/any.err" && [ "$(wc -l <"$T/any.err")" = 1 ] &&
  pass || fail "serve --host 0.0.0.0: no single warning line: $(cat "$T/any.err")"
[ "$rc" = 0 ] && pass || fail "serve stopped by SIGTERM: exit $rc, expected 0"
"$FL" serve --help | grep -q '^usage: faultline serve DB' && pass || fail "serve --help"

# ---- docs/ui.md's console example: the sweep, then serve's first line ----
awk '$0 == "```console" { on = 1; next } on && $0 == "```" { exit } on' "$SRC/docs/ui.md" >"$T/console"
mkdir -p "$T/tour"
sweep_cmd=$(sed -n 's/^\$ faultline sweep /sweep /p' "$T/console" | sed "s| sim/| $SRC/sim/|")
(cd "$T/tour" && eval "\"\$FL\" $sweep_cmd" >/dev/null 2>&1)
[ -s "$T/tour/faultline.db" ] && pass || fail "docs/ui.md: the sweep example wrote no faultline.db"
(cd "$T/tour" && exec "$FL" serve faultline.db --port 0 >"$T/tour/out" 2>&1) &
tour_pid=$! # exec: the subshell is the server, so this is the server's pid
sleep 0.5
kill "$tour_pid"
wait "$tour_pid"
want=$(sed -n 's/^serving /serving /p' "$T/console")
got=$(sed 's/:[0-9][0-9]*\//:8080\//' "$T/tour/out")
[ "$got" = "$want" ] && pass || fail "docs/ui.md: serve says '$got', the docs '$want'"

# ---- beside a sweep that is writing the file, its new runs appear ----
"$FL" sweep "$SRC/sim/scenarios/raft-chaos.json" --seeds 5000 -j 1 --db "$T/live.db" --quiet \
  --set run.until=2s --set 'faults.window=["100ms","1s"]' --set run.liveness=500ms >/dev/null 2>&1 &
sweep_pid=$!
for _ in $(seq 1 200); do # until the sweep has created the file and committed a run
  n=$("$FL" query "$T/live.db" 'SELECT count(*) AS n FROM runs' --format csv 2>/dev/null | tail -1)
  [ "${n:-0}" -gt 0 ] 2>/dev/null && break
  sleep 0.05
done
serve_start "$T/live.db" && {
  get /api/meta
  first=$(jq .counts.runs "$T/body")
  sleep 1
  get /api/meta
  second=$(jq .counts.runs "$T/body")
  [ "$second" -gt "$first" ] && pass || fail "serve beside a sweep: $first runs, then $second a second later"
  kill -INT "$sweep_pid"
  wait "$sweep_pid"
  get /api/meta
  [ "$CODE" = 200 ] && [ "$(jq .counts.runs "$T/body")" -ge "$second" ] && pass ||
    fail "serve after the sweep stopped: HTTP $CODE $(head -c 200 "$T/body")"
  serve_stop
}
kill "$sweep_pid" 2>/dev/null

# ---- schema 1 is refused, saying how to upgrade; schema 2 is served as it is ----
cp "$SRC/tests/data/schema-v1.db" "$T/v1.db"
expect_exit 2 "serve: schema 1" -- "$FL" serve "$T/v1.db" &&
  expect_error_line 'schema version 1 is too old to serve \(run `faultline migrate .*v1.db` first\)' "serve: schema 1"
cp "$SRC/tests/data/schema-v2.db" "$T/v2.db"
v2sum=$(md5sum <"$T/v2.db")
serve_start "$T/v2.db" && {
  expect_json /api/runs '.total' "$(sqlite3 "$T/v2.db" 'SELECT count(*) FROM runs')" "schema 2: runs"
  r=$(sqlite3 "$T/v2.db" "SELECT min(id) FROM runs WHERE recorded = 'all'")
  expect_json "/api/run/$r" '.counts.events' "$(sqlite3 "$T/v2.db" "SELECT count(*) FROM events WHERE run_id = $r")" "schema 2: a run"
  expect_json "/api/run/$r/diagram" '.nodes > 0' true "schema 2: a diagram"
  expect_json "/api/run/$r/history" '.ops.rows | length' 0 "schema 2: no history table"
  serve_stop
}
[ "$(md5sum <"$T/v2.db")" = "$v2sum" ] && pass || fail "schema 2: the file changed"
finish
