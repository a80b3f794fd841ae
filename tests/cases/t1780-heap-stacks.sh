#!/usr/bin/env bash
# t1780-heap-stacks: `heapspy heap PID` on a process under heapspy (run or
# attach) gives each leak group and census group the allocation stacks of
# its blocks, from the spy's live-block table (issue 13, item 3).
#
# heap_stacks: 40-byte strings from three sites: leak_five drops 5,
# leak_three drops 3 (both in the one leak group "definitely lost, 40-byte
# blocks": only the stacks tell them apart), keep_four keeps 4 in a global.
# The oracles, for the same blocks: the spy's own leak check when the
# program ends (`heapspy report` of the profile) and memcheck's loss
# records at exit; the spy's live checkpoint (`heapspy snapshot`) for
# what each stack holds. Attached after leak_five and keep_four ran, the
# spy knows only leak_three's blocks: the rest are "unrecorded", counted.
source "$(dirname "$0")/../lib/tap.sh"
source "$TOP/tests/cases/inspect-lib.sh"
plan 16

PROG=$TESTBIN/heap_stacks
LINE_FIVE=$(grep -n 'TEXT(.a.)' "$TOP/tests/cases/heap_stacks.c" | cut -d: -f1)
LINE_THREE=$(grep -n 'TEXT(.b.)' "$TOP/tests/cases/heap_stacks.c" | cut -d: -f1)
LINE_FOUR=$(grep -n 'TEXT(.k.)' "$TOP/tests/cases/heap_stacks.c" | cut -d: -f1)

# The 40-byte leak groups: per stack (function, line, blocks, bytes), and
# the blocks without the spy's record. (Attached, the spy's own loading
# leaves a block of its own: dlopen's, unrecorded, possibly lost.)
lost_stacks() {
  json "$1" '[([(s["stack"][0]["function"], s["stack"][0]["line"], s["blocks"], s["bytes"]) for s in g["stacks"]], (g["unrecorded"]["blocks"], g["unrecorded"]["bytes"])) for g in j["leak_groups"] if g["size"] == 40]'
}
strings_stacks() {
  json "$1" 'sorted((s["stack"][0]["function"], s["blocks"], s["bytes"]) for s in j["strings"]["stacks"]) + [("unrecorded", j["strings"]["unrecorded"]["blocks"], j["strings"]["unrecorded"]["bytes"])]'
}

# --- under heapspy run ------------------------------------------------------------------
mkfifo "$TMP/r.fifo"
"$HEAPSPY" run -q -o "$TMP/r.hsp" -- "$PROG" "$TMP/r.ready" "$TMP/r.fifo" >r.out 2>&1 &
RUN_pid=$!
remember "$RUN_pid"
wait_file "$TMP/r.ready" || { echo "Bail out! heap_stacks did not start under heapspy run"; exit 1; }
R_pid=$(sed -n 's/^pid=//p' "$TMP/r.ready")
remember "$R_pid"
echo three >"$TMP/r.fifo"
wait_file "$TMP/r.ready.three" || { echo "Bail out! heap_stacks did not run leak_three"; exit 1; }

"$HEAPSPY" heap --format json "$R_pid" >r.json 2>r.err
is "$?:$(cat r.err)" "0:" "heap --format json on a spied process: exit 0, nothing on stderr"
check "no thread left stopped" no_stopped_threads "$R_pid"
is "$(json r.json '(j["spy"]["profile"], j["spy"]["recorded_blocks"], j["spy"]["unrecorded_blocks"], j["heap"]["in_use_blocks"], j["leak_summary"]["allocation_stacks"])')" \
  "('$TMP/r.hsp', 12, 0, 12, True)" "the spy's profile found; all 12 in-use blocks have its record"
is "$(lost_stacks r.json)" \
  "[([('leak_five', $LINE_FIVE, 5, 200), ('leak_three', $LINE_THREE, 3, 120)], (0, 0))]" \
  "the one leak group (8 x 40 bytes) names both sites: leak_five 5 blocks 200 bytes, leak_three 3 blocks 120"
is "$(json r.json '[(g["kind"], g["size"], g["blocks"], g["bytes"]) for g in j["leak_groups"]]')" \
  "[('definitely lost', 40, 8, 320)]" "... and is one group: definitely lost, 40-byte blocks, 8, 320 bytes"
is "$(strings_stacks r.json)" \
  "[('keep_four', 4, 160), ('leak_five', 5, 200), ('leak_three', 3, 120), ('unrecorded', 0, 0)]" \
  "census group strings: the three sites, with their blocks and bytes"

# the spy's own leak check, live
"$HEAPSPY" snapshot --leak-check --format json "$R_pid" >snap.json
is "$(json snap.json 'sorted((s["stack"][0]["function"], s["stack"][0]["line"], s["blocks"], s["bytes"]) for s in j["sites"] if s["kind"] == "definitely_lost")')" \
  "$(json r.json 'sorted((s["stack"][0]["function"], s["stack"][0]["line"], s["blocks"], s["bytes"]) for s in j["leak_groups"][0]["stacks"])')" \
  "heapspy snapshot --leak-check: definitely lost per stack, as heap gave them"

"$HEAPSPY" heap "$R_pid" >r.txt
like "$(cat r.txt)" "under heapspy: 12 of 12 in-use blocks have the spy's allocation stack" "text: says the stacks are the spy's"
like "$(sed -n '/^LOST BLOCKS/,$p' r.txt)" "allocated at \\(2 stacks, from the spy's profile\\):
 +5 blocks, 200 bytes \\(200 requested\\):
 +#0  leak_five at tests/cases/heap_stacks.c:$LINE_FIVE " "text: the lost group's stacks, largest first, symbolized"

# the program ends: the spy's exit report
echo exit >"$TMP/r.fifo"
wait "$RUN_pid"
"$HEAPSPY" report --format json "$TMP/r.hsp" >exit.json
is "$(json exit.json 'sorted((l["stack"][0]["function"], l["stack"][0]["line"], l["blocks"], l["bytes"]) for l in j["leaks"] if l["kind"] == "definitely_lost")')" \
  "$(json r.json 'sorted((s["stack"][0]["function"], s["stack"][0]["line"], s["blocks"], s["bytes"]) for s in j["leak_groups"][0]["stacks"])')" \
  "the spy's exit report: definitely lost per stack, as heap gave them"
is "$(json exit.json 'sorted((l["stack"][0]["function"], l["blocks"], l["bytes"]) for l in j["leaks"])')" \
  "$(json r.json 'sorted((s["stack"][0]["function"], s["blocks"], s["bytes"]) for s in j["strings"]["stacks"])')" \
  "the spy's exit report: every stack's blocks and bytes (still reachable too), as in heap's strings group"

# --- memcheck at exit ---------------------------------------------------------------------
if command -v valgrind >/dev/null; then
  timeout 120 valgrind --leak-check=full --show-leak-kinds=all --log-file=vg.log "$PROG" x y >/dev/null 2>&1
  python3 - vg.log >vg.txt <<'PY'
import re, sys
log = open(sys.argv[1]).read()
out = []
for rec in re.split(r"==\d+== \n", log):
    m = re.search(r"([\d,]+) bytes in ([\d,]+) blocks are definitely lost in loss record", rec)
    f = re.search(r"by 0x[0-9A-F]+: (\w+) \(heap_stacks\.c:(\d+)\)", rec)
    if m and f:
        out.append((f.group(1), int(f.group(2)), int(m.group(2).replace(",", "")), int(m.group(1).replace(",", ""))))
print(sorted(out))
PY
  is "$(cat vg.txt)" \
    "$(json r.json 'sorted((s["stack"][0]["function"], s["stack"][0]["line"], s["blocks"], s["bytes"]) for s in j["leak_groups"][0]["stacks"])')" \
    "memcheck at exit: definitely lost per stack, as heap gave them"
else
  skip "memcheck oracle" "valgrind not installed"
fi

# --- under heapspy attach: what came before is unrecorded ---------------------------------
mkfifo "$TMP/a.fifo"
start_prog A "$TMP/a.ready" "$PROG" "$TMP/a.ready" "$TMP/a.fifo" || { echo "Bail out! heap_stacks did not start"; exit 1; }
"$HEAPSPY" attach -o "$TMP/a.hsp" "$A_pid" >att.out 2>att.err &
ATT_pid=$!
remember "$ATT_pid"
for _ in $(seq 1 1500); do grep -q '^heapspy: attached to process' att.err 2>/dev/null && break; sleep 0.02; done
echo three >"$TMP/a.fifo"
wait_file "$TMP/a.ready.three" || { echo "Bail out! heap_stacks did not run leak_three"; exit 1; }
"$HEAPSPY" heap --format json "$A_pid" >a.json 2>a.err
is "$?:$(cat a.err)" "0:" "heap on an attached process: exit 0"
is "$(json a.json '(j["spy"]["attached"], j["spy"]["recorded_blocks"], j["spy"]["unrecorded_blocks"] == j["heap"]["in_use_blocks"] - 3)')" \
  "(True, 3, True)" "attached: leak_three's 3 blocks recorded, every other block (from before) unrecorded"
is "$(lost_stacks a.json)" "[([('leak_three', $LINE_THREE, 3, 120)], (5, 200))]" \
  "the leak group: leak_three's stack, and leak_five's 5 blocks (200 bytes) unrecorded"
"$HEAPSPY" heap "$A_pid" >a.txt
like "$(sed -n '/^LOST BLOCKS/,$p' a.txt)" "5 blocks, 200 bytes not recorded by the spy \\(allocated before \`heapspy attach\`" \
  "text: the unrecorded blocks, and why"
"$HEAPSPY" detach "$A_pid" >/dev/null 2>&1
wait "$ATT_pid"
done_testing
