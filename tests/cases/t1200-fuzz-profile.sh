#!/usr/bin/env bash
# t1200-fuzz-profile: the profile reader is fuzzed (SPEC "Files and
# formats": a truncated or corrupted profile gives a clear error, never a
# crash; issue 5, "Bad input").
#
# tests/fuzz/fuzz_profile.c is a libFuzzer harness over
# src/profile/hsp_read.c, built here with clang -fsanitize=fuzzer,address.
# It starts from the seed corpus in tests/fuzz/corpus/ (real profiles of
# tiny programs in the harness's compact sparse form, made by
# tests/fuzz/mkcorpus.sh, plus a raw header; and one seed made now from
# this build) and runs for 20 seconds; any
# crash, sanitizer report, hang (> 10 s on one input) or runaway
# allocation fails the test and leaves the input in the log. First the
# seeds themselves are checked: each under 64 KB, and each expands back
# into a profile `heapspy report` reads. SKIP when clang's libFuzzer is
# not installed (Debian: clang with libclang-rt-dev).
source "$(dirname "$0")/../lib/tap.sh"
source "$TOP/tests/lib/fuzz-lib.sh"
plan 5

CORPUS="$TOP/tests/fuzz/corpus"

# --- the seeds ---------------------------------------------------------------
is "$(find "$CORPUS" -type f -size +63k | wc -l)" 0 "every seed is under 64 KB"
n_ok=0 n_all=0
for seed in "$CORPUS"/*.hspz; do
  n_all=$((n_all + 1))
  python3 - "$seed" seed.hsp <<'EOF'
import struct, sys
d = open(sys.argv[1], "rb").read()
assert d[:4] == b"HSPZ"
out = bytearray(struct.unpack("<I", d[4:8])[0])
i = 8
while i + 6 <= len(d):
    off, n = struct.unpack("<IH", d[i:i + 6]); i += 6
    out[off:off + n] = d[i:i + n]; i += n
open(sys.argv[2], "wb").write(out)
EOF
  "$HEAPSPY" report seed.hsp >/dev/null 2>&1 && n_ok=$((n_ok + 1))
done
is "$n_ok" "$n_all" "each sparse seed ($n_all) expands into a profile heapspy reads"
[ "$n_ok" = "$n_all" ] || echo "#   stale seeds? after a profile layout change run tests/fuzz/mkcorpus.sh"

# --- the fuzzer --------------------------------------------------------------
fuzz_build fuzz_profile 20 "$TOP/tests/fuzz/fuzz_profile.c" "$TOP/src/profile/hsp_read.c" || done_testing

mkdir -p corpus && cp "$CORPUS"/* corpus/
# plus one seed of this very build, so the fuzzer always starts from a
# profile of the current layout
"$HEAPSPY" run -q -o fresh.hsp -- "$HEAPSPY_BUILD/examples/marshal-demo" 20 >/dev/null 2>&1
python3 "$TOP/tests/fuzz/mkseed.py" fresh.hsp corpus/fresh.hspz 65000 || rm -f corpus/fresh.hspz
fuzz_run fuzz_profile 20

done_testing
