# serve.bash -- helpers for the tests of `faultline serve`: start a real server on a free
# port of the loopback, fetch from it, stop it.  Source after common.bash.

SERVE_PID=
SERVE_PORT=

# serve_start DB [ARGS...]: start the server in the background, wait for its
# "serving ... at http://127.0.0.1:PORT/" line; sets SERVE_PID and SERVE_PORT.
serve_start() {
  : >"$T/serve.out" # before the server starts: never read an earlier server's line
  : >"$T/serve.err"
  "$FL" serve "$@" --port 0 >"$T/serve.out" 2>"$T/serve.err" &
  SERVE_PID=$!
  for _ in $(seq 1 200); do
    SERVE_PORT=$(sed -n 's|^serving .* at http://[^ ]*:\([0-9][0-9]*\)/ .*|\1|p' "$T/serve.out")
    [ -n "$SERVE_PORT" ] && return 0
    kill -0 "$SERVE_PID" 2>/dev/null || break
    sleep 0.05
  done
  fail "serve $*: did not start: $(cat "$T/serve.out" "$T/serve.err")"
  return 1
}

# serve_stop: SIGTERM, and the server must end with exit 0 and nothing on stderr (under
# the sanitizers: no leak, no error report).
serve_stop() {
  [ -n "$SERVE_PID" ] || return 0
  kill "$SERVE_PID" 2>/dev/null
  wait "$SERVE_PID" 2>/dev/null
  local rc=$?
  SERVE_PID=
  [ "$rc" = 0 ] && [ ! -s "$T/serve.err" ] && pass ||
    fail "serve stopped with exit $rc: $(head -c 600 "$T/serve.err")"
}
trap '[ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null; rm -rf "$T"' EXIT

# get PATH: the body into $T/body, the status code into $CODE, headers into $T/headers.
get() {
  CODE=$(curl -s -g -o "$T/body" -D "$T/headers" -w '%{http_code}' "http://127.0.0.1:$SERVE_PORT$1")
}

# expect_json PATH JQ WANT DESCRIPTION: GET PATH is 200 and `jq -r JQ` of it is WANT.
expect_json() {
  get "$1"
  if [ "$CODE" != 200 ]; then
    fail "$4: GET $1: HTTP $CODE: $(head -c 300 "$T/body")"
    return 1
  fi
  local got
  got=$(jq -r "$2" <"$T/body" 2>&1)
  if [ "$got" = "$3" ]; then pass; else fail "$4: GET $1 | jq '$2' = '$got', expected '$3'"; fi
}

# expect_status PATH CODE DESCRIPTION [PATTERN]: GET PATH gives CODE (and a body matching).
expect_status() {
  get "$1"
  if [ "$CODE" != "$2" ]; then
    fail "$3: GET $1: HTTP $CODE, expected $2: $(head -c 300 "$T/body")"
    return 1
  fi
  if [ -n "${4:-}" ] && ! grep -qE -e "$4" "$T/body"; then
    fail "$3: GET $1: body '$(head -c 300 "$T/body")' does not match /$4/"
    return 1
  fi
  pass
}

# The pages: the server's own database of a few kinds of runs, in $T/ui.db.
#   run 1: raft-chaos seed 3 over 3 s (drops, duplicates, partitions, crashes)
#   run 2: stale-read (a linearizability violation with a client history)
#   run 3: a scenario named <script>alert(1)</script>
#   sweep 1: raft-chaos with a known bug, 16 seeds (7 pass, 9 fail)
#   the last run: a shrink of the sweep's first failing run (origin 'shrink', parent_run
#     that run), capped at 20 candidates to stay quick
serve_make_db() {
  local db=$1
  "$FL" run "$SRC/sim/scenarios/raft-chaos.json" --seed 3 --db "$db" --set run.until=3s \
    --set 'faults.window=["100ms","2s"]' --set run.liveness=1s >/dev/null 2>&1
  "$FL" run "$SRC/tests/clients/stale-read.json" --db "$db" >/dev/null 2>&1
  "$FL" run "$SRC/sim/scenarios/echo.json" --seed 2 --db "$db" --set run.until=1s \
    --set 'name=<script>alert(1)</script>' >/dev/null 2>&1
  "$FL" sweep "$SRC/sim/scenarios/raft-chaos.json" --seeds 16 --db "$db" --quiet \
    --set 'params.bugs=["keep_conflicts"]' --set run.until=5s --set 'faults.window=["200ms","4s"]' \
    --set run.liveness=1s >/dev/null 2>&1
  local failing
  failing=$(sqlite3 "$db" "SELECT min(id) FROM runs WHERE sweep_id = 1 AND outcome <> 'ok'")
  "$FL" shrink "$db" "$failing" -j 2 --max-candidates 20 --out "$T/shrunk.json" >/dev/null 2>&1
  [ "$(sqlite3 "$db" 'SELECT count(*) FROM runs WHERE sweep_id IS NULL')" = 4 ] && pass ||
    fail "the test database: $(sqlite3 "$db" 'SELECT id, outcome FROM runs')"
}
