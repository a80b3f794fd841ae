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
CLANG=$(command -v clang || command -v clang-14 || true)
printf '#include <stdint.h>\n#include <stddef.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { return 0; }\n' >probe.c
if [ -z "$CLANG" ] || ! "$CLANG" -fsanitize=fuzzer probe.c -o probe >/dev/null 2>&1; then
  skip "the harness builds" "clang with libFuzzer not installed"
  skip "20 s of fuzzing: no crash" "clang with libFuzzer not installed"
  skip "the fuzzer ran" "clang with libFuzzer not installed"
  done_testing
fi

"$CLANG" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -D_GNU_SOURCE \
  -I"$TOP/src/profile" "$TOP/tests/fuzz/fuzz_profile.c" "$TOP/src/profile/hsp_read.c" \
  -o fuzz_profile >build.log 2>&1
check "the harness builds" test -x fuzz_profile
[ -x fuzz_profile ] || sed 's/^/#   /' build.log | head -20

mkdir -p corpus && cp "$CORPUS"/* corpus/
# plus one seed of this very build, so the fuzzer always starts from a
# profile of the current layout
"$HEAPSPY" run -q -o fresh.hsp -- "$TOP/build/examples/marshal-demo" 20 >/dev/null 2>&1
python3 "$TOP/tests/fuzz/mkseed.py" fresh.hsp corpus/fresh.hspz 65000 || rm -f corpus/fresh.hspz
./fuzz_profile -max_total_time=20 -max_len=70000 -timeout=10 -rss_limit_mb=2048 \
  -malloc_limit_mb=1024 -print_final_stats=1 -artifact_prefix="$TMP/" corpus >fuzz.log 2>&1
rc=$?
found=$(ls "$TMP" | grep -E '^(crash|leak|timeout|oom|slow-unit)-' || true)
check "20 s of fuzzing: no crash, leak, hang or runaway allocation" test "$rc" -eq 0 -a -z "$found"
if [ "$rc" -ne 0 ] || [ -n "$found" ]; then
  grep -E 'ERROR|SUMMARY|==[0-9]+==|#[0-9]+ 0x' fuzz.log | head -30 | sed 's/^/#   /'
  for f in $found; do echo "#   input: $f ($(stat -c %s "$TMP/$f") bytes)"; done
fi
like "$(grep -E '^stat::number_of_executed_units' fuzz.log)" ': *[1-9][0-9]{2,}' "the fuzzer ran (hundreds of inputs at least)"

done_testing
