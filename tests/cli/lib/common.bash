# common.bash -- helpers for the CLI tests: each test runs the real faultline binary on
# real files in a fresh temporary directory.  Usage: source it after setting
#   FL=$1 (the binary)  SRC=$2 (source tree)  BUILD=$3 (build tree)
set -u
FL=$(realpath "$1")
SRC=$(realpath "$2")
BUILD=$(realpath "$3")
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
FAILS=0
PASSES=0

pass() { PASSES=$((PASSES + 1)); }
fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }

# expect_exit CODE DESCRIPTION -- CMD...: run CMD, capture out/err, check the exit code.
expect_exit() {
  local want=$1 what=$2
  shift 3
  "$@" >"$T/out" 2>"$T/err"
  local got=$?
  if [ "$got" != "$want" ]; then
    fail "$what: exit $got, expected $want; stderr: $(head -c 400 "$T/err")"
    return 1
  fi
  pass
  return 0
}

# expect_error_line PATTERN DESCRIPTION: stderr is exactly one line, matching PATTERN.
expect_error_line() {
  local pattern=$1 what=$2
  local lines
  lines=$(wc -l <"$T/err")
  if [ "$lines" != 1 ]; then
    fail "$what: expected one line on stderr, got $lines: $(head -c 400 "$T/err")"
    return 1
  fi
  if ! grep -qE -e "$pattern" "$T/err"; then
    fail "$what: stderr '$(cat "$T/err")' does not match /$pattern/"
    return 1
  fi
  if ! grep -q '^faultline: ' "$T/err"; then
    fail "$what: stderr does not start with 'faultline: '"
    return 1
  fi
  pass
}

finish() {
  echo "$(basename "$0" .sh): $PASSES passed, $FAILS failed"
  [ "$FAILS" = 0 ]
  exit $?
}
