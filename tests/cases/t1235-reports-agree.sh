#!/usr/bin/env bash
# t1235-reports-agree: every sentence of every report agrees with the
# numbers next to it, and the text, JSON and HTML reports of one profile
# say the same: bytes lost (0 when nothing is in use, scan or not), bytes
# in use at exit, the peak (also drawn in the timeline, even when it fell
# between two samples) and the timeline's verdict. On a program that frees
# everything, on story 1 and on a program killed by SIGKILL (the one end with no scan).
source "$(dirname "$0")/../lib/tap.sh"
plan 18

# facts NAME: one line of the facts each report states, text|json|html
facts() {
  "$HEAPSPY" report "$1.hsp" >"$1.txt"
  "$HEAPSPY" report --format json "$1.hsp" >"$1.json"
  "$HEAPSPY" report --format html -o "$1.html" "$1.hsp"
  /usr/bin/python3 - "$1" <<'PY'
import html, json, re, sys
n = sys.argv[1]
txt = open(n + ".txt").read()
j = json.load(open(n + ".json"))
h = open(n + ".html").read()
h = re.sub(r"<(script|style).*?</\1>", "", h, flags=re.S)
h = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", h)))
num = lambda s: int(s.replace(",", ""))
def text_facts():
    inuse = num(re.search(r"in use at exit: ([\d,]+) bytes", txt).group(1))
    peak = num(re.search(r"peak heap usage: ([\d,]+) bytes", txt).group(1))
    lost = num(re.search(r"heapspy: ([\d,]+) bytes lost", txt).group(1))
    m = re.search(r"^  (heap (grew|shrank|rose) .*)$", txt, re.M)
    rows = re.findall(r"^ +[\d.]+ s +(\S+ \S+) ", txt, re.M)
    return inuse, peak, lost, m.group(1) if m else None, rows
inuse, peak, lost, verdict, rows = text_facts()
jl = j["leak_summary"]
jlost = sum(jl[k]["bytes"] for k in ("definitely_lost", "indirectly_lost", "possibly_lost"))
hl = re.search(r"\blost (not classified|[\d,]+ bytes)", h).group(1)
hv = re.search(r"(Heap (?:grew|shrank|rose) .*?; RSS (?:grew|shrank) [\d.]+ [KMG]?B)\.", h)
print("text", inuse, peak, lost, verdict)
print("json", j["totals"]["in_use_bytes"], j["totals"]["peak_bytes"], jlost)
print("html", num(re.search(r"in use at exit ([\d,]+) bytes", h).group(1)),
      num(re.search(r"peak heap usage ([\d,]+) bytes", h).group(1)), hl,
      hv.group(1)[0].lower() + hv.group(1)[1:] if hv else None)
print("rows", " | ".join(rows))
PY
}

# --- a program that frees everything: nothing lost, the peak drawn ------
"$HEAPSPY" run -q -o free.hsp -- "$TESTBIN/frees_everything"
facts free >free.facts
is "$(sed -n 1p free.facts | cut -d' ' -f2-4)" "0 1048576 0" "text: 0 in use, the 1 MiB peak, 0 lost"
is "$(sed -n 2p free.facts)" "json 0 1048576 0" "JSON: the same three numbers"
is "$(sed -n 3p free.facts | cut -d' ' -f2-5)" "0 1048576 0 bytes" \
   "HTML: the same, and 'lost 0 bytes', not 'not classified', for a program that exited"
like "$(sed -n 4p free.facts)" "(^rows | \| )1\.0 MB" "the text timeline has a row at the 1 MiB peak"
like "$(sed -n 1p free.facts)" "heap rose from .* to a peak of 1\.0 MB at [0-9.]+ s and ended at 0 B" \
   "the verdict names the peak and the end, as the timeline shows them"
is "$(sed -n 1p free.facts | cut -d' ' -f5-)" "$(sed -n 3p free.facts | cut -d' ' -f6-)" \
   "the HTML verdict is the text's"
like "$(sed -n '/aria-label="heap over time"/,/<\/svg>/p' free.html | grep -o '>[0-9.]* [KMG]*B<' | tail -1)" ">1\.0 MB<" \
   "the HTML heap chart's scale tops at the peak"

# --- story 1: a steady leak ---------------------------------------------
"$HEAPSPY" run -q -o s1.hsp -- "$HEAPSPY_BUILD/examples/marshal-demo" 400 400 >/dev/null
facts s1 >s1.facts
is "$(sed -n 1p s1.facts | cut -d' ' -f2-4)" "14290 $(json s1.json 'j["totals"]["peak_bytes"]') 14290" \
   "story 1, text: 14,290 bytes in use, all lost"
is "$(sed -n 2p s1.facts | cut -d' ' -f2,4)" "14290 14290" "story 1, JSON: the same"
is "$(sed -n 3p s1.facts | cut -d' ' -f2,4-5)" "14290 14,290 bytes" "story 1, HTML: the same"
like "$(sed -n 1p s1.facts)" "heap grew [0-9.]+ [KMG]?B in [0-9.]+ s" "story 1: the heap grows, and the verdict says so"
is "$(sed -n 1p s1.facts | cut -d' ' -f5-)" "$(sed -n 3p s1.facts | cut -d' ' -f6-)" \
   "story 1: the HTML verdict is the text's"

# --- killed by SIGKILL: in use, not classified --------------------------
"$HEAPSPY" run -q -o kill.hsp -- "$TESTBIN/exit_paths" sigkill >/dev/null 2>&1
facts kill >kill.facts
is "$(sed -n 1p kill.facts | cut -d' ' -f2,4)" "150 0" "killed: text: 150 bytes in use, 0 lost"
like "$(cat kill.txt)" "No reachability scan ran \(the program did not reach exit\)" \
   "killed: the text says the blocks are unclassified"
is "$(sed -n 3p kill.facts | cut -d' ' -f2,4-5)" "150 not classified" \
   "killed: the HTML says 'not classified', not 0 lost"
is "$(json kill.json 'j["leak_summary"]["unclassified"]["bytes"]')" 150 "killed: JSON files them as unclassified"
is "$(sed -n 2p kill.facts | cut -d' ' -f2)" 150 "killed: JSON's in use is the text's"
check "killed: every report renders" test -s kill.html -a -s kill.json
done_testing
