#!/usr/bin/env bash
# make bench: run every benchmark and print its numbers.  Each benchmark reports
# medians of repeated runs; see the comment at the top of each bench_*.c for targets.
set -euo pipefail
BUILD=${1:-build}
for b in "$BUILD"/tests/bench_*; do
  [ -x "$b" ] || continue
  echo "== $(basename "$b")"
  "$b"
  echo
done
for b in "$(dirname "$0")"/bench_*.sh; do
  echo "== $(basename "$b" .sh)"
  bash "$b" "$BUILD/faultline"
  echo
done
