#!/usr/bin/env bash
# t1830-sample-accuracy: --sample against the exact mode on a real
# workload (issue 16, deliverable 4): the bench's perl workload
# (bench/workloads/hashes.pl 8, deterministic: 3.65 M allocation calls,
# 129 MB allocated, 10 MB in use at exit), run exactly (the oracle) and
# sampled with fixed seeds. Stacks are compared by their folded frames
# (--format collapsed): bytes allocated (--hotspots) and in use at exit.
# The top stacks are those above 1% of the exact total.
#
# What sampling can promise: a stack that allocated A bytes has an
# estimate of standard deviation at most sqrt(A * mean) (whatever its block
# sizes), i.e. sqrt(mean / A) relative. At --sample 512K a 1% stack of
# this run (1.3 MB) is known to +-64%: "within 10%" is out of reach of
# any unbiased sampler, so there every top stack is checked within
# 4 sqrt(A * mean) (plus two samples' weight for a stack below the mean,
# where one or two samples decide: Poisson, not normal), and the call totals (counted exactly) within 2%. At
# --sample 1K the 1% stack's deviation is 2.8%: there every top stack,
# allocated and in use, must be within 10% and the totals within 2%.
source "$(dirname "$0")/../lib/tap.sh"
plan 10

if ! command -v perl >/dev/null 2>&1; then
  skip_rest "perl workload" "perl not installed"
fi
W="$TOP/bench/workloads/hashes.pl"
export PERL_HASH_SEED=0 PERL_PERTURB_KEYS=0   # the same allocations in every run
"$HEAPSPY" run -q -o e.hsp -- perl "$W" 8 >/dev/null 2>&1
"$HEAPSPY" run -q --sample 512K --sample-seed 11 -o s512.hsp -- perl "$W" 8 >/dev/null 2>&1
is "$?" 0 "perl hashes.pl 8 under --sample 512K exits 0"
"$HEAPSPY" run -q --sample 1K --sample-seed 11 -o s1.hsp -- perl "$W" 8 >/dev/null 2>&1
for p in e s512 s1; do
  "$HEAPSPY" report --format collapsed $p.hsp >$p.inuse
  "$HEAPSPY" report --hotspots --format collapsed $p.hsp >$p.alloc
  "$HEAPSPY" report --format json $p.hsp >$p.json
done

# compare EXACT SAMPLED MEAN MODE: one line per top stack, then a summary
# "top N sigma_bad N off10 N total_dev PCT"
cat >compare.py <<'EOF2'
import math, sys
def load(f):
    d = {}
    for line in open(f):
        stack, w = line.rstrip("\n").rsplit(" ", 1)
        d[stack] = d.get(stack, 0) + int(w)
    return d
ex, sm, mean = load(sys.argv[1]), load(sys.argv[2]), int(sys.argv[3])
total, est_total = sum(ex.values()), sum(sm.values())
top = sorted(((v, k) for k, v in ex.items() if v >= 0.01 * total), reverse=True)
sigma_bad = off10 = 0
for v, k in top:
    got = sm.get(k, 0)
    # a stack that allocated less than the mean expects under one sample:
    # there the normal bound does not hold (Poisson: a sample or two more
    # than expected moves it by a sample's weight, about the mean, each)
    bound = 4 * math.sqrt(v * mean) + (2 * mean if v < mean else 0)
    sigma_bad += abs(got - v) > bound
    off10 += abs(got - v) > 0.1 * v
    print("# %12d exact %12d sampled %+7.2f%% (4 sigma <= %.1f%%) %s" %
          (v, got, 100.0 * (got - v) / v, 100.0 * bound / v, k.split(";")[-1][:40]))
print("top %d sigma_bad %d off10 %d total_dev %.2f" %
      (len(top), sigma_bad, off10, 100.0 * abs(est_total - total) / total))
EOF2
summary() { python3 compare.py "$@" | tee cmp.out | grep '^#'; tail -1 cmp.out; }

S=$(summary e.alloc s512.alloc 524288)
like "$S" "^top [1-9][0-9]* sigma_bad 0 " "512K: every top stack's bytes allocated within 4 sqrt(A * 512K) of the exact"
S=$(summary e.inuse s512.inuse 524288)
like "$S" "^top [1-9][0-9]* sigma_bad 0 " "512K: every top stack's bytes in use at exit within 4 sqrt(A * 512K)"
for k in allocs bytes_allocated; do
  check "512K: totals.$k within 2% of the exact mode's (counted exactly)" python3 -c "
import sys; e, s = $(json e.json "j['totals']['$k']"), $(json s512.json "j['totals']['$k']")
print('# exact', e, 'sampled', s); sys.exit(not abs(s - e) <= 0.02 * e)"
done
check "512K: in use at exit within 4 sqrt(bytes * 512K) of the exact" python3 -c "
import math, sys; e, s = $(json e.json "j['totals']['in_use_bytes']"), $(json s512.json "j['totals']['in_use_bytes']")
print('# exact', e, 'sampled', s); sys.exit(not abs(s - e) <= 4 * math.sqrt(e * 524288))"

S=$(summary e.alloc s1.alloc 1024)
like "$S" "^top [1-9][0-9]* sigma_bad 0 off10 0 " "1K: every top stack's bytes allocated within 10% of the exact"
like "$S" "total_dev (0|1)\.[0-9]+$" "1K: bytes allocated, summed over the stacks, within 2% of the exact"
S=$(summary e.inuse s1.inuse 1024)
like "$S" "^top [1-9][0-9]* sigma_bad 0 off10 0 " "1K: every top stack's bytes in use at exit within 10% of the exact"
like "$S" "total_dev (0|1)\.[0-9]+$" "1K: bytes in use at exit, in all, within 2% of the exact"

done_testing
