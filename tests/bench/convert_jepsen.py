#!/usr/bin/env python3
"""convert_jepsen.py -- turn Jepsen-style logs into faultline's JSON-lines history format.

Two input styles are understood (the ones of published Jepsen test data):
  etcd register logs, one event per line:
      INFO  jepsen.util - 3   :invoke :cas    [3 0]
  EDN maps, one per line (kv tests):
      {:process 2, :type :ok, :f :get, :key "1", :value "x 2 0 y"}
A register op that timed out (":timed-out" as its value) becomes a completion of type
info (fail for a read: a read that timed out did not constrain anything) that repeats
its invocation's value.

usage: convert_jepsen.py IN OUT      (one file)
       convert_jepsen.py INDIR OUTDIR (every file; OUT names end in .jsonl)
"""
import json
import os
import re
import sys

EDN = re.compile(r'\{:process (\d+), :type :(\w+), :f :(\w+), :key "(.*?)", :value (nil|"(.*)")\}$')


def reg_value(f, text):
    if text == "nil":
        return None
    if text.startswith("["):
        return [int(x) for x in text.strip("[]").split()]
    return int(text)


def convert_register(lines):
    pending = {}
    for line in lines:
        tok = line.split()
        if len(tok) < 7 or tok[1] != "jepsen.util":
            continue
        proc, typ, f, val = int(tok[3]), tok[4][1:], tok[5][1:], " ".join(tok[6:])
        if typ == "invoke":
            v = reg_value(f, val)
            pending[proc] = v
        elif val == ":timed-out":
            v = pending.pop(proc, None)
            typ = "fail" if f == "read" else "info"
            if f == "read":
                v = None
        else:
            pending.pop(proc, None)
            v = reg_value(f, val)
        yield {"process": proc, "type": typ, "f": f, "value": v}


def convert_kv(lines):
    for line in lines:
        m = EDN.match(line.strip())
        if not m:
            continue
        proc, typ, f, key, raw, s = m.groups()
        yield {"process": int(proc), "type": typ, "f": f, "key": key,
               "value": None if raw == "nil" else s}


def convert(src, dst):
    with open(src) as fh:
        lines = fh.read().splitlines()
    kv = any(l.startswith("{:process") for l in lines[:5])
    events = convert_kv(lines) if kv else convert_register(lines)
    with open(dst, "w") as out:
        for e in events:
            out.write(json.dumps(e) + "\n")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src, dst = sys.argv[1], sys.argv[2]
    if os.path.isdir(src):
        os.makedirs(dst, exist_ok=True)
        for name in sorted(os.listdir(src)):
            base = os.path.splitext(name)[0]
            convert(os.path.join(src, name), os.path.join(dst, base + ".jsonl"))
    else:
        convert(src, dst)


if __name__ == "__main__":
    main()
