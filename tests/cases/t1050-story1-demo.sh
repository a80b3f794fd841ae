#!/usr/bin/env bash
# t1050-story1-demo: story 1, "the string that leaked through a wrapper",
# on the demo `make demo` runs (examples/marshal-leak, built to
# build/examples/marshal-demo). With N = 1000 iterations the program loses
# one marshal_to_wire() buffer per iteration: 1000 blocks of
# 4 + strlen("record #i: temperature T.D C") + 1 bytes for i = 0..999,
# 35890 bytes in all (computed below from the format string in
# component.c), all allocated at one call stack:
#   marshal_to_wire (examples/marshal-leak/marshal.c, the malloc line)
#   main            (examples/marshal-leak/demo.c, the marshal_to_wire call)
# heapspy must show exactly that one site, definitely lost, family malloc,
# module marshal-demo, with a first-allocation time and a hex dump of a
# sample block; the halfway checkpoint shows the growth; valgrind agrees.
source "$(dirname "$0")/../lib/tap.sh"
plan 19

DEMO="$HEAPSPY_BUILD/examples/marshal-demo"
EXDIR=examples/marshal-leak
MALLOC_LINE=$(grep -n 'malloc(sizeof \*w' "$TOP/$EXDIR/marshal.c" | cut -d: -f1)
CALL_LINE=$(grep -n '= marshal_to_wire(previous)' "$TOP/$EXDIR/demo.c" | cut -d: -f1)
jv() { python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); r=eval(sys.argv[2]); print(" ".join(map(str, r)) if isinstance(r, tuple) else r)' "$1" "$2"; }
# sizes of the lost blocks, from component.c's snprintf format
LOST_BYTES=$(python3 -c 'print(sum(4 + len("record #%d: temperature %d.%d C" % (i, 20 + i % 7, i % 10)) + 1 for i in range(1000)))')
# at the checkpoint (i = 500): wire buffers for strings 0..499, plus the
# component's current string (64 bytes)
HALF_BYTES=$(python3 -c 'print(sum(4 + len("record #%d: temperature %d.%d C" % (i, 20 + i % 7, i % 10)) + 1 for i in range(500)) + 64)')

check "the demo is built (make examples)" test -x "$DEMO"
check "the demo's snprintf format is still the one this test computes sizes from" \
  grep -q '"record #%d: temperature %d.%d C"' "$TOP/$EXDIR/component.c"

"$HEAPSPY" run -o demo.hsp --format json -- "$DEMO" 1000 >demo.out 2>demo.json
is "$?" 0 "the demo exits 0 under heapspy"
is "$(cat demo.out)" "sent 1000 values, $((LOST_BYTES - 1000)) bytes" "the demo's own output is untouched"
is "$(jv demo.json 'len([g for g in j["leaks"] if g["kind"] != "still_reachable"])')" 1 "exactly one lost site"
g='j["leaks"][0]'
is "$(jv demo.json "$g[\"kind\"], $g[\"blocks\"], $g[\"bytes\"], $g[\"family\"], $g[\"module\"]")" \
   "definitely_lost 1000 $LOST_BYTES malloc marshal-demo" "1000 blocks, $LOST_BYTES bytes definitely lost, family malloc, module marshal-demo"
is "$(jv demo.json "$g[\"stack\"][0][\"function\"], $g[\"stack\"][0][\"file\"], $g[\"stack\"][0][\"line\"], $g[\"stack\"][0][\"module\"]")" \
   "marshal_to_wire $EXDIR/marshal.c $MALLOC_LINE marshal-demo" "culprit: marshal_to_wire at $EXDIR/marshal.c:$MALLOC_LINE"
is "$(jv demo.json "$g[\"stack\"][1][\"function\"], $g[\"stack\"][1][\"file\"], $g[\"stack\"][1][\"line\"]")" \
   "main $EXDIR/demo.c $CALL_LINE" "caller: main at $EXDIR/demo.c:$CALL_LINE"
is "$(jv demo.json 'j["leak_summary"]["definitely_lost"]["bytes"], j["leak_summary"]["definitely_lost"]["blocks"], j["leak_summary"]["still_reachable"]["blocks"]')" \
   "$LOST_BYTES 1000 0" "leak summary: $LOST_BYTES bytes in 1000 blocks definitely lost, nothing else held"
check "first allocation time is a number of ms" python3 -c 'import json,sys; g=json.load(open(sys.argv[1]))["leaks"][0]; sys.exit(not (isinstance(g["first_alloc_ms"], int) and g["first_alloc_ms"] >= 0))' demo.json
# sample block: a little-endian length word, then "record #..."
is "$(jv demo.json 'bytes.fromhex(j["leaks"][0]["sample"]["hex"])[4:12].decode()')" "record #" "the sample block holds a marshalled record"
is "$(jv demo.json 'int.from_bytes(bytes.fromhex(j["leaks"][0]["sample"]["hex"])[:4], "little") + 5 == j["leaks"][0]["sample"]["size"]')" True \
   "the sample's length word matches its size (len + 4 + 1)"
is "$(jv demo.json '[(c["name"], c["in_use_bytes"], c["in_use_blocks"]) for c in j["checkpoints"]]')" \
   "[('halfway', $HALF_BYTES, 501)]" "the halfway checkpoint: 500 lost buffers + the current string (the leak grows)"
is "$(jv demo.json 'j["by_module"][0]["module"], j["by_module"][0]["blocks"]' 2>/dev/null)" "marshal-demo 1000" \
   "the memory is held by module marshal-demo"

# the text report, as a user reads it
"$HEAPSPY" run -o demo-text.hsp -- "$DEMO" 1000 >/dev/null 2>demo.txt
LOST_COMMAS=$(python3 -c 'import sys; print(f"{int(sys.argv[1]):,}")' "$LOST_BYTES")
like "$(cat demo.txt)" "^$LOST_COMMAS bytes in 1,000 blocks are definitely lost \(malloc\), site 1 of 1, first allocated at [0-9]+ ms$" \
   "text: headline with bytes, blocks, kind, family, site 1 of 1, first allocation time"
like "$(cat demo.txt)" "^    #0  marshal_to_wire at $EXDIR/marshal\.c:$MALLOC_LINE \(marshal-demo\+0x[0-9a-f]+\)$" "text: frame #0"
like "$(cat demo.txt)" "^    #1  main at $EXDIR/demo\.c:$CALL_LINE \(marshal-demo\+0x[0-9a-f]+\)$" "text: frame #1"
like "$(cat demo.txt)" '^    0000  [0-9a-f]{2} 00 00 00 72 65 63 6f  72 64 20 23 .*\|\.\.\.\.record #' "text: hex dump of the sample block"

# valgrind agrees on what is lost
if command -v valgrind >/dev/null 2>&1; then
  valgrind --leak-check=full "$DEMO" 1000 >/dev/null 2>vg.txt
  is "$(sed -n 's/^==[0-9]*==    definitely lost: \([0-9,]*\) bytes in \([0-9,]*\) blocks$/\1 \2/p' vg.txt | tr -d ,)" \
     "$LOST_BYTES 1000" "valgrind: definitely lost: $LOST_BYTES bytes in 1000 blocks, the same"
else
  skip "valgrind agrees" "valgrind not installed"
fi

done_testing
