#!/usr/bin/env bash
# cli_serve_browser.sh -- the web UI's pages in a real browser: Debian's chromium,
# headless, driven over the DevTools protocol on a pipe (lib/cdp.js, node), resolving no
# host but 127.0.0.1.  The run page draws one line per node and one cross per dropped
# message; a crashed node's line is broken; the scenario named <script>alert(1)</script>
# is text; every page renders; screenshots go to build/screenshots/; and on a
# 100,000-step recorded run the diagram's first render, measured in the page, is under
# 1 s while the server's memory stays bounded.  Skipped (exit 77, saying why) under the
# sanitizers and without chromium or node.
source "$(dirname "$0")/lib/common.bash"
source "$(dirname "$0")/lib/serve.bash"

NOTE=$BUILD/serve-browser-skipped.txt
rm -f "$NOTE"
skip() {
  echo "cli/cli_serve_browser skipped: $1" | tee "$NOTE"
  exit 77
}
[ "${FL_SANITIZED:-}" = 1 ] && skip "under the sanitizers (chromium is not built with them; the server's API is tested by cli_serve)"
command -v chromium >/dev/null || skip "chromium not found (apt-get install chromium; make test installs it)"
command -v node >/dev/null || skip "node not found (apt-get install nodejs; make test installs it)"

SHOTS=$BUILD/screenshots
mkdir -p "$SHOTS"
: >"$T/jobs.jsonl"
: >"$T/wants"
# want PATH EXPR WANT DESCRIPTION: queue a check (one browser runs them all: run_wants)
want() {
  jq -nc --arg u "http://127.0.0.1:$SERVE_PORT$1" --arg e "$2" '{url: $u, evals: [$e]}' >>"$T/jobs.jsonl"
  jq -nc --arg p "$1" --arg e "$2" --arg w "$3" --arg d "$4" '{p: $p, e: $e, w: $w, d: $d}' >>"$T/wants"
}
# shot PATH NAME: queue a screenshot of PATH into $SHOTS/NAME.png
shot() {
  jq -nc --arg u "http://127.0.0.1:$SERVE_PORT$1" --arg f "$SHOTS/$2.png" '{url: $u, shot: $f}' >>"$T/jobs.jsonl"
  jq -nc --arg f "$SHOTS/$2.png" '{shot: $f}' >>"$T/wants"
}
run_wants() {
  jq -s . "$T/jobs.jsonl" >"$T/jobs.json"
  if ! node "$SRC/tests/cli/lib/cdp.js" "$T/jobs.json" >"$T/cdp.out" 2>"$T/cdp.err"; then
    fail "browser: $(cat "$T/cdp.err")"
    return 1
  fi
  local i=0 w got
  while IFS= read -r w; do
    i=$((i + 1))
    if [ "$(jq -r '.shot // empty' <<<"$w")" != "" ]; then
      [ -s "$(jq -r .shot <<<"$w")" ] && pass || fail "no screenshot $(jq -r .shot <<<"$w")"
      continue
    fi
    got=$(sed -n "${i}p" "$T/cdp.out" | jq -r '.[0] | tostring')
    [ "$got" = "$(jq -r .w <<<"$w")" ] && pass ||
      fail "$(jq -r .d <<<"$w"): $(jq -r .p <<<"$w"): $(jq -r .e <<<"$w") = '$got', expected '$(jq -r .w <<<"$w")'"
  done <"$T/wants"
  : >"$T/jobs.jsonl"
  : >"$T/wants"
}
ERR='document.getElementById("error") ? document.getElementById("error").textContent : "none"'

DB=$T/ui.db
serve_make_db "$DB"
q() { sqlite3 "$DB" "$1"; }
serve_start "$DB" || finish

# ---- the run page's diagram, the whole run in one window ----
R=1
N=$(q "SELECT json_extract(s.json, '$.nodes') FROM runs r JOIN scenarios s ON s.id = r.scenario_id WHERE r.id = $R")
LAST=$(q "SELECT steps - 1 FROM runs WHERE id = $R")
DROPS=$(q "SELECT count(*) FROM messages WHERE run_id = $R AND fate GLOB 'dropped:*'")
DUPS=$(q "SELECT count(*) FROM messages WHERE run_id = $R AND copy > 0 AND fate = 'delivered'")
DELIVERED=$(q "SELECT count(*) FROM messages WHERE run_id = $R AND fate = 'delivered'")
RP="/run/$R?from=0&to=$LAST"
want "$RP" "$ERR" none "run page: no error"
want "$RP" 'document.querySelectorAll("g.node-line").length' "$N" "run page: a line per node"
want "$RP" 'document.querySelectorAll("g.drop").length' "$DROPS" "run page: a cross per dropped message"
want "$RP" 'document.querySelectorAll("line.msg.delivered").length' "$DELIVERED" "run page: an arrow per delivered message"
want "$RP" 'document.querySelectorAll("line.msg.delivered.dup").length' "$DUPS" "run page: duplicates dashed"
FS=$(q "SELECT count(*) FROM faults WHERE run_id = $R AND kind IN ('partition','heal','crash','restart','timeout','clock')")
want "$RP" 'document.querySelectorAll("#fault-strip circle").length' "$FS" "run page: a mark per schedule entry on the fault strip"
want "$RP" 'document.getElementById("bites").textContent' \
  "what bit: crashes that lost unsynced writes $(q "SELECT value FROM metrics WHERE run_id = $R AND name = 'faults.crash.with_lost_writes'"), partitions that cut messages $(q "SELECT value FROM metrics WHERE run_id = $R AND name = 'faults.partition.with_cut_messages'")" \
  "run page: what bit"
PS=$(q "SELECT count(*) FROM events WHERE run_id = $R AND kind = 'partition'")
want "$RP" 'document.querySelectorAll("g.partition").length' "$PS" "run page: a shaded band per partition"

# ---- a crashed node's line is broken until its restart ----
C=$(q "SELECT e.run_id FROM events e JOIN runs r ON r.id = e.run_id WHERE e.kind = 'crash' AND r.recorded = 'all' AND r.steps <= 5000 ORDER BY e.run_id LIMIT 1")
if [ -n "$C" ]; then
  CN=$(q "SELECT node FROM events WHERE run_id = $C AND kind = 'crash' ORDER BY step LIMIT 1")
  CL=$(q "SELECT steps - 1 FROM runs WHERE id = $C")
  CRASHES=$(q "SELECT count(*) FROM events WHERE run_id = $C AND node = $CN AND kind = 'crash'")
  RESTARTS=$(q "SELECT count(*) FROM events WHERE run_id = $C AND node = $CN AND kind = 'start' AND step > (SELECT min(step) FROM events WHERE run_id = $C AND kind = 'crash' AND node = $CN)")
  want=$((1 + RESTARTS))
  want "/diagram/$C?from=0&to=$CL" "document.querySelectorAll('g.node-line[data-node=\"$CN\"] line.up').length" "$want" \
    "diagram: node $CN's line in pieces ($CRASHES crashes, $RESTARTS restarts)"
  want "/diagram/$C?from=0&to=$CL" "document.querySelectorAll('g.node-line[data-node=\"$CN\"] .crash-text').length" "$CRASHES" \
    "diagram: node $CN's crashes marked"
else
  fail "the test database has no recorded run with a crash"
fi

# ---- escaping: the scenario named <script>alert(1)</script> is text ----
X=$(q "SELECT r.id FROM runs r JOIN scenarios s ON s.id = r.scenario_id WHERE s.name LIKE '<script>%'")
want "/run/$X" 'document.getElementById("scenario-name").textContent' '<script>alert(1)</script>' "run page: the scenario's name as text"
want "/run/$X" 'document.scripts.length' 3 "run page: no script but the UI's own"
want '/runs?scenario=%3Cscript%3Ealert(1)%3C/script%3E' \
  '[...document.querySelectorAll("#runs .scenario")].map(e => e.textContent).join("|")' '<script>alert(1)</script>' \
  "runs page: the scenario's name as text"

# ---- every page renders what the database holds ----
want /runs 'document.querySelectorAll("#runs tbody tr").length' "$(q 'SELECT min(count(*), 100) FROM runs')" "runs page: a row per run"
want '/runs?outcome=violation' 'document.getElementById("run-total").textContent' "$(q "SELECT count(*) FROM runs WHERE outcome = 'violation'")" "runs page: a facet's filter"
want "/state/$R?step=300" 'document.querySelectorAll(".node-state").length' "$N" "state page: every node"
CH=$(q "SELECT min(step) FROM snapshots WHERE run_id = $R AND step > 10")
want "/state/$R?step=$CH" 'document.querySelectorAll(".node-state tr.changed").length > 0' true "state page: changes highlighted"
want "/state/$R?step=300" 'document.getElementById("step").value' 300 "state page: the step in its field"
want /history/2 'document.querySelectorAll("g.op").length' "$(q 'SELECT count(*) FROM history WHERE run_id = 2')" "history page: an operation per bar"
want /history/2 'document.querySelectorAll("g.op.culprit").length' 1 "history page: the operation that cannot be linearized"
want /sweep/1 'document.querySelectorAll("#chart-outcomes rect").length' "$(q 'SELECT count(DISTINCT outcome) FROM runs WHERE sweep_id = 1')" "sweep page: a bar per outcome"
want /sweep/1 'document.getElementById("sweep-failing").textContent' "$(q "SELECT count(*) FROM runs WHERE sweep_id = 1 AND outcome <> 'ok'") failing" "sweep page: its failing runs"
want "/shrink/$(q "SELECT parent_run FROM runs WHERE origin = 'shrink'")" 'document.querySelectorAll(".shrink-col").length' 2 "shrink page: the shrunk run beside its original"
want '/sql?q=SELECT%20id%20FROM%20runs' 'document.querySelectorAll("#sql-table tbody tr").length' "$(q 'SELECT count(*) FROM runs')" "SQL page: a row per row"
want '/sql?q=DELETE%20FROM%20runs' 'document.getElementById("sql-error").textContent' 'query: only read-only SQL is allowed' "SQL page: a write refused"
# a message's body on click, and the view in the URL
M=$(q "SELECT min(msg_id) FROM messages WHERE run_id = $R AND sent_step BETWEEN 100 AND 300")
want "/diagram/$R?from=100&to=300&msg=$M" 'new Promise(r => setTimeout(() => r(document.getElementById("msg-body") && document.getElementById("msg-body").textContent), 500))' \
  "$(q "SELECT body FROM messages WHERE run_id = $R AND msg_id = $M")" "diagram: the selected message's body"
want "/diagram/$R?from=100&to=300&y=step" 'document.getElementById("diagram").dataset.y + " " + document.getElementById("diagram").dataset.from' "step 100" "diagram: the view from the URL"

# ---- screenshots for review (docs/ui.md shows them) ----
shot /runs runs
shot "/diagram/$R?from=100&to=300" diagram
shot "/state/$R?step=$CH" state
shot "/run/$(q "SELECT min(id) FROM runs WHERE sweep_id = 1 AND outcome <> 'ok' AND recorded = 'all'")" run
shot /history/2 history
shot /sweep/1 sweep
run_wants
serve_stop

# ---- a 100,000-step recorded run ----
BIG=$T/big.db
"$FL" run "$SRC/sim/scenarios/raft-chaos.json" --seed 3 --db "$BIG" --set run.until=400s \
  --set 'faults.window=["500ms","390s"]' --set run.max_steps=100000 >/dev/null 2>&1
[ "$(sqlite3 "$BIG" 'SELECT steps FROM runs')" = 100000 ] && pass || fail "the big run has $(sqlite3 "$BIG" 'SELECT steps FROM runs') steps"
serve_start "$BIG" || finish
rss() { awk '/^VmHWM/ {print $2}' "/proc/$SERVE_PID/status"; }
before=$(rss)
for from in 0 25000 50000 75000 95000; do
  get "/api/run/1/diagram?from=$from&to=$((from + 4999))"
  get "/api/run/1/state?step=$((from + 4000))"
done
get /api/run/1
# each page in a browser of its own: a cold first render, as a user's first visit
for path in "/diagram/1" "/diagram/1?from=50000&to=50399&y=step" "/run/1"; do
  jq -nc --arg u "http://127.0.0.1:$SERVE_PORT$path" '[{url: $u, evals: ["document.getElementById(\"render-ms\").dataset.ms", "document.querySelectorAll(\"#diagram *\").length"]}]' >"$T/big.json"
  if ! node "$SRC/tests/cli/lib/cdp.js" "$T/big.json" >"$T/big.out" 2>"$T/cdp.err"; then
    fail "browser: $path: $(cat "$T/cdp.err")"
    continue
  fi
  ms=$(jq -r '.[0]' "$T/big.out")
  elems=$(jq -r '.[1]' "$T/big.out")
  echo "100,000 steps: $path: first render ${ms} ms after navigation, $elems SVG elements"
  awk -v m="$ms" 'BEGIN { exit !(m > 0 && m < 1000) }' && pass || fail "$path: first render $ms ms (over 1 s)"
  [ "$elems" -lt 5000 ] && pass || fail "$path: $elems SVG elements (the window must stay small)"
done
after=$(rss)
echo "100,000 steps: server peak RSS ${before} kB at start, ${after} kB after 16 API windows and 3 pages"
[ "$after" -lt 65536 ] && pass || fail "the server's peak RSS is $after kB (over 64 MB)"
finish
