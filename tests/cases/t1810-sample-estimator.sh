#!/usr/bin/env bash
# t1810-sample-estimator: --sample's estimates (issue 16, deliverables 1
# and 4) on sample_sizes.c, whose every allocation is known: 32 B x 32 Mi
# and 1000 B x 1 Mi freed at once (churn_small, churn_medium), 1 MiB x 64
# and 3000 B x 10,000 held to exit (hold_large, hold_small).
#
# A block of s bytes is sampled with p = 1 - exp(-(s+1)/B) and stands for
# s/p bytes, so each function's estimate has the known mean and the
# standard deviation sigma = sqrt(n s^2 (1-p)/p) (bytes) or
# sqrt(n (1-p)/p) (blocks); each is checked within 4 sigma, which for the
# two churn functions (1 GiB each at B = 512K) is within 10%. The seed is
# fixed (--sample-seed), so the run is repeatable. The exact mode's run of
# the same program is the oracle of the call totals, which --sample keeps
# exactly; the churn functions' in-use is exactly 0 (every sampled block's
# free was found). go tool pprof reads the scaled bytes.
source "$(dirname "$0")/../lib/tap.sh"
plan 21

PROG="$TESTBIN/sample_sizes"
B=524288
"$HEAPSPY" run -q --sample 512K --sample-seed 7 -o s.hsp -- "$PROG" >/dev/null 2>s.err
is "$?" 0 "the sampled run exits 0"
"$HEAPSPY" run -q -o e.hsp -- "$PROG" >/dev/null 2>e.err
"$HEAPSPY" report --format json s.hsp >s.json
"$HEAPSPY" report --format json e.hsp >e.json
"$HEAPSPY" report --format collapsed s.hsp >inuse.txt
"$HEAPSPY" report --hotspots --format collapsed s.hsp >alloc.txt
"$HEAPSPY" report s.hsp >s.txt

is "$(json s.json 'j["sampling"]["mean_bytes"]')" "$B" "the profile records the mean: 524288"
like "$(head -4 s.txt)" "^Sampled with --sample 512K: bytes and blocks are estimates" \
  "the text report says its figures are estimates at 512K"
for k in allocs bytes_allocated; do
  is "$(json s.json "j['totals']['$k']")" "$(json e.json "j['totals']['$k']")" \
     "totals.$k: exact, as the exact mode counts it"
done
# frees: --sample counts every free of a non-null pointer (SPEC), the exact
# mode those of blocks it knew: the same calls. (The spy's own failed
# dlsym lookups once left glibc a message block that the next lookup
# freed: 2 frees more, in every process.)
is "$(json s.json 'j["totals"]["frees"]')" "$(json e.json 'j["totals"]["frees"]')" \
  "totals.frees: exact, as the exact mode counts it"

# The same on the bench's stress: malloc, calloc, realloc and free from
# 2 threads, where most calls take --sample's shortest paths.
gcc -O2 -pthread -o stress "$TOP/bench/stress.c"
usage() { "$HEAPSPY" report "$1" | sed -n 's/.*total heap usage: \([0-9,]*\) allocs, \([0-9,]*\) frees, \([0-9,]*\) bytes.*/\1 \3 \2/p' | tr -d ,; }
"$HEAPSPY" run -q -o se.hsp -- ./stress 2 100000 >/dev/null 2>&1
read -r ea eb ef <<<"$(usage se.hsp)"
for opts in "--sample 4K" "--sample 1G" "--sample 64K --guard-sample 5"; do
  # shellcheck disable=SC2086 # the options split on purpose
  "$HEAPSPY" run -q $opts -o ss.hsp -- ./stress 2 100000 >/dev/null 2>&1
  read -r sa sb sf <<<"$(usage ss.hsp)"
  is "$sa $sb $sf" "$ea $eb $ef" \
     "the stress (2 threads, calloc and realloc too) under $opts: $sa allocs, $sb bytes and $sf frees exact"
done
# A countdown longer than its word's half (4 GiB - 1: a thread counts
# allocations and bytes in one word) is carried on by the slow path: with
# a mean of 3G and this seed the worker's countdowns go past it 3 times in
# its 5.7 GB.
"$HEAPSPY" run -q -o le.hsp -- ./stress 1 3000000 >/dev/null 2>&1
read -r ea eb ef <<<"$(usage le.hsp)"
"$HEAPSPY" run -q --sample 3G --sample-seed 4 -o ls.hsp -- ./stress 1 3000000 >/dev/null 2>&1
read -r sa sb sf <<<"$(usage ls.hsp)"
is "$sa $sb $sf" "$ea $eb $ef" \
   "the stress (5.7 GB in a thread) under --sample 3G: $sa allocs, $sb bytes and $sf frees exact"
# HEAPSPY_OPTIONS may hold any number (the CLI stops at 4G): one too big
# for an option saturates, it does not wrap (sample=4G read as 0: off)
LD_PRELOAD="$HEAPSPY_BUILD/lib/heapspy/libheapspy.so" HEAPSPY_OPTIONS="profile=$PWD/big.hsp:quiet=1:sample=4G" \
  ./stress 1 10 >/dev/null 2>&1
"$HEAPSPY" report --format json big.hsp >big.json 2>/dev/null
is "$(json big.json 'j["sampling"]["mean_bytes"]')" 4294967295 \
   "sample=4G in HEAPSPY_OPTIONS: the mean saturates at 4294967295, sampling stays on"

# estimate FILE FUNCTION SIZE COUNT: "ok" or why not, within 4 sigma
cat >within.py <<'EOF2'
import math, sys
fname, func, s, n, what = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
B = 524288
got = 0
for line in open(fname):
    stack, w = line.rsplit(" ", 1)
    if stack.split(";")[-1] == func: got += int(w)
p = 1 - math.exp(-(s + 1) / B)
want = n * s
sigma = math.sqrt(n * s * s * (1 - p) / p)
rel = abs(got - want) / want
ok = abs(got - want) <= 4 * sigma
print("ok" if ok else "off", "%s %s: %d vs %d (%.2f%%, 4 sigma = %.2f%%)" % (func, what, got, want, 100 * rel, 400 * sigma / want))
EOF2
for row in "churn_small 32 33554432" "churn_medium 1000 1048576" "hold_large 1048576 64" "hold_small 3000 10000"; do
  set -- $row
  r=$(python3 within.py alloc.txt "$1" "$2" "$3" allocated)
  echo "# $r"
  like "$r" "^ok" "$1: bytes allocated within 4 sigma of $(($2 * $3))"
done
check "churn_small and churn_medium (1 GiB each, 4 sigma < 10%): allocated within 10%" python3 -c "
import sys
got = {}
for line in open('alloc.txt'):
    stack, w = line.rsplit(' ', 1)
    got[stack.split(';')[-1]] = got.get(stack.split(';')[-1], 0) + int(w)
sys.exit(not (abs(got['churn_small'] - 32 * 33554432) < 0.1 * 32 * 33554432 and
              abs(got['churn_medium'] - 1000 * 1048576) < 0.1 * 1000 * 1048576))"
for row in "hold_large 1048576 64" "hold_small 3000 10000"; do
  set -- $row
  r=$(python3 within.py inuse.txt "$1" "$2" "$3" "in use")
  echo "# $r"
  like "$r" "^ok" "$1: bytes in use at exit within 4 sigma of $(($2 * $3))"
done
is "$(grep -cE ';churn_(small|medium) ' inuse.txt)" 0 \
   "churn_small and churn_medium hold nothing at exit: every sampled block's free was found"
check "hold_large: blocks in use within 4 sigma of 64" python3 -c "
import json, math, sys
j = json.load(open('s.json'))
got = sum(l['blocks'] for l in j['leaks'] if l['stack'] and any(f['function'] == 'hold_large' for f in l['stack']))
p = 1 - math.exp(-1048577 / $B)
print('# hold_large blocks', got, 'sigma', math.sqrt(64 * (1 - p) / p))
sys.exit(not abs(got - 64) <= 4 * math.sqrt(64 * (1 - p) / p))"

if command -v go >/dev/null 2>&1; then
  export HOME="$TMP" GOCACHE="$TMP/gocache" PPROF_TMPDIR="$TMP"
  "$HEAPSPY" report --format pprof -o s.pb.gz s.hsp
  go tool pprof -top -unit=B -sample_index=inuse_space s.pb.gz >top.txt 2>top.err
  LARGE=$(awk '/;hold_large /{print $2}' inuse.txt)
  like "$(grep -E ' hold_large$' top.txt)" "^ +${LARGE}B " \
    "go tool pprof -sample_index=inuse_space: hold_large holds the scaled ${LARGE} B"
else
  skip "go tool pprof: the scaled bytes" "go not installed (Debian golang-go)"
fi

done_testing
