#!/usr/bin/env bash
# t1230-report-html: `heapspy report --format html` (SPEC "Files and
# formats", issue 5 "Formats"): one self-contained page with the timeline
# chart, the leak table and a flame graph, that works offline.
#
# On story 1's demo: the page is produced, loads nothing from anywhere
# (no http(s) URL, no <link>, no <script src>, no CSS @import or url()),
# has the timeline chart and the flame graph (two inline SVGs at least),
# and its leak table names the culprit, marshal_to_wire at marshal.c, with
# 35890 bytes in 1000 blocks definitely lost. Strings from the profile
# are data: a program whose path holds < > & ' " shows them escaped.
# With /usr/bin/chromium (not installed by setup: too big) the page is
# rendered headless and the screenshot must be more than a blank page
# (> 10 KB); SKIP without it.
source "$(dirname "$0")/../lib/tap.sh"
plan 13

DEMO="$HEAPSPY_BUILD/examples/marshal-demo"
EXDIR=examples/marshal-leak
MALLOC_LINE=$(grep -n 'malloc(sizeof \*w' "$TOP/$EXDIR/marshal.c" | cut -d: -f1)

check "the demo is built (make examples)" test -x "$DEMO"
"$HEAPSPY" run -q -o demo.hsp -- "$DEMO" 1000 >/dev/null 2>&1
"$HEAPSPY" report --format html -o demo.html demo.hsp 2>html.err
is "$?" 0 "html: exit status 0"
like "$(head -1 demo.html)" '^<!DOCTYPE html>$' "an HTML5 document"
is "$(grep -Eic 'https?:|<link|<script[^>]*src|@import|url\(' demo.html)" 0 \
   "self-contained: no URL, <link>, <script src>, @import or url()"
like "$(grep -c '<svg' demo.html)" '^[2-9]$|^[1-9][0-9]+$' "inline SVG charts (timeline, flame graph)"
# the leak table row, as the browser's text would read it
row=$(python3 - demo.html <<'EOF'
import html.parser, sys
class P(html.parser.HTMLParser):
    def __init__(s):
        super().__init__(); s.rows = []; s.row = None; s.cell = None
    def handle_starttag(s, t, a):
        if t == "tr": s.row = []
        if t == "td" and s.row is not None: s.cell = ""
    def handle_endtag(s, t):
        if t == "td" and s.cell is not None: s.row.append(s.cell.strip()); s.cell = None
        if t == "tr" and s.row: s.rows.append(s.row); s.row = None
    def handle_data(s, d):
        if s.cell is not None: s.cell += d
p = P(); p.feed(open(sys.argv[1]).read())
print("\n".join(" | ".join(r) for r in p.rows if r and r[0] == "definitely_lost"))
EOF
)
like "$row" "^definitely_lost \| 35,890 \| 1,000 \| malloc \| marshal_to_wire \| $EXDIR/marshal\.c:$MALLOC_LINE \| marshal-demo \| [0-9]+ ms$" \
   "leak table: definitely_lost, 35,890 bytes, 1,000 blocks, malloc, marshal_to_wire at marshal.c:$MALLOC_LINE"
like "$(grep -o '<title>marshal_to_wire ([^<]*</title>' demo.html)" '35\.0 KB, 100\.0%' \
   "flame graph: marshal_to_wire holds 100% of the bytes in use"
like "$(grep -c 'marshal_to_wire' demo.html)" '^[1-9]' "the culprit is named"

# escaping: the program's path is data, never markup
ln -s "$DEMO" "./<b>&'x\""
"$HEAPSPY" run -q -o odd.hsp -- "./<b>&'x\"" 10 >/dev/null 2>&1
"$HEAPSPY" report --format html -o odd.html odd.hsp
is "$?" 0 "html for a program named <b>&'x\": exit status 0"
is "$(grep -c "<b>&'x" odd.html)" 0 "the raw name never appears"
like "$(cat odd.html)" "&lt;b&gt;&amp;&#39;x&quot;" "the name appears escaped"

if [ -x /usr/bin/chromium ]; then
  timeout 120 /usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --user-data-dir="$TMP/chr" \
    --screenshot="$TMP/shot.png" --window-size=1200,900 "file://$TMP/demo.html" >chr.log 2>&1
  check "chromium renders the page to a PNG" test -s "$TMP/shot.png"
  size=$(stat -c %s "$TMP/shot.png" 2>/dev/null || echo 0)
  check "the screenshot is not a blank page ($size bytes > 10 KB)" test "$size" -gt 10240
else
  skip "chromium renders the page to a PNG" "/usr/bin/chromium not installed"
  skip "the screenshot is not a blank page" "/usr/bin/chromium not installed"
fi

done_testing
