#!/usr/bin/env bash
# t1231-report-html-browser: issue 18, 5: the HTML report as a user sees
# it in a browser. Headless Chromium (Debian's, through playwright-core
# from npm in build/npm, tests/lib/html-page.js) opens each page from
# file:// and reads what it shows; the oracle is heapspy's JSON report
# of the same profile (--format json, --peak, --diff).
#
# many_sites.c makes 4000 distinct stacks holding 1..4000 bytes (leaf_k
# for path % 10 == k): the four flame graphs' roots show the JSON's bytes
# in use, bytes allocated, calls, and the peak copy's bytes; the table,
# sorted by bytes, starts with the JSON's largest site; it holds far
# fewer rows in the DOM than sites, and scrolled to the end shows the
# smallest; searching leaf_3 leaves the JSON's 400 leaf_3 sites (and the
# end of that list is the smallest of them), and the flame graphs'
# search totals their bytes. checkpoint_diff.c: clicking two checkpoints
# shows the same top stack, bytes and blocks as `report --diff`; its
# checkpoints are marked on the timeline. check_heap double-free: the
# errors list shows the JSON's error. No page makes a network request or
# logs a console error; each screenshot is a real page (> 40 KB PNG).
source "$(dirname "$0")/../lib/tap.sh"
source "$TOP/tests/lib/npm-peer.sh"
plan 19

NM_PW=$(npm_peer playwright-core@1.57.0)
if ! [ -d "$NM_PW/playwright-core" ] || ! [ -x /usr/bin/chromium ]; then
  for i in $(seq 19); do
    skip "html in chromium $i" "$([ -x /usr/bin/chromium ] && npm_peer_why playwright-core@1.57.0 || echo "chromium not installed")"
  done
  done_testing
fi
page() { timeout 120 node "$TOP/tests/lib/html-page.js" "$NM_PW" "$@"; }

# --- 4000 sites ------------------------------------------------------------
"$HEAPSPY" run -q -o ms.hsp -- "$TESTBIN/many_sites" 4000 >/dev/null 2>&1
"$HEAPSPY" report --format json ms.hsp >ms.json
"$HEAPSPY" report --peak --format json ms.hsp >ms.peak.json
"$HEAPSPY" report --format html -o ms.html ms.hsp
page ms.html ms.png leaf_3 >ms.facts 2>ms.err
is "$?" 0 "chromium loads the page of 4000 sites"
f() { json ms.facts "$1"; }
is "$(f '" ".join(k for k, v in j["elements"].items() if not v) or "all"')" all \
   "the four flame graphs, the diff's, the table, both search boxes, the errors list and the timeline exist"
is "$(f 'j["requests"]'):$(f 'j["console_errors"]')" "[]:[]" "no network request, no console error"
comma() { python3 -c 'import sys; print(f"{int(sys.argv[1]):,}")' "$1"; }
is "$(f 'j["roots"]["inuse"]') / $(f 'j["roots"]["alloc"]') / $(f 'j["roots"]["calls"]')" \
   "all: $(comma "$(json ms.json 'j["totals"]["in_use_bytes"]')") bytes (100.0%) / all: $(comma "$(json ms.json 'j["totals"]["bytes_allocated"]')") bytes (100.0%) / all: $(comma "$(json ms.json 'j["totals"]["allocs"]')") calls (100.0%)" \
   "flame graph roots: bytes in use, bytes allocated and calls = the JSON report's totals"
is "$(f 'j["roots"]["peak"]')" "all: $(comma "$(json ms.peak.json 'j["peak"]["stacks_bytes"]')") bytes (100.0%)" \
   "the peak flame graph's root = --peak's bytes held by the stacks"
# a JSON leak as the table shows it
cat >row.py <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
L = [l for l in j["leaks"] if sys.argv[3] in l["stack"][0]["function"]]
l = (max if sys.argv[2] == "max" else min)(L, key=lambda l: l["bytes"])
f = l["stack"][0]
print(" | ".join([l["kind"], f"{l['bytes']:,}", f"{l['blocks']:,}", f["function"], f"{f['file']}:{f['line']}", f["module"]]), len(L))
EOF
shown() { json ms.facts "' | '.join(j[\"$1\"][\"$2\"][i] for i in (0, 1, 2, 5, 6, 7))"; }
is "$(shown sorted first)" "$(python3 row.py ms.json max '' | sed 's/ [0-9]*$//')" \
   "sorted by bytes, the top row = the JSON's largest site (kind, bytes, blocks, function, file:line, module)"
is "$(f 'j["sorted"]["count"]')" "$(comma "$(json ms.json 'len(j["leaks"])')") of $(comma "$(json ms.json 'len(j["leaks"])')") sites" \
   "the table counts every site the JSON lists (no row cap)"
dom=$(f 'j["sorted"]["dom_rows"]')
check "virtualised: $dom rows in the DOM for 4000 sites (< 100)" test "$dom" -gt 0 -a "$dom" -lt 100
is "$(shown scrolled last)" "$(python3 row.py ms.json min '' | sed 's/ [0-9]*$//')" \
   "scrolled to the end, the last row = the JSON's smallest site"
is "$(f 'j["scrolled"]["last_pos"]')" 3999 "... at position 3999, the end of the list"
n3=$(python3 row.py ms.json min leaf_3 | awk '{print $NF}')
is "$(f 'j["searched"]["count"]')" "$(comma "$n3") of 4,000 sites" "search 'leaf_3': the JSON's $n3 leaf_3 sites remain"
is "$(shown searched_end last)" "$(python3 row.py ms.json min leaf_3 | sed 's/ [0-9]*$//')" \
   "... and the end of that list is the smallest leaf_3 site"
is "$(f 'j["flame_match"]')" \
   "matching \"leaf_3\": $(comma "$(json ms.json 'sum(l["bytes"] for l in j["leaks"] if l["stack"][0]["function"] == "leaf_3")')") bytes (10.0%)" \
   "the flame graphs' search totals the leaf_3 frames' bytes in use"
size=$(stat -c %s ms.png 2>/dev/null || echo 0)
check "the screenshot is a PNG of a real page ($size bytes > 40 KB)" \
  test "$(head -c 8 ms.png | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a -a "$size" -gt 40960

# --- checkpoints and their diff ----------------------------------------------
"$HEAPSPY" run -q -o cd.hsp -- "$TESTBIN/checkpoint_diff" >/dev/null 2>&1
"$HEAPSPY" report --format json cd.hsp >cd.json
"$HEAPSPY" report --format html -o cd.html cd.hsp
diffline() {
  "$HEAPSPY" report --diff "$1" "$2" --format json cd.hsp |
    python3 -c 'import json,sys; s=json.load(sys.stdin)["sites"][0]; print(s["bytes"], s["blocks"], ";".join(f["function"] or "??" for f in reversed(s["stack"])))'
}
for pair in "start middle" "middle end"; do
  set -- $pair
  page cd.html "cd-$1.png" main "$1" "$2" >"cd-$1.facts" 2>"cd-$1.err"
  is "$(json "cd-$1.facts" '"%s %s %s" % (j["diff"]["bytes"], j["diff"]["blocks"], j["diff"]["stack"])')" "$(diffline "$1" "$2")" \
     "click '$1' then '$2': the diff's top stack, bytes and blocks = report --diff $1 $2"
done
is "$(json cd-start.facts 'j["cp_markers"]')" "$(json cd.json 'len(j["checkpoints"])')" \
   "the timeline marks each checkpoint of the JSON report"
is "$(json cd-start.facts 'j["requests"] + j["console_errors"]')" "[]" "checkpoints page: no request, no console error"

# --- errors --------------------------------------------------------------------
"$HEAPSPY" run -q --check -o err.hsp -- "$TESTBIN/check_heap" double-free >/dev/null 2>&1
"$HEAPSPY" report --format json err.hsp >err.json
"$HEAPSPY" report --format html -o err.html err.hsp
page err.html err.png x >err.facts 2>err.err
like "$(json err.facts '" / ".join(j["errors"])')" "^$(json err.json '" / ".join(e["kind"] for e in j["errors"])') .*check_heap\.c" \
   "the errors list: the JSON's errors, in the program's source"
done_testing
