#!/usr/bin/env bash
# t1245-timeline-retention: `heapspy run`'s timeline and checkpoints carry
# glibc's own view of its heap (issue 13 item 1, issue 14's breakdown), so
# a leak and a retention problem are told apart over time.
#
# retention.c reads mallinfo2() itself, then asks for a checkpoint with no
# allocation in between, and pauses. The oracles:
#  - glibc, in the program: the checkpoint's free_held_bytes is the
#    fordblks it read, byte for byte (same call, same moment; threads are
#    joined, nothing allocates), and so are keepcost, arena, hblkhd;
#  - `heapspy heap PID` on the paused process (the glibc heap walked from
#    outside): its free_held + top - tcache (mallinfo2 counts tcache
#    blocks as in use) equals the same figure exactly;
#  - the verdict: "retention" for 4 threads that keep 1 block in 50 of
#    100 MiB, "leak" for a program that keeps everything, and text, JSON
#    and HTML say the same sentence.
source "$(dirname "$0")/../lib/tap.sh"
source "$TOP/tests/cases/inspect-lib.sh"
plan 16

PROG="$TESTBIN/retention"

# run_case NAME MODE: runs it under the spy, paused at its checkpoint.
run_case() {
  if ! start_prog "$1" "$TMP/$1.ready" "$HEAPSPY" run -q -o "$1.hsp" -- "$PROG" "$TMP/$1.ready" "$2"; then
    echo "Bail out! retention $2 did not start under heapspy run"
    exit 1
  fi
}
# finish NAME: lets it exit and renders the three reports.
finish() {
  local pid_var="${1}_pid" i
  kill -USR1 "${!pid_var}"
  for i in $(seq 1 100); do kill -0 "${!pid_var}" 2>/dev/null || break; sleep 0.1; done
  sleep 0.2
  "$HEAPSPY" report "$1.hsp" >"$1.txt"
  "$HEAPSPY" report --format json "$1.hsp" >"$1.json"
  "$HEAPSPY" report --format html -o "$1.html" "$1.hsp"
}
# html_text NAME: the page's words, tags and scripts left out.
html_text() {
  python3 -c 'import html,re,sys; h=open(sys.argv[1]).read(); h=re.sub(r"<(script|style).*?</\1>","",h,flags=re.S); print(html.unescape(re.sub(r"\s+"," ",re.sub(r"<[^>]+>"," ",h))))' "$1.html"
}

# --- (b) retention: 4 thread arenas, 1 block in 50 kept -------------------
run_case R retain
cp=$(printf 'j["checkpoints"][0]')
"$HEAPSPY" heap --format json "$R_pid" >heap.json
is "$?" 0 "heap --format json on the paused process: exit 0"
heap_free=$(json heap.json 'j["heap"]["free_held_bytes"] + j["heap"]["top_bytes"] - j["heap"]["tcache_bytes"]')
is "$heap_free" "$R_fordblks" "heap from outside: free_held + top - tcache = the program's mallinfo2 fordblks ($R_fordblks)"
is "$(json heap.json 'sum(1 for a in j["arenas"] if not a["main"])')" 4 "heap: the 4 thread arenas"
like "$(json heap.json 'j["verdict"]')" "freed memory held by glibc in 4 thread arenas \(fragmentation\), not live data" \
  "heap's verdict: fragmentation in 4 thread arenas"
finish R
is "$(json R.json "($cp['name'], $cp['free_held_bytes'])")" "('measured', $R_fordblks)" \
  "the checkpoint's free_held_bytes is glibc's fordblks at that moment"
is "$(json R.json "($cp['glibc']['main_top_bytes'], $cp['glibc']['system_bytes'], $cp['glibc']['mmapped_bytes'], $cp['glibc']['in_use_bytes'])")" \
  "($R_keepcost, $R_arena, $R_hblkhd, $R_uordblks)" "and keepcost, arena, hblkhd, uordblks are glibc's too"
is "$(json R.json "[t['free_held_bytes'] for t in j['timeline'] if t['t_ms'] == $cp['t_ms']][:1]")" "[$R_fordblks]" \
  "the timeline has the checkpoint's point, with the same figure"
check "over 95 MB held at the end ($R_fordblks)" test "$R_fordblks" -gt 95000000
verdict=$(json R.json 'j["retention_verdict"]')
like "$verdict" "^retention, not a leak: RSS grew [0-9.]+ MB: [0-9.]+ MB is freed memory held by glibc \(free chunks and top; malloc_trim could return part of it\), not live data \(the heap in use grew [0-9.]+ MB\)$" \
  "retention: the verdict says so ($verdict)"
is "$(grep -cxF "  $verdict" R.txt)" 1 "the text report says the same sentence"
h=$(html_text R)
is "$(grep -cF "${verdict^}." <<<"$h")" 1 "the HTML page says the same sentence"
like "$(sed -n '/^RSS EXPLAINED at the end/,/^$/p' R.txt)" "freed, held by glibc +$(json R.json '"{:,}".format(j["rss_explained"]["free_held_bytes"])')" \
  "text: RSS explained at the end shows the held bytes JSON gives"
like "$(sed -n '/^TIMELINE/,/^$/p' R.txt | sed -n 2p)" "time +in use +held +RSS +virtual" "text timeline: in use next to held"

# --- (a) a steady leak ------------------------------------------------------
run_case L leak
finish L
verdict=$(json L.json 'j["retention_verdict"]')
like "$verdict" "^leak, not retention: the heap in use grew 1[67]\.[0-9] MB, live data" "leak: the verdict says so ($verdict)"
is "$(grep -cxF "  $verdict" L.txt)" 1 "leak: the text says the same"
is "$(grep -cF "${verdict^}." <<<"$(html_text L)")" 1 "leak: the HTML too"
done_testing
