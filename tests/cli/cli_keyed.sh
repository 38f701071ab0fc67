#!/usr/bin/env bash
# cli_keyed.sh -- decisions that stay put (docs/faults.md): every random decision about a
# message is keyed by its identity (src, dst, nth, copy), so removing one entry from a
# generated schedule leaves the decisions about every other message where they were.
# Takes raft-chaos seed 3's written schedule, keeps its timed entries (the per-message
# faults then come from the seed, as in the original run), removes 10 single entries
# one at a time (partitions, heals, timeouts and clock changes, spread over the
# schedule: a crash alone cannot go, its restart would restart an up node), runs each
# edited schedule and compares, per identity both runs have, the latency (deliver_ns -
# sent_ns, spike included) and whether it was dropped by loss (dropped:loss).  With
# epoch 1's shared stream, 44.65% of them stayed the same; keyed, 99.91% (a message the
# edited run sends into a partition, or at another time relative to the fault window,
# has another fate: that is the run, not the seed).  Then the same with the whole
# materialised schedule ("messages": "only") and one message entry removed each time.
# Prints the measurements.
source "$(dirname "$0")/lib/common.bash"

SC="$SRC/sim/scenarios/raft-chaos.json"
"$FL" run "$SC" --seed 3 --write-schedule s.json --db a.db >a.out 2>/dev/null
[ -s s.json ] && pass || fail "run --write-schedule wrote no schedule"
[ "$(sqlite3 a.db "SELECT count(*) FROM messages WHERE nth IS NULL OR copy IS NULL")" = 0 ] &&
  pass || fail "every recorded message has its identity (nth, copy)"
[ "$(sqlite3 a.db "SELECT count(*) FROM (SELECT src, dst, nth, copy FROM messages
  GROUP BY src, dst, nth, copy HAVING count(*) > 1)")" = 0 ] && pass ||
  fail "identities are unique within a run"
[ "$(sqlite3 a.db "SELECT count(*) FROM messages m WHERE copy = 0 AND nth <>
  (SELECT count(*) FROM messages o WHERE o.src = m.src AND o.dst = m.dst AND o.copy = 0
   AND o.msg_id <= m.msg_id)")" = 0 ] && pass ||
  fail "nth counts the original sends on the directed link, from 1"
copies=$(sqlite3 a.db "SELECT count(*) FROM messages WHERE copy > 0")
[ "$copies" -gt 0 ] && [ "$(sqlite3 a.db "SELECT count(*) FROM messages c WHERE copy > 0 AND NOT EXISTS
  (SELECT 1 FROM messages o WHERE o.src = c.src AND o.dst = c.dst AND o.nth = c.nth AND o.copy = 0)")" = 0 ] &&
  pass || fail "each of the $copies copies has its original's nth"

python3 - "$FL" "$SC" >measure.out 2>measure.err <<'PY'
import json, os, sqlite3, subprocess, sys
fl, sc = sys.argv[1], sys.argv[2]

def decisions(db):
    c = sqlite3.connect(db)
    rows = c.execute("SELECT src, dst, nth, copy, deliver_ns - sent_ns, fate, sent_ns FROM messages")
    return {(r[0], r[1], r[2], r[3]): (r[4], r[5] == 'dropped:loss', r[6]) for r in rows}

written = json.load(open('s.json'))
assert written['version'] == 2 and written['messages'] == 'only', 'not a format-2 "only" schedule'
sched = [e for e in written['entries'] if 'at_ns' in e]  # timed: a format-1 schedule
msg_entries = [e for e in written['entries'] if 'at_ns' not in e]
json.dump(sched, open('timed.json', 'w'))
subprocess.run([fl, 'run', sc, '--seed', '3', '--schedule', 'timed.json', '--db', 't.db'],
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
base = decisions('t.db')
removable = [i for i, e in enumerate(sched) if e['kind'] in ('partition', 'heal', 'timeout', 'clock')]
picks = [removable[k * len(removable) // 10] for k in range(10)]
total_common = total_same = 0
bad = []
for i in picks:
    e = sched[i]
    json.dump(sched[:i] + sched[i + 1:], open('e.json', 'w'))
    if os.path.exists('b.db'):
        os.remove('b.db')
    rc = subprocess.run([fl, 'run', sc, '--seed', '3', '--schedule', 'e.json', '--db', 'b.db'],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    other = decisions('b.db')
    common = [k for k in base if k in other]
    same = sum(1 for k in common if base[k][:2] == other[k][:2])
    # before the removed entry the two runs are one run: every decision is the same
    before = [k for k in base if base[k][2] < e['at_ns']]
    if rc not in (0, 1) or any(k not in other or other[k][:2] != base[k][:2] for k in before):
        bad.append(f"entry {i}: rc {rc}, a message sent before the entry changed")
    if same < 0.99 * len(common):
        bad.append(f"entry {i}: only {same} of {len(common)} decisions stayed")
    total_common += len(common)
    total_same += same
    print(f"removed entry {i:3d} ({e['kind']:9s} at {e['at_ns'] / 1e9:7.3f}s): "
          f"{len(base)} vs {len(other)} messages, {len(common)} identities in both, "
          f"{same} with the same decision ({100.0 * same / max(1, len(common)):.2f}%)")
print(f"total: {total_same} of {total_common} decisions stayed "
      f"({100.0 * total_same / max(1, total_common):.2f}%)")

# the materialised schedule: remove one message entry at a time
base = decisions('a.db')
for k in range(5):
    j = k * len(msg_entries) // 5
    gone = msg_entries[j]
    rest = dict(written, entries=[e for e in written['entries'] if e is not gone])
    json.dump(rest, open('m.json', 'w'))
    if os.path.exists('b.db'):
        os.remove('b.db')
    subprocess.run([fl, 'run', sc, '--seed', '3', '--schedule', 'm.json', '--db', 'b.db'],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    other = decisions('b.db')
    common = [k for k in base if k in other]
    same = sum(1 for k in common if base[k][:2] == other[k][:2])
    if same < 0.99 * len(common):
        bad.append(f"message entry {gone}: only {same} of {len(common)} decisions stayed")
    print(f"removed message entry {json.dumps(gone)}: {len(common)} identities in both, "
          f"{same} with the same decision ({100.0 * same / max(1, len(common)):.2f}%)")
for b in bad:
    print("BAD: " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
rc=$?
cat measure.out
[ $rc = 0 ] && pass || fail "decisions moved: $(cat measure.err)"
grep -q '^total: ' measure.out && pass || fail "no measurement"
[ "$(grep -c '^removed message entry' measure.out)" = 5 ] && pass || fail "no message-entry measurement"

# the same edited schedule twice: the same run
"$FL" run "$SC" --seed 3 --schedule e.json >one.out 2>/dev/null
"$FL" run "$SC" --seed 3 --schedule e.json >two.out 2>/dev/null
a=$(grep '^digest:' one.out) b=$(grep '^digest:' two.out)
[ -n "$a" ] && [ "$a" = "$b" ] && pass || fail "an edited schedule runs the same twice: $a vs $b"
finish
