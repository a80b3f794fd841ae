#!/usr/bin/env bash
# t1840-guard-sample: issue 16, --guard-sample N (sampled guard slots).
# guard_sample.c's use after free, run at one site many times, is found
# with a fixed seed, and over many seeds at the rate N predicts: the
# number found is Binomial(runs x sites, 1/N) and the runs that find it
# Binomial(runs, 1 - (1 - 1/N)^M); the tolerances are those
# distributions' 1e-4 tails (python computes them), the seeds are fixed,
# so the test is deterministic. An overflow past a sampled block is found
# exactly for the blocks that end at a page end (the program counts them:
# the geometry is the oracle), with the faulting, allocation and free
# stacks at the marked lines; double and invalid frees of a slot too.
# Real programs (sqlite3, python3 with PYTHONMALLOC=malloc, the bench's
# workloads) and 4 threads run clean, and leak checks classify
# blocks in slots as the plain run does.
source "$(dirname "$0")/../lib/tap.sh"
source "$TOP/tests/cases/check-lib.sh"
source "$TOP/tests/cases/guard-lib.sh"
plan 20

P="$TESTBIN/guard_sample"
S=guard_sample.c
E='heapspy: ERROR:'
# kind, access, access size, faulting/alloc/free lines of every error, counted
kinds() {
  python3 - "$1.json" <<'PY'
import collections, json, sys
j = json.load(open(sys.argv[1]))
line = lambda s: s[0]["line"] if s else None
mine = lambda s: next((f["line"] for f in s if f["module"] == "guard_sample"), None)
c = collections.Counter((e["kind"], e.get("access"), e.get("access_size"), e["offset"], mine(e["access_stack"]),
                         line(e["alloc_stack"]), line(e["free_stack"])) for e in j["errors"])
print(sorted(c.items()))
PY
}
# lo hi: the 1e-4 tails of Binomial(n, p)
tails() {
  python3 - "$1" "$2" <<'PY'
import math, sys
n, p = int(sys.argv[1]), float(sys.argv[2])
pmf = [math.exp(math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) + k * math.log(p) + (n - k) * math.log1p(-p)) for k in range(n + 1)]
c, lo = 0.0, 0
while c + pmf[lo] < 1e-4: c += pmf[lo]; lo += 1
c, hi = 0.0, n
while c + pmf[hi] < 1e-4: c += pmf[hi]; hi -= 1
print(lo, hi)
PY
}
within() { [ "$1" -ge "$2" ] && [ "$1" -le "$3" ] && echo yes || echo "no: $1 not in [$2, $3]"; }

UAF="('use_after_free', 'read', 1, 8, $(mark $S uaf-read), $(mark $S uaf-alloc), $(mark $S uaf-free))"
grun uaf --guard-sample=100 --sample-seed 1 -- "$P" uaf 20000
n=$(grep -c "^$E use_after_free" uaf.err)
is "$(cat uaf.status) $([ "$n" -ge 1 ] && echo found)" "0 found" \
  "use after free at a site run 20,000 times, N=100, seed 1: found, the program runs on"
is "$(kinds uaf)" "[($UAF, $n)]" \
  "every report: a read of size 1, 8 bytes in, at the reading line, with the allocation and free lines"

grun uafsp --guard-sample 100 --sample-seed 1 -- "$P" uaf 20000
is "$(grep -c "^$E use_after_free" uafsp.err) $(kinds uafsp)" "$n $(kinds uaf)" \
  "--guard-sample 100 (the number apart, SPEC's spelling) is --guard-sample=100: the same reports"

# Rate: 20 seeds x 1000 uses, each guarded with probability 1/100.
total=0
for seed in $(seq 101 120); do
  "$HEAPSPY" run --guard-sample=100 --sample-seed "$seed" -q -o r.hsp -- "$P" uaf 1000 >/dev/null 2>r.err
  total=$((total + $(grep -c "^$E use_after_free" r.err)))
done
read -r lo hi < <(tails 20000 0.01)
is "$(within "$total" "$lo" "$hi")" yes "20 runs x 1000 uses, N=100: $total found, Binomial(20000, 1/100) gives [$lo, $hi]"
# Runs that find it: 40 seeds x 100 uses, p = 1 - 0.99^100.
runs=0
for seed in $(seq 201 240); do
  "$HEAPSPY" run --guard-sample=100 --sample-seed "$seed" -q -o r.hsp -- "$P" uaf 100 >/dev/null 2>r.err
  grep -q "^$E use_after_free" r.err && runs=$((runs + 1))
done
read -r lo hi < <(tails 40 "$(python3 -c 'print(1 - 0.99 ** 100)')")
is "$(within "$runs" "$lo" "$hi")" yes "40 runs x 100 uses, N=100: $runs runs found it, Binomial(40, 1-0.99^100) gives [$lo, $hi]"

# Every allocation guarded (N=1): the blocks that end at a page end
# overflow into the guard page; the others (at the page's start) do not.
grun ow --guard-sample=1 --sample-seed 3 -- "$P" overflow 16
edge=$(sed -n 's/^edge=//p' ow.out)
is "$(cat ow.status) $([ "$edge" -ge 1 ] && [ "$edge" -lt 16 ] && echo mixed)" "0 mixed" \
  "16 overflows, N=1: both edges were drawn ($edge blocks at a page end), the program runs on"
is "$(kinds ow)" "[(('heap_overflow', 'write', 1, 32, $(mark $S ow-write), $(mark $S ow-alloc), None), $edge)]" \
  "exactly the $edge blocks at a page end are reported, each at the writing line with its allocation line"
like "$(grep -m1 "^$E" ow.err)" "^$E heap_overflow on address 0x[0-9a-f]+000: write of size 1, 0 bytes past the end of the 32-byte block at 0x[0-9a-f]+fe0 \(SIGSEGV on a guard page\)$" \
  "overflow: one ASan-shaped line on stderr"
grun owh --guard-sample=1 --sample-seed 3 --halt-on-error -- "$P" overflow 16
is "$(cat owh.status) $(grep -c "^$E" owh.err)" "139 1" "--halt-on-error: dies of the first fault (SIGSEGV)"

grun df --guard-sample=1 -- "$P" double-free
is "$(kinds df)" "[(('double_free', None, None, 0, $(mark $S df-free2), $(mark $S df-alloc), $(mark $S df-free1)), 1)]" \
  "double free of a slot's block: the second free, the allocation and the first free"
grun if --guard-sample=1 -- "$P" invalid-free
is "$(kinds if)" "[(('invalid_free', None, None, 8, $(mark $S if-free), $(mark $S if-alloc), None), 1)]" \
  "invalid free 8 bytes into a slot's block"

# fork: every block guarded (N=1); the child rewrites, churns and frees
# its copies of the slots; the parent's blocks keep their bytes.
grun fk --guard-sample=1 -- "$P" fork 64
is "$(cat fk.out) $(cat fk.status) $(gerrs fk)" "parent=64 child=0 0 []" \
  "fork, N=1: the child's writes to its slots never reach the parent's (64 of 64 kept), no error"

# Leak checks see slot blocks as any: the same figures as the plain run.
leaks() { "$HEAPSPY" run "$@" -o lk.hsp -- "$P" leak 2>&1 | grep -E '(lost|reachable):'; }
is "$(leaks --guard-sample=1)" "$(leaks)" "leaks of blocks in slots (N=1): the plain run's figures"
is "$(leaks --guard-sample=1 --sample 1)" "$(leaks)" "the same with --sample (every byte a sample): the plain run's figures"
# calloc, realloc, memalign, malloc_usable_size through slots, with --sample too
grun mx --guard-sample=3 --sample 64K --sample-seed 5 -- "$P" mixed 3000
is "$(cat mx.out) $(cat mx.status) $(gerrs mx)" "bad=0 0 []" \
  "calloc, realloc, memalign, malloc_usable_size on slots (with --sample): contents right, no error"

# 4 threads churning blocks of 1 byte to 8 KiB, half of them guarded:
# contents intact, nothing reported, and the exact profile's totals
# those of the plain run (every block recorded as before).
totals() { python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["totals"]; print(t["allocs"], t["frees"], t["bytes_allocated"])' "$1"; }
grun th0 -- "$P" threads 4 20000
grun th --guard-sample=2 -- "$P" threads 4 20000
is "$(cat th.out) $(cat th.status) $(gerrs th) $(totals th.json)" "bad=0 0 [] $(totals th0.json)" \
  "4 threads, N=2: contents intact, no error, the plain run's totals ($(totals th0.json))"
grun ths --guard-sample=2 --sample 512K -- "$P" threads 4 20000
is "$(cat ths.out) $(cat ths.status) $(gerrs ths)" "bad=0 0 []" "the same with --sample 512K"

if command -v sqlite3 >/dev/null 2>&1; then
  python3 "$TOP/bench/workloads/gen_inserts.py" -o ins.sql >/dev/null 2>&1 || echo "select 1;" >ins.sql
  rm -f t.db; sqlite3 -batch t.db ".read ins.sql" >native.out 2>&1; echo $? >native.status; rm -f t.db
  grun sq --guard-sample=10 -- sqlite3 -batch t.db ".read ins.sql"
  is "$(cat sq.status) $(gerrs sq) $(grep -c "$E" sq.err)" "$(cat native.status) [] 0" \
    "sqlite3 (the bench's inserts) under --guard-sample=10: clean, exits as natively"
else
  skip "sqlite3 under --guard-sample" "sqlite3 not installed"
fi
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
PYTHONMALLOC=malloc grun py --guard-sample=10 -- "$PY" "$TOP/bench/workloads/churn.py" 2
is "$(cat py.status) $(gerrs py) $(grep -c "$E" py.err)" "0 [] 0" \
  "python3 (PYTHONMALLOC=malloc, the bench's churn) under --guard-sample=10: clean (the leak scan too)"
PYTHONMALLOC=malloc grun pys --guard-sample=10 --sample 512K -- "$PY" "$TOP/bench/workloads/churn.py" 2
is "$(cat pys.status) $(gerrs pys) $(grep -c "$E" pys.err)" "0 [] 0" \
  "the same with --sample 512K: clean"
done_testing
