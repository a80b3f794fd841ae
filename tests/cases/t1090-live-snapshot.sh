#!/usr/bin/env bash
# Story 3, live: "still held" is not "leaked", asked of a running process
# from outside. `heapspy snapshot PID NAME --leak-check` makes the spy
# classify its heap now, without stopping the program: the cache a global
# still points to is still reachable, the dropped buffers are lost. The
# checkpoint is also in the final report.
source "$(dirname "$0")/../lib/tap.sh"
plan 13
SRC="$TOP/tests/cases/live_cache.c"
LOST_LINE=$(grep -n 'the lost buffer' "$SRC" | cut -d: -f1)

"$HEAPSPY" run -o live.hsp --format json --log-file final.json -- "$TESTBIN/live_cache" "$TMP/ready" &
runner=$!
trap 'kill $runner 2>/dev/null; rm -rf "$TMP"' EXIT
for i in $(seq 100); do [ -s ready ] && break; sleep 0.05; done
pid=$(pgrep -P $runner -f live_cache | head -1)
check "the program is running under heapspy (pid $pid)" test -n "$pid"

"$HEAPSPY" snapshot --leak-check --format json "$pid" midway > snap.json
is "$?" "0" "snapshot --leak-check succeeds"
is "$(json snap.json 'j["name"], j["leak_check"], j["from_outside"]')" "('midway', True, True)" \
   "the checkpoint is named and marked as a leak check from outside"
is "$(json snap.json 'j["leak_summary"]["definitely_lost"]["blocks"], j["leak_summary"]["definitely_lost"]["bytes"]')" \
   "(30, 9000)" "the 30 dropped buffers (9,000 bytes) are definitely lost"
is "$(json snap.json 'j["leak_summary"]["still_reachable"]["blocks"] >= 20')" "True" \
   "the cache (20 blocks) is still reachable, not lost"
is "$(json snap.json '[s["stack"][0]["function"] for s in j["sites"]][0], [s["stack"][0]["line"] for s in j["sites"]][0]')" \
   "('lose', $LOST_LINE)" "the lost site is lose() at line $LOST_LINE"
kill -0 "$pid" 2>/dev/null
is "$?" "0" "the program keeps running after the snapshot"

"$HEAPSPY" snapshot "$pid" plain > plain.txt
like "$(cat plain.txt)" "^Checkpoint 'plain' at [0-9]+ ms: " "a plain snapshot prints the checkpoint"
# GNU order: options may follow the operands, as the README writes them.
"$HEAPSPY" snapshot "$pid" late --leak-check --format json > late.json
is "$?:$(json late.json 'j["name"], j["leak_check"]')" "0:('late', True)" \
   "snapshot PID NAME --leak-check --format json: options after the operands"
"$HEAPSPY" snapshot "$pid" --timeout 2>err.txt
is "$?:$(head -1 err.txt)" "125:heapspy: snapshot: a value is missing after '--timeout'" \
   "an option missing its value says so"
"$HEAPSPY" snapshot 999999 x 2> err.txt
like "$(cat err.txt)" "no such process 999999" "an unknown pid is a one-line error"

kill -TERM "$pid"
wait $runner
is "$(json final.json '[c["name"] for c in j["checkpoints"]]')" "['midway', 'plain', 'late']" \
   "the checkpoints are in the final report"
is "$(json final.json '[c["leak_check"] for c in j["checkpoints"]]')" "[True, False, True]" \
   "the leak checks carry their classification"
done_testing
