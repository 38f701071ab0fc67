#!/usr/bin/env bash
# Scale-out on a real Slurm cluster: a one-node cluster brought up by hand under the test's
# temporary directory (munged on a private socket, slurmctld, slurmd; no systemd), the
# sweep submitted as a 4-task job array (`--shard K/4`, one database per task) and a
# merge job that depends on it; the merged database must equal the unsharded sweep.
# docs/scale-out.md shows the same job scripts.
#
# Needs Debian's slurm-wlm and munge: installed with apt-get when missing and we are root;
# otherwise (or when the cluster cannot come up) the test is skipped, saying why, and
# exits 0.  The daemons are stopped by the pids this script started them with.
source "$(dirname "$0")/lib/common.bash"

q() { "$FL" query "$@" --format csv | tail -n +2; }
ECHO="$SRC/sim/scenarios/echo.json"
WAIT_S=100 # for the jobs, once submitted
PIDS=()    # daemons we started, stopped in this order reversed

skip() {
  echo "cli_slurm: skipped: $*" >&2
  echo "cli_slurm: 0 passed, 0 failed, 1 skipped"
  exit 0
}

stop_daemons() {
  [ -n "${GUARD:-}" ] && kill "$GUARD" 2>/dev/null
  # Jobs first (their slurmstepd would outlive slurmd), then the daemons, newest first.
  [ -n "${JOBS:-}" ] && SLURM_CONF="$T/slurm.conf" scancel $JOBS >/dev/null 2>&1
  local i p
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    p=${PIDS[i]}
    kill "$p" 2>/dev/null || continue
    for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
  PIDS=()
}
trap 'stop_daemons; rm -rf "$T"' EXIT

# ---- the packages
TOOLS=(munged mungekey slurmctld slurmd sbatch scontrol sinfo scancel)
have_tools() {
  local t
  for t in "${TOOLS[@]}"; do command -v "$t" >/dev/null || { MISSING=$t; return 1; }; done
}
if ! have_tools; then
  [ "$(id -u)" = 0 ] || skip "slurm-wlm and munge are not installed, and installing them needs root"
  command -v apt-get >/dev/null || skip "slurm-wlm and munge are not installed, and there is no apt-get"
  # No daemon may start on its own from the packages' scripts: the only ones running
  # are the ones this test starts and stops (Docker images have this file already).
  made_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && made_policy=1
  fi
  # Bounded (ctest gives the whole test 300 s): waiting for another dpkg, an update, retry.
  export DEBIAN_FRONTEND=noninteractive
  APT=(apt-get -o DPkg::Lock::Timeout=60 -y -q)
  timeout 120 "${APT[@]}" install slurm-wlm munge >apt.log 2>&1 ||
    { timeout 40 "${APT[@]}" update >>apt.log 2>&1 &&
      timeout 120 "${APT[@]}" install slurm-wlm munge >>apt.log 2>&1; }
  [ $made_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
  have_tools || skip "no $MISSING after apt-get install slurm-wlm munge: $(tail -1 apt.log)"
fi
[ "$(id -u)" = 0 ] || skip "slurmd must run as root to start jobs"

# ---- munged on a private socket (munged insists on a directory only we can write)
chmod 755 "$T"
mkdir -m 755 "$T/munge" "$T/state" "$T/spool"
mungekey --create --keyfile="$T/munge/munge.key" >mungekey.log 2>&1 ||
  skip "mungekey failed: $(tail -1 mungekey.log)"
munged -F --socket="$T/munge/munge.socket" --key-file="$T/munge/munge.key" \
  --pid-file="$T/munge/munged.pid" --log-file="$T/munge/munged.log" \
  --seed-file="$T/munge/munged.seed" >munged.log 2>&1 &
PIDS+=($!)
for _ in $(seq 1 50); do [ -S "$T/munge/munge.socket" ] && break; sleep 0.1; done
[ -S "$T/munge/munge.socket" ] || skip "munged did not start: $(tail -1 munged.log)"

# ---- slurm.conf: one node, this machine, nothing that needs cgroups, accounting or systemd
free_port() {
  local p=$1
  while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
  echo "$p"
}
CTLD_PORT=$(free_port $((20000 + $$ % 20000)))
SLURMD_PORT=$(free_port $((CTLD_PORT + 1)))
NODE=$(slurmd -C 2>/dev/null | head -1 | grep -o 'CPUs=.*RealMemory=[0-9]*')
[ -n "$NODE" ] || skip "slurmd -C did not describe this machine"
cat >"$T/slurm.conf" <<EOF
ClusterName=faultline
SlurmctldHost=localhost
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$T/munge/munge.socket
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/slurmctld.log
SlurmdLogFile=$T/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerParameters=sched_min_interval=0,batch_sched_delay=0
ReturnToService=2
MpiDefault=none
MailProg=/bin/true
NodeName=localhost NodeHostname=localhost $NODE State=UNKNOWN
PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$T/slurm.conf"
slurmctld -D -i -f "$SLURM_CONF" >slurmctld.out 2>&1 &
PIDS+=($!)
slurmd -D -N localhost -f "$SLURM_CONF" >slurmd.out 2>&1 &
PIDS+=($!)
state=""
for _ in $(seq 1 300); do
  state=$(sinfo -h -n localhost -o %t 2>/dev/null)
  [ "$state" = idle ] && break
  sleep 0.1
done
# If this shell is killed outright (a ctest timeout sends SIGKILL), no trap runs: a guard
# process stops the daemons when it sees this shell gone.
(
  trap - EXIT
  while kill -0 $$ 2>/dev/null; do sleep 1; done
  kill "${PIDS[@]}" 2>/dev/null
  sleep 3
  kill -9 "${PIDS[@]}" 2>/dev/null
) >/dev/null 2>&1 &
GUARD=$!
[ "$state" = idle ] ||
  skip "the Slurm node did not come up (state '$state'): $(tail -1 "$T/slurmctld.log" 2>/dev/null)"
pass

# ---- the sweep as a job array, the merge as a dependent job (as docs/scale-out.md)
S=(--set run.until=1s --seeds 1..30)
cat >shard.sh <<EOF
#!/bin/bash
exec "$FL" sweep "$ECHO" ${S[*]} --shard \$((SLURM_ARRAY_TASK_ID))/4 \\
  --db shard-\$((SLURM_ARRAY_TASK_ID)).db -j 1 --quiet
EOF
cat >merge.sh <<EOF
#!/bin/bash
exec "$FL" merge merged.db shard-1.db shard-2.db shard-3.db shard-4.db
EOF
ARRAY=$(sbatch --parsable --array=1-4 --chdir="$T" -o "$T/shard-%a.out" shard.sh 2>sbatch.err)
[ -n "$ARRAY" ] && pass || fail "sbatch of the array: $(cat sbatch.err)"
# afterany, as docs/scale-out.md says: a shard with failing seeds exits 1 and is merged too
MERGE=$(sbatch --parsable --dependency="afterany:$ARRAY" --chdir="$T" \
  -o "$T/merge.out" merge.sh 2>sbatch.err)
[ -n "$MERGE" ] && pass || fail "sbatch of the merge: $(cat sbatch.err)"
JOBS="$ARRAY $MERGE"
"$FL" sweep "$ECHO" "${S[@]}" -j 2 --db all.db --quiet >/dev/null 2>&1 # meanwhile, unsharded

# (within ctest's 300 s for the whole test, whatever the install took)
[ $((280 - SECONDS)) -lt $WAIT_S ] && WAIT_S=$((280 - SECONDS))
mstate=""
for _ in $(seq 1 $((WAIT_S * 2))); do
  mstate=$(scontrol show job "$MERGE" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2)
  case "$mstate" in COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY) break ;; esac
  sleep 0.5
done
[ "$mstate" = COMPLETED ] && pass ||
  fail "merge job $MERGE: ${mstate:-no state} after at most $WAIT_S s; shard 1 said: $(head -c 300 shard-1.out 2>/dev/null); merge said: $(head -c 300 merge.out 2>/dev/null)"

# ---- the merged database = the unsharded sweep
ok=1
for k in 1 2 3 4; do
  [ "$(q "shard-$k.db" "SELECT count(*) || ' ' || max(shard) FROM runs JOIN sweeps ON sweeps.id = sweep_id" 2>/dev/null)" = "$((k <= 2 ? 8 : 7)) $k/4" ] ||
    { ok=0; fail "shard $k: $(q "shard-$k.db" 'SELECT count(*) FROM runs' 2>&1)"; }
done
[ $ok = 1 ] && pass
grep -q '^merged 4 databases into merged.db: 30 runs, 4 new sweeps, 1 new scenario' merge.out && pass ||
  fail "merge output: $(cat merge.out 2>/dev/null)"
q all.db 'SELECT seed, digest FROM runs ORDER BY seed' >want
q merged.db 'SELECT seed, digest FROM runs ORDER BY seed' >got 2>&1
[ "$(wc -l <want)" = 30 ] && cmp -s want got && pass ||
  fail "merged shards = unsharded sweep: $(diff want got | head -5)"
[ "$(q merged.db 'SELECT group_concat(shard, " ") FROM (SELECT shard FROM sweeps ORDER BY id)')" = "1/4 2/4 3/4 4/4" ] &&
  pass || fail "one sweep per shard in the merged database"
[ "$(q merged.db 'PRAGMA integrity_check')" = ok ] && pass || fail "integrity_check of the merged database"

# ---- the daemons go away when stopped by pid
started=("${PIDS[@]}")
JOBS=""
stop_daemons
left=""
for p in "${started[@]}"; do kill -0 "$p" 2>/dev/null && left="$left $p"; done
[ -z "$left" ] && pass || fail "daemons still running after stop:$left"
finish
