#!/usr/bin/env bash
# t1270-snapshot-on: automatic live snapshots (issue 5, deliverable 4):
# `heapspy run --snapshot-on RULES` writes a snapshot report when the heap
# or RSS passes a size or the heap grows faster than a rate, and lets the
# program run on; a rule fires again only at twice the value it fired at
# (growth: after 10 s); the folder (--snapshot-dir, default NAME.snapshots
# next to the profile NAME.hsp) keeps at most --snapshot-cap bytes of
# reports, oldest removed first, never the newest, never another file.
# grower.c adds 1 MiB (touched) every 60 ms up to 24 (or 20) MiB, then
# frees it.
source "$(dirname "$0")/../lib/tap.sh"
plan 21

PROG="$TESTBIN/grower"
SRC=tests/cases/grower.c
GROW_LINE=$(grep -n 'malloc(MIB)' "$TOP/$SRC" | cut -d: -f1)
checkpoints() { "$HEAPSPY" report --format json "$1" | python3 -c 'import json,sys; print(" ".join("%s:%d" % (c["name"], c["in_use_bytes"]) for c in json.load(sys.stdin)["checkpoints"]))'; }

# --- heap rule, default folder ----------------------------------------------------
"$HEAPSPY" run -q --snapshot-on 'heap>2M' -o g.hsp -- "$PROG" 24 60 >g.out 2>g.err
is "$? $(cat g.out)" "0 done" "heap>2M: the program runs to its end (exit 0, its output)"
ls g.snapshots >g.ls
like "$(head -1 g.ls)" "^snapshot-[0-9]+-001-heap\.txt$" "the first report is in g.snapshots/, next to g.hsp"
marks=$(checkpoints g.hsp)
n=$(wc -l <g.ls)
is "$(echo "$marks" | wc -w)" "$n" "one checkpoint in the profile per report ($n)"
is "$(python3 -c '
import sys
m = [int(x.split(":")[1]) for x in sys.argv[1].split()]
print(len(m) >= 2 and m[0] > 2 * 2**20 and m[1] > 4 * 2**20 and all(b > 2 * a for a, b in zip(m, m[2:])))' "$marks")" True \
   "re-armed at twice the value: heap > 2 MiB, then > 4 MiB, each one past twice the one before last ($marks)"
first=g.snapshots/$(head -1 g.ls)
like "$(head -1 "$first")" "^heapspy: automatic snapshot 1 of process [0-9]+ \(.*grower 24 60\) at [0-9]+ ms: heap [0-9.]+ MB above 2\.0 MB$" \
  "the report says which rule fired and at what value"
like "$(cat "$first")" "^      #0  grow_one at $SRC:$GROW_LINE " "the report shows the live heap by stack: grow_one ($SRC:$GROW_LINE)"
is "$(grep -c 'auto-' g.err)" 0 "nothing about snapshots on stderr when all went well"

# --- rss and growth rules, a folder of one's own -----------------------------------
mkdir snaps
"$HEAPSPY" run -q --snapshot-on 'rss>12M,growth>5M/s' --snapshot-dir snaps -o r.hsp -- "$PROG" 20 60 >r.out 2>&1
is "$?" 0 "rss>12M,growth>5M/s: exit 0"
is "$(ls snaps | sed 's/^snapshot-[0-9]*-[0-9]*-//' | sort | uniq -c | awk '{print $2 ":" $1}' | tr '\n' ' ')" \
   "growth.txt:1 rss.txt:1 " "one rss report (20 MiB < 2 x the RSS it fired at) and one growth report (10 s re-arm)"
like "$(cat snaps/*-rss.txt | head -1)" "rss [0-9.]+ MB above 12\.0 MB$" "the rss report names its rule"
like "$(cat snaps/*-growth.txt | head -1)" "growth [0-9.]+ MB/s above 5\.0 MB/s$" "the growth report names its rate"

# --- the cap --------------------------------------------------------------------------
mkdir capped
echo "keep me" >capped/notes.txt
"$HEAPSPY" run -q --snapshot-on 'heap>1M' --snapshot-dir capped --snapshot-cap 100 -o c.hsp -- "$PROG" 24 60 >/dev/null 2>&1
is "$?" 0 "--snapshot-cap 100 (bytes): exit 0"
nmarks=$(checkpoints c.hsp | wc -w)
is "$(ls capped | grep -c '^snapshot-')" 1 "a cap below one report's size keeps only the newest report"
like "$(ls capped | grep '^snapshot-')" "^snapshot-[0-9]+-00$nmarks-heap\.txt$" "... the last one ($nmarks of $nmarks), the oldest removed first"
is "$(cat capped/notes.txt)" "keep me" "a file the watcher did not write is never removed"

# --- SIZE's fractions and spellings (util.c's hs_parse_size) -------------------------
mkdir frac
"$HEAPSPY" run -q --snapshot-on 'heap>1.5k' --snapshot-dir frac --snapshot-cap 10mb -o k.hsp -- "$PROG" 3 60 >/dev/null 2>&1
is "$? $(ls frac | wc -l)" "0 $(checkpoints k.hsp | wc -w)" "--snapshot-cap 10mb: exit 0, every report kept (one per checkpoint)"
like "$(head -1 frac/*-001-heap.txt)" "heap [0-9.]+ MB above 1\.5 KB$" "heap>1.5k: the rule's limit is 1.5 KB"

# --- usage errors: one line, 125, the program never runs ---------------------------------
"$HEAPSPY" run --snapshot-on 'heap500M' -- "$PROG" 1 1 >u.out 2>u.err
is "$? $(wc -l <u.err) $(cat u.out)" "125 1 " "heap500M: usage error, one line, the program does not run"
"$HEAPSPY" run --snapshot-on 'disk>1G' -- "$PROG" 1 1 >u.out 2>u.err
like "$(cat u.err)" "is not heap>SIZE, rss>SIZE or growth>SIZE/s" "an unknown measure: the line lists the measures"
"$HEAPSPY" run --snapshot-on 'growth>10M' -- "$PROG" 1 1 >u.out 2>u.err
is "$? $(wc -l <u.err)" "125 1" "growth without /s: usage error"
"$HEAPSPY" run --snapshot-dir snaps -- "$PROG" 1 1 >u.out 2>u.err
is "$? $(cat u.err)" "125 heapspy: run: --snapshot-dir and --snapshot-cap need --snapshot-on" "--snapshot-dir alone: usage error"
done_testing
