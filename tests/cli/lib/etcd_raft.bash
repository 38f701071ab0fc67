# etcd_raft.bash -- sourced by the etcd_raft_*.sh tests after common.bash: when this
# tree has no etcd-raft module (no golang-go or golang-etcd-server-dev, -DFL_WITH_ETCD_RAFT
# =OFF, or a sanitizer tree, where a Go runtime does not belong), say so and why, and exit
# 77, which tests/CMakeLists.txt declares as these tests' SKIP_RETURN_CODE.
if [ -n "${FL_SANITIZED:-}" ] || "$FL" protocols 2>/dev/null | grep -A1 -x etcd-raft | grep -q 'not built'; then
  echo "SKIP: $(basename "$0" .sh): etcd-raft is not built here: ${FL_ETCD_RAFT_WHY:-unknown reason}"
  exit 77
fi
ETCD_SEED=$SRC/sim/scenarios/etcd-raft-seed.json
ETCD_CHAOS=$SRC/sim/scenarios/etcd-raft-chaos.json
ETCD_MODULE=$BUILD/etcd-raft/libetcd-raft.so
