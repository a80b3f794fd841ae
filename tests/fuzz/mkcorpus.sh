#!/usr/bin/env bash
# tests/fuzz/mkcorpus.sh: (re)make the profile reader's seed corpus,
# tests/fuzz/corpus/, from real profiles of tiny programs. Run it after
# any change to the profile layout (HSP_VERSION): t1200 fails while the
# seeds are of another version, since the fuzzer would then only ever
# exercise the version check.
#
# Needs `make test-programs` (the CLI, the spy, the test programs and the
# story-1 demo). Writes only tests/fuzz/corpus/; each seed stays < 64 KB.
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD="${HEAPSPY_BUILD:-$TOP/build}"
H="$BUILD/bin/heapspy"
B="$BUILD/tests"
OUT="$TOP/tests/fuzz/corpus"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

seed() {   # seed NAME PROGRAM ARGS...: profile PROGRAM, keep it as NAME.hspz
  local name=$1; shift
  "$H" run -q -o "$TMP/$name.hsp" -- "$@" >/dev/null 2>&1 || true
  python3 "$TOP/tests/fuzz/mkseed.py" "$TMP/$name.hsp" "$OUT/$name.hspz" 65000
}

mkdir -p "$OUT"
rm -f "$OUT"/*.hspz "$OUT"/*.hsp
seed basics "$B/run_basics"                         # leak, realloc, calloc; verdicts
seed pool "$B/client_pool"                          # custom families, samples
seed cxx "$B/cxx_families"                          # new/new[] families
seed kill "$B/exit_paths" sigkill                   # killed: no scan, no exit
seed kill-burst "$B/exit_paths" sigkill-burst       # killed with table operations queued
seed demo30 "$BUILD/examples/marshal-demo" 30   # checkpoint, timeline, modules
# --sample: the sampling header, weighted counters
"$H" run -q --sample 1K --sample-seed 1 -o "$TMP/sampled.hsp" -- "$BUILD/examples/marshal-demo" 300 \
  >/dev/null 2>&1 || true
python3 "$TOP/tests/fuzz/mkseed.py" "$TMP/sampled.hsp" "$OUT/sampled.hspz" 65000
# the raw form too: a header alone (the reader must say what is missing)
"$H" run -q -o "$TMP/raw.hsp" -- "$B/run_basics" >/dev/null 2>&1 || true
head -c 8192 "$TMP/raw.hsp" >"$OUT/raw-header-only.hsp"
ls -l "$OUT"
