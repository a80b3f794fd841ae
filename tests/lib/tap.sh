# tests/lib/tap.sh: a tiny TAP library for heapspy's shell tests.
# Source it from a test script; run the script directly or through prove.
# Provides: plan N, ok/not_ok via check, is (exact equality), like (grep -E),
# skip, skip_rest, and paths to the built tree. Never hides a failure: the script's
# exit status is non-zero when any check failed.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# The built tree under test, an absolute path: build/ unless the caller
# says otherwise (make check-debug: HEAPSPY_BUILD=$TOP/build-debug).
HEAPSPY_BUILD="${HEAPSPY_BUILD:-$TOP/build}"
HEAPSPY="${HEAPSPY_UNDER_TEST:-$HEAPSPY_BUILD/bin/heapspy}"
TESTBIN="$HEAPSPY_BUILD/tests"      # compiled test programs
TMP=$(mktemp -d "${TMPDIR:-/tmp}/heapspy-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 1

_n=0
_failed=0
_plan=0
plan() { _plan=$1; echo "1..$1"; }

# check DESC CMD...: passes when CMD succeeds
check() {
  local desc=$1; shift
  _n=$((_n + 1))
  if "$@"; then echo "ok $_n - $desc"
  else echo "not ok $_n - $desc"; _failed=$((_failed + 1)); fi
}

# is ACTUAL EXPECTED DESC: exact string equality
is() {
  _n=$((_n + 1))
  if [ "$1" = "$2" ]; then echo "ok $_n - $3"
  else
    echo "not ok $_n - $3"
    echo "#   got:      '$1'"
    echo "#   expected: '$2'"
    _failed=$((_failed + 1))
  fi
}

# like TEXT REGEX DESC: TEXT matches the extended regex
like() {
  _n=$((_n + 1))
  if printf '%s\n' "$1" | grep -Eq -- "$2"; then echo "ok $_n - $3"
  else
    echo "not ok $_n - $3"
    echo "#   no line matching: $2"
    printf '%s\n' "$1" | head -40 | sed 's/^/#   | /'
    _failed=$((_failed + 1))
  fi
}

# skip DESC REASON. A peer program "not installed" is a skip only where
# nobody promised it: `make test` installs the test set first and sets
# HEAPSPY_PEERS_REQUIRED=1, so there it is a failure that names the peer.
skip() {
  _n=$((_n + 1))
  case "${HEAPSPY_PEERS_REQUIRED:-}:$2" in
    1:*"not installed"*)
      echo "not ok $_n - $1"
      echo "#   $2, but scripts/setup.sh test should have installed it"
      _failed=$((_failed + 1)) ;;
    *) echo "ok $_n - $1 # SKIP $2" ;;
  esac
}

# skip_rest WHAT WHY: skips every test the plan has left, and ends the
# script (a missing tool or a setting that makes the rest meaningless).
skip_rest() {
  while [ "$_n" -lt "$_plan" ]; do skip "$1" "$2"; done
  done_testing
}

# json FILE EXPR: evaluate a python expression on the parsed JSON as `j`
json() { python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }

done_testing() { [ "$_failed" -eq 0 ]; exit $?; }
