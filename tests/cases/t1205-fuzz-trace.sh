#!/usr/bin/env bash
# t1205-fuzz-trace: the trace reader (src/profile/hst_read.c) is fuzzed
# like the profile reader (t1200): a truncated or corrupted PROFILE.trace
# gives a clear error, never a crash or a hang.
#
# tests/fuzz/fuzz_trace.c is a libFuzzer harness built here with clang
# -fsanitize=fuzzer,address,undefined. It starts from the seeds in
# tests/fuzz/corpus-trace/ (a packed trace of trace_cuts, a raw trace of
# trace_churn shrunk by tests/fuzz/mktraceseed.py) plus two made now by
# this build, and runs for 15 seconds. SKIP when clang's libFuzzer is not
# installed.
source "$(dirname "$0")/../lib/tap.sh"
source "$TOP/tests/lib/fuzz-lib.sh"
plan 5
CORPUS="$TOP/tests/fuzz/corpus-trace"
LIB="$HEAPSPY_BUILD/lib/heapspy/libheapspy.so"

is "$(find "$CORPUS" -type f -size +63k | wc -l)" 0 "every seed is under 64 KB"
"$HEAPSPY" run --trace -q -o fresh.hsp -- "$TESTBIN/trace_cuts"
env LD_PRELOAD="$LIB" HEAPSPY_OPTIONS="profile=raw.hsp:trace=1:quiet=1" "$TESTBIN/trace_churn" 300
python3 "$TOP/tests/fuzz/mktraceseed.py" raw.hsp.trace raw.seed
cp raw.seed raw.hsp.trace
"$HEAPSPY" report --trace-stats --format json raw.hsp > raw.json
is "$(json raw.json '(j["packed"], j["allocs"])')" "(False, 300)" "a shrunk raw seed reads back (300 allocations)"

fuzz_build fuzz_trace 15 "$TOP/tests/fuzz/fuzz_trace.c" "$TOP/src/profile/hst_read.c" -lzstd || done_testing

mkdir -p corpus && cp "$CORPUS"/* corpus/ && cp raw.seed corpus/fresh-raw.trace
python3 "$TOP/tests/fuzz/mktraceseed.py" fresh.hsp.trace corpus/fresh-packed.trace
fuzz_run fuzz_trace 15
done_testing
