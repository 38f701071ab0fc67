#!/usr/bin/env bash
# make bench: run every benchmark and print its numbers.  Each benchmark reports
# medians of repeated runs; see the comment at the top of each bench_*.c for targets.
#
# usage: run.sh [BUILD [RELEASE_BUILD]] -- every benchmark of BUILD (default build/),
# then bench_evq of RELEASE_BUILD too: the event queue must not lose its speed in a
# Release (-O3) build, so `make bench` measures it in both.  Each heading names the
# build type, read from the tree's CMakeCache.txt (empty there means CMakeLists.txt's
# default, RelWithDebInfo).
set -euo pipefail
BUILD=${1:-build}
RELEASE=${2:-}
build_type() {
  local t
  t=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$1/CMakeCache.txt")
  echo "${t:-RelWithDebInfo}"
}
for b in "$BUILD"/tests/bench_*; do
  [ -x "$b" ] || continue
  echo "== $(basename "$b") [$(build_type "$BUILD"), $BUILD/]"
  "$b"
  echo
done
if [ -n "$RELEASE" ]; then
  echo "== bench_evq [$(build_type "$RELEASE"), $RELEASE/]"
  "$RELEASE/tests/bench_evq"
  echo
fi
for b in "$(dirname "$0")"/bench_*.sh; do
  echo "== $(basename "$b" .sh)"
  bash "$b" "$BUILD/faultline"
  echo
done
