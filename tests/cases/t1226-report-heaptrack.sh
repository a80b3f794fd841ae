#!/usr/bin/env bash
# t1226-report-heaptrack: `heapspy report --format heaptrack` (issue 18,
# deliverable 1) against heaptrack itself. sqlite3 runs the same SQL once
# under `heaptrack` and once under `heapspy run --trace`; heaptrack_print
# reads both files and must print the same totals:
#   - calls to allocation functions and temporary allocations: equal once
#     heaptrack's own run is taken without the allocations it lists from
#     libstdc++.so.6 (libstdc++'s emergency exception pool, 72,704 bytes:
#     sqlite3 does not link libstdc++, libheaptrack_preload.so pulls it in;
#     heaptrack_print counts that one as "temporary" too, as it counts any
#     free of allocation info 0 that follows a free, a quirk the export
#     steps around by never using info 0);
#   - peak heap memory consumption: heapspy's peak, and heaptrack's own
#     that plus the pool (which stays allocated until exit);
#   - total memory leaked and suppressed leaks: equal (heapspy run with
#     --run-libc-freeres=no --run-cxx-freeres=no: heaptrack frees nothing
#     at exit); without heaptrack's built-in suppressions, heapspy's bytes
#     in use at exit;
# and its "most calls to allocation functions" list names the same
# sites, calls and peaks in the same order (glibc's __GI_ aliases, which
# heaptrack's libbacktrace names where heapspy's libdw names the public
# function, are read as the public name; unsymbolized addresses as their
# module). Then the .gz and uncompressed exports read the same, and a
# profile without --trace gives a summary heaptrack_print reads with the
# calls, the leaked bytes and a peak within 3.1% (the spy's peak copy).
# heaptrack_gui, where installed (heaptrack-gui, optional: not in the test
# set), opens the export offscreen and is still running 6 s later (it
# crashed on an allocation info first used out of order).
source "$(dirname "$0")/../lib/tap.sh"
plan 18

if ! command -v sqlite3 >/dev/null 2>&1; then
  skip_rest "sqlite3 oracle" "sqlite3 not installed"
fi
if ! command -v heaptrack >/dev/null 2>&1 || ! command -v heaptrack_print >/dev/null 2>&1; then
  skip_rest "heaptrack oracle" "heaptrack not installed"
fi

cp "$TOP/tests/cases/sqlite-export.sql" w.sql
heaptrack -o "$TMP/own" sqlite3 -batch own.db ".read w.sql" >own.out 2>own.err
OWN=$(ls own.zst own.gz 2>/dev/null | head -1)
check "heaptrack recorded sqlite3" test -s "$OWN"
"$HEAPSPY" run -q --trace --run-libc-freeres=no --run-cxx-freeres=no -o hs.hsp -- \
  sqlite3 -batch hs.db ".read w.sql" >hs.out 2>hs.err
"$HEAPSPY" report --format json hs.hsp >hs.json
"$HEAPSPY" report --format heaptrack -o hs.zst hs.hsp 2>exp.err
is "$? $(head -c4 hs.zst | od -An -tx1 | tr -d ' ')" "0 28b52ffd" "the export is a zstd stream (-o .zst)"

heaptrack_print -n 10 -s 0 "$OWN" >own.txt 2>&1
heaptrack_print -n 10 -s 0 hs.zst >hs.txt 2>&1
check "heaptrack_print reads the export without complaint" \
  sh -c '! grep -Eiq "failed|unexpected|out of bounds|corrupt" hs.txt && grep -q "^total runtime" hs.txt'

# the figures: "key value" per line, from heaptrack_print's output
cat >figures.py <<'EOF'
import re, sys
t = open(sys.argv[1]).read()
def one(key):
    m = re.search(r'^' + key + r': (\S+)', t, re.M)
    return m.group(1) if m else "missing"
# allocations heaptrack lists from libstdc++ (its own dependency): calls
# (MOST CALLS section) and temporaries (MOST TEMPORARY section)
sec = lambda name: t.split(name, 1)[1].split('\n\n\n', 1)[0] if name in t else ""
pool_calls = sum(int(n) for n in re.findall(
    r'^(\d+) calls to allocation functions with .* from\n(?:.*\n){0,2}?  in \S*libstdc\+\+\.so', sec("MOST CALLS TO ALLOCATION FUNCTIONS"), re.M))
pool_temp = sum(int(n) for n in re.findall(
    r'^(\d+) temporary allocations of \d+ allocations in total .* from\n(?:.*\n){0,2}?  in \S*libstdc\+\+\.so', sec("MOST TEMPORARY ALLOCATIONS"), re.M))
print("calls", one("calls to allocation functions"))
print("temporary", one("temporary memory allocations"))
print("peak", one("peak heap memory consumption"))
print("leaked", one("total memory leaked"))
print("suppressed", one("suppressed leaks"))
print("pool_calls", pool_calls)
print("pool_temp", pool_temp)
EOF
fig() { python3 figures.py "$1" | sed -n "s/^$2 //p"; }
# heaptrack_print's byte figures: 1000-based, two decimals, "B" below 1000
hbytes() { python3 -c '
import sys
b = int(sys.argv[1]); x = float(b); i = 0
while i < 4 and abs(x) > 1000: x /= 1000; i += 1
print("%dB" % b if i == 0 else "%.2f%s" % (x, "BKMGT"[i]))' "$1"; }

ALLOCS=$(json hs.json 'j["totals"]["allocs"]')
PEAK=$(json hs.json 'j["totals"]["peak_bytes"]')
INUSE=$(json hs.json 'j["totals"]["in_use_bytes"]')
is "$(fig hs.txt calls)" "$ALLOCS" "export: calls to allocation functions = heapspy's allocation calls ($ALLOCS)"
is "$(fig own.txt pool_calls) $(fig own.txt pool_temp)" "1 1" \
   "heaptrack's run has one allocation from libstdc++.so.6 (the emergency pool), counted temporary"
is "$(( $(fig own.txt calls) - $(fig own.txt pool_calls) ))" "$(fig hs.txt calls)" \
   "calls to allocation functions: heaptrack's own less libstdc++'s = the export's"
is "$(( $(fig own.txt temporary) - $(fig own.txt pool_temp) ))" "$(fig hs.txt temporary)" \
   "temporary memory allocations: heaptrack's own less libstdc++'s = the export's"
is "$(fig hs.txt peak)" "$(hbytes "$PEAK")" "export: peak heap memory consumption = heapspy's peak ($PEAK bytes)"
like "$(grep -A3 'peak memory consumed over 1 calls from' own.txt)" 'libstdc\+\+\.so' \
   "heaptrack's own peak list holds libstdc++'s pool"
is "$(fig own.txt peak)" "$(hbytes $((PEAK + 72704)))" \
   "heaptrack's own peak = heapspy's peak + the pool's 72,704 bytes"
is "$(fig hs.txt leaked) $(fig hs.txt suppressed)" "$(fig own.txt leaked) $(fig own.txt suppressed)" \
   "total memory leaked and suppressed leaks: equal"
heaptrack_print --disable-builtin-suppressions hs.zst >hs-all.txt 2>&1
is "$(fig hs-all.txt leaked)" "$(hbytes "$INUSE")" \
   "export without heaptrack's suppressions: leaked = heapspy's bytes in use at exit ($INUSE)"

# the top sites by calls: "calls peak location" per entry, the pool left out
cat >sites.py <<'EOF'
import re, sys
t = open(sys.argv[1]).read()
sec = t.split("MOST CALLS TO ALLOCATION FUNCTIONS", 1)[1].split("\n\n\n", 1)[0]
for e in re.finditer(r'^(\d+) calls to allocation functions with (\S+) peak consumption from\n(\S.*)\n(?:  at .*\n)?  in (\S+)', sec, re.M):
    calls, peak, loc, mod = e.groups()
    if "libstdc++" in mod: continue
    loc = re.sub(r'^__GI_', '', loc)
    if loc.startswith("0x"): loc = mod
    print(calls, peak, loc)
EOF
python3 sites.py own.txt >own.sites
python3 sites.py hs.txt >hs.sites
check "heaptrack_print lists at least 8 sites for each" \
  test "$(wc -l <own.sites)" -ge 8 -a "$(wc -l <hs.sites)" -ge 8
is "$(head -8 hs.sites)" "$(head -8 own.sites)" "the 8 sites with most calls: same calls, peaks and functions"

"$HEAPSPY" report --format heaptrack -o hs.gz hs.hsp
"$HEAPSPY" report --format heaptrack hs.hsp >hs.plain
heaptrack_print hs.gz >gz.txt 2>&1
heaptrack_print hs.plain >plain.txt 2>&1
is "$(fig gz.txt calls) $(fig gz.txt peak) $(head -c2 hs.gz | od -An -tx1 | tr -d ' ')|$(fig plain.txt calls) $(fig plain.txt peak) $(head -c2 hs.plain)" \
   "$ALLOCS $(hbytes "$PEAK") 1f8b|$ALLOCS $(hbytes "$PEAK") v " "the .gz and the uncompressed export read the same"

# without --trace: the summary
"$HEAPSPY" run -q --run-libc-freeres=no --run-cxx-freeres=no -o sum.hsp -- \
  sqlite3 -batch sum.db ".read w.sql" >sum.out 2>sum.err
"$HEAPSPY" report --format json sum.hsp >sum.json
"$HEAPSPY" report --format heaptrack -o sum.zst sum.hsp
heaptrack_print --disable-builtin-suppressions sum.zst >sum.txt 2>&1
SPEAK=$(json sum.json 'j["totals"]["peak_bytes"]')
is "$(fig sum.txt calls) $(fig sum.txt leaked)" \
   "$(json sum.json 'j["totals"]["allocs"]') $(hbytes "$(json sum.json 'j["totals"]["in_use_bytes"]')")" \
   "summary export: calls and leaked bytes are heapspy's"
GOT=$(fig sum.txt peak)
check "summary export: peak $GOT within 3.1% of heapspy's $SPEAK" python3 -c '
import sys
v = sys.argv[1]; u = {"B": 1, "K": 1e3, "M": 1e6, "G": 1e9}[v[-1]]
got = float(v[:-1]) * u; peak = float(sys.argv[2])
sys.exit(0 if abs(got - peak) <= 0.031 * peak + 0.005 * u else 1)' "$GOT" "$SPEAK"

if command -v heaptrack_gui >/dev/null 2>&1; then
  QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR="$TMP" timeout 6 heaptrack_gui hs.zst >gui.log 2>&1
  is "$?" 124 "heaptrack_gui opens the export and keeps running (killed after 6 s)"
else
  skip "heaptrack_gui opens the export" "heaptrack_gui is optional (Debian heaptrack-gui)"
fi

done_testing
