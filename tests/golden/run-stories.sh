#!/usr/bin/env bash
# tests/golden/run-stories.sh OUTDIR: run the story programs under heapspy
# and write each report, text and JSON, masked by mask.py, as
# OUTDIR/NAME.txt and OUTDIR/NAME.json. The golden copies live in
# tests/golden/expected (`make golden` rewrites them after a deliberate
# change of output); t3000 compares a fresh run against them. Needs a
# built tree (make test-programs). Must never write outside OUTDIR and a
# private temporary directory.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD="${HEAPSPY_BUILD:-$TOP/build}"     # the tree under test (make check-debug: build-debug)
HEAPSPY="${HEAPSPY_UNDER_TEST:-$BUILD/bin/heapspy}"
TB="$BUILD/tests"
out=$(cd "$1" && pwd) || exit 2
work=$(mktemp -d "${TMPDIR:-/tmp}/heapspy-golden.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 2

# story NAME [RUN OPTIONS] -- PROG ARGS: one run, its profile rendered twice
story() {
  local name=$1; shift
  "$HEAPSPY" run -q -o "$name.hsp" "$@" >/dev/null 2>"$name.run-err" </dev/null
  "$HEAPSPY" report "$name.hsp" >"$name.txt" 2>&1
  "$HEAPSPY" report --format json "$name.hsp" >"$name.json" 2>&1
  /usr/bin/python3 "$TOP/tests/golden/mask.py" text "$name.txt" "$TOP" "$BUILD" >"$out/$name.txt"
  /usr/bin/python3 "$TOP/tests/golden/mask.py" json "$name.json" "$TOP" "$BUILD" >"$out/$name.json"
}

# 1: the string that leaked through a wrapper
story story1-marshal -- "$BUILD/examples/marshal-demo" 100 100
# 2: the freed object someone still released (--check sees the write)
story story2-use-after-free --check -- "$TB/check_heap" use-after-free
# 4: the report that survives every exit path
for how in return thread _exit segv abort; do
  story "story4-exit-$how" -- "$TB/exit_paths" "$how"
done
# the C++ families and a mismatched delete
story cxx-families -- "$TB/cxx_families"
# heap errors found by --check: three at once
story check-three --check -- "$TB/check_heap" three
