#!/usr/bin/env bash
# run.sh BUILD SECONDS [TARGET...] -- run the libFuzzer binaries of a -DFL_FUZZ=ON build
# tree (`make fuzz` builds build-fuzz/ and calls this), two at a time, each for SECONDS,
# then print a table: executions, coverage (cov: edges, ft: features) and exec/s.
#
# Each target starts from a copy of its committed corpus in BUILD/fuzz-work/<target>/,
# so what a run discovers stays there and the committed corpus never grows by itself
# (docs/fuzzing.md says how to add an entry).  A crash, leak, sanitizer report, failed
# FUZZ_CHECK, timeout (-timeout: one input running that long is a hang) or out-of-memory
# leaves its input in BUILD/fuzz-work/<target>/artifacts/ and makes the exit status 1.
set -u
build=${1:?usage: run.sh BUILD SECONDS [TARGET...]}
secs=${2:?usage: run.sh BUILD SECONDS [TARGET...]}
shift 2
src=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$build" && pwd)
parallel=${FUZZ_JOBS:-2}
if [ $# -gt 0 ]; then
  targets=("$@")
else
  targets=()
  for d in "$src"/corpus/*/; do targets+=("$(basename "$d")"); done
fi

run_one() {
  local t=$1 dir=$build/fuzz-work/$1
  rm -rf "$dir" && mkdir -p "$dir/corpus" "$dir/artifacts"
  cp "$src/corpus/$t"/* "$dir/corpus/"
  local dict=()
  [ -f "$src/$t.dict" ] && dict=(-dict="$src/$t.dict")
  "$build/tests/fuzz/fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$dir/artifacts/" "${dict[@]}" "$dir/corpus" \
    >"$dir/log" 2>&1
  echo $? >"$dir/rc"
}

for t in "${targets[@]}"; do
  if [ ! -x "$build/tests/fuzz/fuzz_$t" ]; then
    echo "run.sh: $build/tests/fuzz/fuzz_$t is missing (configure with -DFL_FUZZ=ON)" >&2
    exit 2
  fi
done
echo "fuzzing ${targets[*]} for ${secs}s each, $parallel at a time (logs: $build/fuzz-work/)"
running=0
for t in "${targets[@]}"; do
  if [ "$running" -ge "$parallel" ]; then
    wait -n
    running=$((running - 1))
  fi
  run_one "$t" &
  running=$((running + 1))
done
wait

# "#123456 DONE   cov: 1234 ft: 5678 corp: 90/12Kb lim: 4096 exec/s: 2057 rss: 80Mb"
# (or, after a crash, the last status line before it) and the final stats.
status=0
printf '%-10s %-8s %12s %8s %8s %10s %8s\n' target result execs cov ft exec/s corpus
for t in "${targets[@]}"; do
  dir=$build/fuzz-work/$t
  rc=$(cat "$dir/rc" 2>/dev/null || echo 99)
  last=$(grep -E '^#[0-9]+' "$dir/log" | tail -n 1)
  field() { sed -n "s/.* $1: *\([0-9]*\).*/\1/p" <<<"$last"; }
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log")
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log")
  result=ok
  if [ "$rc" != 0 ]; then
    result=FAILED
    status=1
  fi
  printf '%-10s %-8s %12s %8s %8s %10s %8s\n' "$t" "$result" "${execs:-?}" "$(field cov)" \
    "$(field ft)" "${speed:-?}" "$(ls "$dir/corpus" | wc -l)"
done
for t in "${targets[@]}"; do
  dir=$build/fuzz-work/$t
  if [ "$(cat "$dir/rc" 2>/dev/null)" != 0 ]; then
    echo
    echo "== $t failed: inputs in $dir/artifacts/, log $dir/log"
    grep -E '^(==[0-9]+==ERROR|SUMMARY|.*FUZZ_CHECK|.*runtime error)' "$dir/log" | head -n 5
  fi
done
exit $status
