#!/usr/bin/env bash
# t1240-report-hotspots-timeline: `heapspy report --hotspots` and
# `--timeline` (issue 5, "Peak, hotspots, temporaries" and "Timeline"), on
# story 1's demo (marshal-demo, 1000 iterations).
#
# Hotspots rank stacks by allocation calls and by bytes allocated over the
# run, from the spy's per-stack counters. The demo's loop makes exactly
# 1000 calls at each of two stacks: component_describe (64 bytes each,
# 64000 bytes, all freed) and marshal_to_wire (35890 bytes, all kept).
# Ties in calls rank by bytes, so component_describe comes first in both
# lists, marshal_to_wire second. --max-sites N keeps the top N.
# --timeline shows the timeline section alone: the table and its verdict,
# which names the stack holding the memory; in JSON the SPEC's timeline
# key, the same points as the full report's. Combinations that make no
# sense, and unknown formats, are usage errors (125, one line).
source "$(dirname "$0")/../lib/tap.sh"
plan 20

DEMO="$HEAPSPY_BUILD/examples/marshal-demo"
EXDIR=examples/marshal-leak
MALLOC_LINE=$(grep -n 'malloc(sizeof \*w' "$TOP/$EXDIR/marshal.c" | cut -d: -f1)
DESCRIBE_LINE=$(grep -n 'malloc(64)' "$TOP/$EXDIR/component.c" | cut -d: -f1)
LOST_BYTES=$(python3 -c 'print(sum(4 + len("record #%d: temperature %d.%d C" % (i, 20 + i % 7, i % 10)) + 1 for i in range(1000)))')
LOST_COMMAS=$(python3 -c 'import sys; print(f"{int(sys.argv[1]):,}")' "$LOST_BYTES")

check "the demo is built (make examples)" test -x "$DEMO"
"$HEAPSPY" run -q -o demo.hsp -- "$DEMO" 1000 >/dev/null 2>&1
"$HEAPSPY" report --format json demo.hsp >full.json

# --- hotspots, text ----------------------------------------------------------
"$HEAPSPY" report --hotspots demo.hsp >hot.txt 2>hot.err
is "$?" 0 "--hotspots: exit status 0"
calls=$(sed -n '/^MOST ALLOCATION CALLS/,/^$/p' hot.txt)
like "$calls" '^MOST ALLOCATION CALLS \([0-9]+ of [0-9]+ stacks\)$' "text: the calls list has its title"
like "$(printf '%s\n' "$calls" | sed -n 2,3p | tr '\n' '~')" \
  "^ 1\. 1,000 calls, 64,000 bytes allocated, 0 bytes in use at exit~    #0  component_describe at $EXDIR/component\.c:$DESCRIBE_LINE " \
  "text: first by calls: 1,000 calls of component_describe (component.c:$DESCRIBE_LINE), nothing kept"
like "$calls" "^ 2\. 1,000 calls, $LOST_COMMAS bytes allocated, $LOST_COMMAS bytes in use at exit$" \
  "text: second by calls: 1,000 calls, $LOST_COMMAS bytes, all still in use"
like "$calls" "^    #0  marshal_to_wire at $EXDIR/marshal\.c:$MALLOC_LINE " "text: ... at marshal_to_wire"
like "$(sed -n '/^MOST BYTES ALLOCATED/,/^$/p' hot.txt)" "^ 1\. 1,000 calls, 64,000 bytes allocated" \
  "text: the bytes list has its title and the component first"

# --- hotspots, JSON ----------------------------------------------------------
"$HEAPSPY" report --hotspots --format json demo.hsp >hot.json
is "$?" 0 "--hotspots --format json: exit status 0"
is "$(json hot.json '[(h["allocs"], h["bytes"], h["in_use_bytes"], h["stack"][0]["function"]) for h in j["hotspots"]["by_calls"][:2]]')" \
   "[(1000, 64000, 0, 'component_describe'), (1000, $LOST_BYTES, $LOST_BYTES, 'marshal_to_wire')]" \
   "json by_calls: component_describe, then marshal_to_wire"
is "$(json hot.json '[h["bytes"] for h in j["hotspots"]["by_bytes"]] == sorted([h["bytes"] for h in j["hotspots"]["by_bytes"]], reverse=True)')" True \
   "json by_bytes: largest first"
is "$(json hot.json 'j["totals"]["allocs"], j["totals"]["bytes_allocated"]')" \
   "$(json full.json 'j["totals"]["allocs"], j["totals"]["bytes_allocated"]')" "json: the run's totals, as the full report's"
"$HEAPSPY" report --hotspots --format json --max-sites 1 demo.hsp >hot1.json
is "$(json hot1.json 'len(j["hotspots"]["by_calls"]), len(j["hotspots"]["by_bytes"])')" "(1, 1)" \
   "--max-sites 1: one entry per list"

# --- timeline ----------------------------------------------------------------
"$HEAPSPY" report --timeline demo.hsp >tl.txt 2>tl.err
is "$?" 0 "--timeline: exit status 0"
like "$(head -1 tl.txt)" '^TIMELINE' "text: the timeline section alone (it starts the output)"
is "$(grep -c 'HEAP SUMMARY\|definitely lost' tl.txt)" 0 "text: no leak list, no summary"
like "$(cat tl.txt)" "^  100% of the memory in use at exit comes from one stack: marshal_to_wire at $EXDIR/marshal\.c:$MALLOC_LINE \(marshal-demo\)$" \
  "text: the verdict names the stack: marshal_to_wire at marshal.c:$MALLOC_LINE"
"$HEAPSPY" report --timeline --format json demo.hsp >tl.json
is "$(json tl.json 'j["timeline"] == json.load(open("full.json"))["timeline"] and len(j["timeline"]) > 0')" True \
   "json: the SPEC's timeline key, the same points as the full report's"

# --- usage errors: one line, status 125 -----------------------------------------
"$HEAPSPY" report --timeline --format pprof demo.hsp >u.out 2>u.err
is "$? $(wc -l <u.err)" "125 1" "--timeline --format pprof: usage error, one line"
"$HEAPSPY" report --format svg demo.hsp >u.out 2>u.err
is "$? $(wc -l <u.err)" "125 1" "unknown format: usage error, one line"
like "$(cat u.err)" "text, json, pprof, collapsed, html" "the line lists the formats"

done_testing
