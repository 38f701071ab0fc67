#!/usr/bin/env bash
# cli_module_missing.sh -- a module protocol (etcd-raft) that is not there is a clear
# error, not a crash: a faultline without the module beside it (here: a copy of the
# binary in an empty directory) refuses `"protocol": "etcd-raft"` with one line and exit
# 2, writes no database, and `faultline protocols` says so; in a tree where the module is
# not built at all, the line says why.
source "$(dirname "$0")/lib/common.bash" "$@"

mkdir bin && cp "$FL" bin/faultline
for cmd in "run" "sweep --seeds 2 --db s.db --quiet"; do
  if expect_exit 2 "$cmd without the module" -- bin/faultline $cmd --set protocol=etcd-raft; then
    expect_error_line 'protocol: etcd-raft: (its module .*libetcd-raft.so is missing \(rebuild faultline\)|not built in this faultline \(.*\))' \
      "$cmd without the module"
  fi
done
[ ! -e s.db ] && pass || fail "a refused sweep left a database behind"
bin/faultline protocols >list.txt 2>&1
grep -A1 -x etcd-raft list.txt | grep -q 'not built: ' && pass ||
  fail "protocols does not say that etcd-raft is missing: $(grep -A1 -x etcd-raft list.txt)"
finish
