#!/usr/bin/env bash
# make soak: the big seed counts the issues ask for, too slow for `make test`.
# Prints what it measures; the numbers go into the issue notes.
set -uo pipefail
BUILD=${1:-build}
FL=$BUILD/faultline
SEEDS=${SOAK_SEEDS:-2000}
count_failures() { # scenario seeds extra-args...
  local sc=$1 n=$2 fails=0
  shift 2
  for s in $(seq 1 "$n"); do
    "$FL" run "$sc" --seed "$s" "$@" >/dev/null 2>&1 || fails=$((fails + 1))
  done
  echo "$fails"
}
echo "echo.json, $SEEDS seeds: $(count_failures sim/scenarios/echo.json "$SEEDS") failing"
if [ -f sim/scenarios/raft-chaos.json ]; then
  echo "raft-chaos.json, $SEEDS seeds: $(count_failures sim/scenarios/raft-chaos.json "$SEEDS") failing"
fi
