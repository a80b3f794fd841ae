#!/usr/bin/env bash
# t1230-report-html: `heapspy report --format html` (SPEC "Files and
# formats", issue 5 "Formats"): one self-contained page with the timeline
# chart, the leak table and a flame graph, that works offline.
#
# On story 1's demo: the page is produced, loads nothing from anywhere
# (no http(s) URL, no <link>, no <script src>, no CSS @import or url()),
# has the timeline charts (two inline SVGs), and its data (the one JSON
# object the page's script draws from) gives the table's row for the
# culprit, marshal_to_wire at marshal.c, with 35890 bytes in 1000 blocks
# definitely lost, and puts every byte in use under it in the flame graph.
# Strings from the profile are data: a program whose path holds < > & ' "
# shows them escaped, and an argument "</script><script>..." cannot end
# the data's element. Sampled: the page carries the JSON's sampling note.
# What the page shows in a browser: t1231.
source "$(dirname "$0")/../lib/tap.sh"
plan 14

DEMO="$HEAPSPY_BUILD/examples/marshal-demo"
EXDIR=examples/marshal-leak
MALLOC_LINE=$(grep -n 'malloc(sizeof \*w' "$TOP/$EXDIR/marshal.c" | cut -d: -f1)

check "the demo is built (make examples)" test -x "$DEMO"
"$HEAPSPY" run -q -o demo.hsp -- "$DEMO" 1000 >/dev/null 2>&1
"$HEAPSPY" report --format html -o demo.html demo.hsp 2>html.err
is "$?" 0 "html: exit status 0"
"$HEAPSPY" report --format json demo.hsp >demo.json
like "$(head -1 demo.html)" '^<!DOCTYPE html>$' "an HTML5 document"
is "$(grep -Eic 'https?:|<link|<script[^>]*src|@import|url\(' demo.html)" 0 \
   "self-contained: no URL, <link>, <script src>, @import or url()"
like "$(grep -c '<svg' demo.html)" '^[2-9]$|^[1-9][0-9]+$' "inline SVG charts (the timeline's two)"
# the page's data (one JSON object in a <script type="application/json">),
# read as the page's script does: names by index
cat >data.py <<'EOF'
import html, json, re, sys
h = open(sys.argv[1]).read()
d = json.loads(re.search(r'<script type="application/json" id="hs-data">(.*?)</script>', h, re.S).group(1))
N = d["names"]
n = lambda i: N[i] if i >= 0 else ""
what = sys.argv[2]
if what == "row":
    for r in d["sites"]:
        if n(r[5]) == "marshal_to_wire":
            print(" | ".join([n(r[0]), f"{r[1]:,}", f"{r[2]:,}", n(r[10]), n(r[5]), f"{n(r[6])}:{r[7]}", n(r[8])]))
elif what == "flame":
    w = {}
    for s, x in zip(d["stacks"], d["weights"]):
        if x[0]: w[n(s[-1])] = w.get(n(s[-1]), 0) + x[0]
    print(" ".join(f"{k}:{v}" for k, v in sorted(w.items())), sum(x[0] for x in d["weights"]))
else:
    print(eval(what))
EOF
row=$(python3 data.py demo.html row)
like "$row" "^definitely_lost \| 35,890 \| 1,000 \| malloc \| marshal_to_wire \| $EXDIR/marshal\.c:$MALLOC_LINE \| marshal-demo$" \
   "the table's data: definitely_lost, 35,890 bytes, 1,000 blocks, malloc, marshal_to_wire at marshal.c:$MALLOC_LINE"
is "$(python3 data.py demo.html flame)" "marshal_to_wire:35890 $(json demo.json 'j["totals"]["in_use_bytes"]')" \
   "flame graph data: every byte in use at exit under marshal_to_wire, summing to the JSON's total"
like "$(grep -c 'marshal_to_wire' demo.html)" '^[1-9]' "the culprit is named"

# escaping: the program's path is data, never markup
ln -s "$DEMO" "./<b>&'x\""
"$HEAPSPY" run -q -o odd.hsp -- "./<b>&'x\"" 10 >/dev/null 2>&1
"$HEAPSPY" report --format html -o odd.html odd.hsp
is "$?" 0 "html for a program named <b>&'x\": exit status 0"
is "$(grep -c "<b>&'x" odd.html)" 0 "the raw name never appears"
like "$(cat odd.html)" "&lt;b&gt;&amp;&#39;x&quot;" "the name appears escaped"

# a string from the profile cannot end the data's <script> element
"$HEAPSPY" run -q -o js.hsp -- "$DEMO" 10 '</script><script>alert(1)</script>' >/dev/null 2>&1
"$HEAPSPY" report --format html -o js.html js.hsp
is "$(grep -c '</script><script>alert' js.html)" 0 "an argument '</script><script>...' never appears raw"
like "$(python3 data.py js.html 'd["program"]')" '</script><script>alert\(1\)</script>$' \
   "... and the page's data still holds it, intact"

# --sample: the page says its figures are estimates, as the JSON does
"$HEAPSPY" run -q --sample 4096 -o smp.hsp -- "$DEMO" 1000 >/dev/null 2>&1
"$HEAPSPY" report --format json smp.hsp >smp.json
"$HEAPSPY" report --format html -o smp.html smp.hsp
is "$(python3 -c 'import html, re, sys; print(html.unescape(re.search(r"<p class=\"verdict\" id=\"sampling\">(.*?)</p>", open(sys.argv[1]).read()).group(1)))' smp.html)" \
   "$(json smp.json 'j["sampling"]["note"]')" "sampled: the page shows the JSON's sampling note"

done_testing
