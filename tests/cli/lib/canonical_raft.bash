# canonical_raft.bash -- sourced by the canonical_raft_*.sh tests after common.bash: when
# the binary was built without the canonical-raft protocol (no libraft-dev, or
# -DFL_WITH_CANONICAL_RAFT=OFF), say so and why, and exit 77, which tests/CMakeLists.txt
# declares as these tests' SKIP_RETURN_CODE: ctest reports them as skipped, never passed.
if ! "$FL" protocols 2>/dev/null | grep -qx canonical-raft; then
  echo "SKIP: $(basename "$0" .sh): canonical-raft is not built: ${FL_CANONICAL_RAFT_WHY:-unknown reason}"
  exit 77
fi
CR_CHAOS=$SRC/sim/scenarios/canonical-raft-chaos.json
