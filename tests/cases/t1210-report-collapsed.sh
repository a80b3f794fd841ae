#!/usr/bin/env bash
# t1210-report-collapsed: `heapspy report --format collapsed` (issue 5,
# "Formats"): the folded stacks flame graph tools read, on story 1's demo
# (build/examples/marshal-demo, 1000 iterations).
#
# Folded: one line per stack, frames outermost first joined by ';', a
# space and a weight; stacks that fold to the same frames (the same
# functions called from two lines) are one line. By default the weight is bytes in use at exit: the
# demo holds exactly one stack, main -> marshal_to_wire, 35890 bytes (see
# t1050). With --hotspots the weight is bytes allocated over the run: the
# component's 1001 strings of 64 bytes appear too, and the weights add up
# to the run's bytes allocated.
source "$(dirname "$0")/../lib/tap.sh"
plan 11

DEMO="$HEAPSPY_BUILD/examples/marshal-demo"
LOST_BYTES=$(python3 -c 'print(sum(4 + len("record #%d: temperature %d.%d C" % (i, 20 + i % 7, i % 10)) + 1 for i in range(1000)))')

check "the demo is built (make examples)" test -x "$DEMO"
"$HEAPSPY" run -q -o demo.hsp -- "$DEMO" 1000 >/dev/null 2>&1
"$HEAPSPY" report --format json demo.hsp >demo.json

"$HEAPSPY" report --format collapsed demo.hsp >inuse.txt 2>inuse.err
is "$?" 0 "collapsed: exit status 0"
is "$(wc -l <inuse.txt)" 1 "in use at exit: exactly one stack"
like "$(cat inuse.txt)" "^([^;]+;)*main;marshal_to_wire $LOST_BYTES$" \
  "in use at exit: ...;main;marshal_to_wire $LOST_BYTES (outermost first, culprit last)"
like "$(cat inuse.txt)" "^_start;" "frames start at the outermost one"

"$HEAPSPY" report --format collapsed --hotspots demo.hsp >alloc.txt
is "$?" 0 "collapsed --hotspots: exit status 0"
like "$(cat alloc.txt)" "^([^;]+;)*main;component_describe 64064$" \
  "allocated over the run: the component's 1001 strings of 64 bytes (two call lines in main fold into one)"
like "$(cat alloc.txt)" "^([^;]+;)*main;marshal_to_wire $LOST_BYTES$" \
  "allocated over the run: the wire buffers"
is "$(awk '{s += $NF} END {print s}' alloc.txt)" "$(json demo.json 'j["totals"]["bytes_allocated"]')" \
  "allocated weights add up to the run's bytes allocated"
is "$(grep -Evc '^[^;]+(;[^;]+)* [1-9][0-9]*$' alloc.txt)" 0 \
  "every line is frames;...;frames WEIGHT, weight > 0"
is "$(cut -d' ' -f1 alloc.txt | sort | uniq -d | wc -l)" 0 \
  "no two lines fold to the same stack (merged)"

done_testing
