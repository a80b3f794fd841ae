#!/usr/bin/env bash
# t1020-exit-paths: story 4, "the report that vanished at exit". Whatever
# way the program leaves (return from main with atexit handlers, exit()
# from a non-main thread, _exit, a fatal SIGSEGV, abort, SIGKILL), nothing
# is lost: heapspy exits with the program's status (128+signal), prints
# the report, and the report holds exactly the blocks in use at the end.
#
# exit_paths.c loses five blocks (10+20+30+40+50 = 150 bytes) in
# lose_five() in every mode; see its header for the rest. valgrind agrees
# on every count below (checked by hand: "7 allocs, 1 frees, 1,227 bytes"
# and 227 bytes in 6 blocks definitely lost for "return"; 5 allocs, 150
# bytes in 5 blocks definitely lost for _exit, segv and abort).
source "$(dirname "$0")/../lib/tap.sh"
plan 60

PROG="$TESTBIN/exit_paths"
SRC="tests/cases/exit_paths.c"
FIVE_LINE=$(grep -n 'malloc(10 \* i); /\* LOST-FIVE' "$TOP/$SRC" | cut -d: -f1)
ATEXIT_LINE=$(grep -n 'malloc(77); /\* LOST-IN-ATEXIT' "$TOP/$SRC" | cut -d: -f1)

jv() { python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); r=eval(sys.argv[2]); print(" ".join(map(str, r)) if isinstance(r, tuple) else r)' "$1" "$2"; }
# The leak groups whose culprit (first) frame is FUNCTION: "kind bytes blocks" each
groups_of() { jv "$1" "sorted((g['kind'], g['bytes'], g['blocks']) for g in j['leaks'] if g['stack'] and g['stack'][0]['function'] == '$2')"; }

# run_mode MODE: heapspy run with a JSON report; sets st; leaves MODE.json
run_mode() {
  timeout 25 "$HEAPSPY" run -o "$1.hsp" --format json -- "$PROG" "$1" >"$1.out" 2>"$1.json"
  st=$?
}

# --- return from main, with an atexit handler that frees and leaks -----
run_mode return
is "$st" 7 "return 7 from main: heapspy exits 7"
is "$(cat return.out)" "five blocks lost
atexit handler ran" "the program's output, atexit handler included"
is "$(jv return.json 'j["totals"]["allocs"], j["totals"]["frees"], j["totals"]["bytes_allocated"]')" "7 1 1227" \
   "totals: 7 allocs, 1 free, 1227 bytes (the atexit handler's free and malloc counted)"
is "$(jv return.json 'j["totals"]["in_use_bytes"], j["totals"]["in_use_blocks"]')" "227 6" "in use at exit: 227 bytes in 6 blocks"
is "$(jv return.json 'j["leak_summary"]["definitely_lost"]["bytes"], j["leak_summary"]["definitely_lost"]["blocks"]')" "227 6" \
   "all 6 blocks definitely lost (as valgrind)"
is "$(groups_of return.json lose_five)" "[('definitely_lost', 150, 5)]" "lose_five's site: 150 bytes in 5 blocks definitely lost"
is "$(jv return.json '[(g["stack"][0]["line"]) for g in j["leaks"] if g["stack"][0]["function"] == "lose_five"][0]')" "$FIVE_LINE" \
   "lose_five's culprit line is $SRC:$FIVE_LINE"
is "$(groups_of return.json at_exit_handler)" "[('definitely_lost', 77, 1)]" "the atexit handler's block is reported too"
is "$(jv return.json '[(g["stack"][0]["line"]) for g in j["leaks"] if g["stack"][0]["function"] == "at_exit_handler"][0]')" "$ATEXIT_LINE" \
   "the atexit handler's culprit line is $SRC:$ATEXIT_LINE"
is "$(jv return.json 'j["exit"]["code"], j["exit"]["how"]')" "7 exit" "exit {code 7, how exit}"

# --- exit() from a non-main thread while main waits in pthread_join ----
# pthread_create itself allocates one block (the new thread's DTV, via
# calloc in _dl_allocate_tls) that nobody frees before exit: valgrind
# reports it too ("6 allocs, 0 frees", 272 bytes "possibly lost"). Its
# size depends on how many modules have TLS (the spy adds its own), so
# the test takes it from the report's pthread_create site.
run_mode thread
is "$st" 5 "exit(5) from a second thread: heapspy exits 5"
is "$(jv thread.json 'j["exit"]["code"], j["exit"]["how"]')" "5 exit" "exit {code 5, how exit}"
dtv=$(jv thread.json 'sum(g["bytes"] for g in j["leaks"] if any(f["function"] in ("pthread_create", "__pthread_create_2_1", "_dl_allocate_tls") for f in g["stack"]))')
is "$(jv thread.json 'j["totals"]["allocs"], j["totals"]["frees"], j["totals"]["in_use_blocks"]')" "6 0 6" \
   "totals: 6 allocs (5 + pthread_create's), 0 frees, 6 blocks in use"
is "$(jv thread.json 'j["totals"]["bytes_allocated"]')" "$((150 + dtv))" "bytes allocated: 150 + pthread_create's $dtv"
is "$(groups_of thread.json lose_five)" "[('definitely_lost', 150, 5)]" \
   "lose_five's 5 blocks are definitely lost (valgrind: 150 bytes in 5 blocks definitely lost)"
is "$(jv thread.json 'j["leak_summary"]["still_reachable"]["blocks"]')" 0 \
   "no block is still reachable (nothing but dead stack space refers to them)"

# --- _exit: no exit handlers, but every block counted and classified
# (the scan runs in _exit, as memcheck classifies at _exit) -------------
run_mode _exit
is "$st" 4 "_exit(4): heapspy exits 4"
is "$(jv _exit.json 'j["exit"]["code"], j["exit"]["how"]')" "4 _exit" "exit {code 4, how _exit}"
is "$(jv _exit.json 'j["totals"]["allocs"], j["totals"]["frees"], j["totals"]["bytes_allocated"], j["totals"]["in_use_bytes"], j["totals"]["in_use_blocks"]')" \
   "5 0 150 150 5" "_exit: 5 allocs, 0 frees, 150 bytes, all 5 blocks in use"
is "$(groups_of _exit.json lose_five)" "[('definitely_lost', 150, 5)]" "_exit: the 5 blocks are reported, definitely lost (the scan ran in _exit)"
is "$(jv _exit.json 'j["leak_summary"]["unclassified"]["blocks"], j["leak_summary"]["definitely_lost"]["blocks"]')" "0 5" \
   "_exit: leak_summary counts 5 definitely lost blocks, none unclassified"

# --- fatal signals: 128+signal, the report still printed; SIGSEGV and
# SIGABRT classified (the scan runs in the dying process before the
# signal is re-raised), SIGKILL unclassified (nothing runs) -------------
# (heapspy run prints the report on its own stderr; the shell's "core
# dumped" chatter is not part of it.)
for spec in "segv 11 139" "abort 6 134" "sigkill 9 137"; do
  set -- $spec
  mode=$1 sig=$2 code=$3
  run_mode "$mode"
  is "$st" "$code" "$mode: heapspy exits $code (128+$sig)"
  check "$mode: the JSON report was printed and parses" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$mode.json"
  is "$(jv "$mode.json" 'j["exit"]["code"], j["exit"]["signal"]')" "None $sig" "$mode: exit {code null, signal $sig}"
  is "$(jv "$mode.json" 'j["totals"]["allocs"], j["totals"]["frees"], j["totals"]["in_use_bytes"], j["totals"]["in_use_blocks"]')" \
     "5 0 150 5" "$mode: exactly the 5 lost blocks in use (150 bytes)"
  kind=definitely_lost; [ "$mode" = sigkill ] && kind=unclassified
  is "$(groups_of "$mode.json" lose_five)" "[('$kind', 150, 5)]" "$mode: the 5 blocks reported at lose_five, $kind"
done

# SIGKILL: no handler runs at all; the text report says the heap is as
# of the process's death and lists the blocks.
"$HEAPSPY" run -o kill-text.hsp -- "$PROG" sigkill >kill.out 2>kill.txt
is "$?" 137 "sigkill, text report: heapspy exits 137"
like "$(cat kill.txt)" "signal 9.*as of death" "sigkill: the report says the heap is as of death"
like "$(cat kill.txt)" "^150 bytes in 5 blocks .*\(malloc\)" "sigkill: 150 bytes in 5 blocks listed"
like "$(cat kill.txt)" "^    #0  lose_five at $SRC:$FIVE_LINE " "sigkill: at lose_five, $SRC:$FIVE_LINE"
like "$(cat kill.txt)" "^    in use at exit: 150 bytes in 5 blocks$" "sigkill: HEAP SUMMARY 150 bytes in 5 blocks"
# Blocks' records (exact mode's, --check's) stay beside them, out of the
# table: a SIGKILL leaves no list of single blocks, but the exact totals,
# and by stack the exact in-use counts (a recorded block's stack counts
# move at once). The sites add up to the totals.
for mode in "" --check; do
  # shellcheck disable=SC2086 # the option splits on purpose
  "$HEAPSPY" run $mode -o kill-rec.hsp -- "$PROG" sigkill >/dev/null 2>kill-rec.txt
  "$HEAPSPY" report --format json kill-rec.hsp >kill-rec.json
  is "$(jv kill-rec.json 'j["totals"]["allocs"], j["totals"]["in_use_bytes"], j["totals"]["in_use_blocks"], sum(g["bytes"] for g in j["leaks"]), sum(g["blocks"] for g in j["leaks"])')" "5 150 5 150 5" \
     "sigkill ${mode:-exact}: totals exact (5 allocs, 150 bytes in 5 blocks in use), the sites add up to them"
  like "$(cat kill-rec.txt)" "^150 bytes in 5 blocks are in use at exit \(malloc\), site 1 of 1, counted per stack" \
     "sigkill ${mode:-exact}: the text says the site is counted per stack"
  like "$(cat kill-rec.txt)" "^    #0  lose_five at $SRC:$FIVE_LINE " "sigkill ${mode:-exact}: at lose_five"
  # Killed holding 300 KB from keep_a and 100 KB from keep_b
  # shellcheck disable=SC2086
  "$HEAPSPY" run $mode -q -o kill-big.hsp -- "$PROG" sigkill-big >/dev/null 2>&1
  "$HEAPSPY" report --format json kill-big.hsp >kill-big.json
  is "$(jv kill-big.json 'j["totals"]["in_use_bytes"], j["totals"]["in_use_blocks"], sum(g["bytes"] for g in j["leaks"]), sum(g["blocks"] for g in j["leaks"])')" \
     "400150 405 400150 405" "sigkill ${mode:-exact}, 400 KB held: totals exact, the sites add up to them"
  site() { jv kill-big.json "sum(g['bytes'] for g in j['leaks'] if g['stack'] and g['stack'][0]['function'] == '$1')"; }
  is "$(site keep_a) $(site keep_b)" "300000 100000" "sigkill ${mode:-exact}, 400 KB held: keep_a's site 300,000 bytes, keep_b's 100,000"
done
# The spy leaves a single-threaded process's table operations pending (the
# slot's cache line arrives meanwhile) and writes them in the profile's
# header. It does so once the table is big enough to miss the cache
# (spy_blocks.c); queue_min_slots=0 makes this small program's table
# queue: killed right after a free, the profile has it.
LIB="$(dirname "$HEAPSPY")/../lib/heapspy/libheapspy.so"
queued() { env LD_PRELOAD="$LIB" HEAPSPY_OPTIONS="profile=$1:quiet=1:queue_min_slots=0" "$PROG" "$2"; }
queued kill-free.hsp sigkill-free >/dev/null 2>&1
"$HEAPSPY" report --format json kill-free.hsp >kill-free.json
is "$(jv kill-free.json 'j["totals"]["allocs"], j["totals"]["frees"], j["totals"]["bytes_allocated"], j["totals"]["in_use_bytes"], j["totals"]["in_use_blocks"]')" \
   "6 1 210 150 5" "sigkill right after a free: the free is in the profile (6 allocs, 1 free, 150 bytes in 5 blocks in use)"
# Up to 32 operations wait in a queue (a burst of frees does not wait for
# the table either): killed after 91 operations, the last 32 of them still
# queued, frees and allocations of the same addresses among them, the
# profile has every one, in totals and in the blocks listed.
queued kill-burst.hsp sigkill-burst >/dev/null 2>&1
"$HEAPSPY" report --format json kill-burst.hsp >kill-burst.json
is "$(jv kill-burst.json 'j["totals"]["allocs"], j["totals"]["frees"], j["totals"]["bytes_allocated"], j["totals"]["in_use_bytes"], j["totals"]["in_use_blocks"]')" \
   "49 42 4550 350 7" "sigkill after a burst: every queued operation is in the totals (49 allocs, 42 frees, 350 bytes in 7 blocks in use)"
"$HEAPSPY" report kill-burst.hsp >kill-burst.txt 2>&1
like "$(cat kill-burst.txt)" "^  main  *holds 200 bytes in 2 blocks$" "sigkill after a burst: the 2 blocks still held are listed, in main"
like "$(cat kill-burst.txt)" "^150 bytes in 5 blocks .*\(malloc\)" "sigkill after a burst: the 5 lost blocks still listed"

# --- the full report through a pipe --------------------------------------
"$HEAPSPY" run -o pipe.hsp -- "$PROG" segv 2>&1 | cat >piped.txt
is "${PIPESTATUS[0]}" 139 "segv through a pipe: heapspy still exits 139"
like "$(cat piped.txt)" "^==== heapspy report: " "through a pipe: report header"
like "$(cat piped.txt)" "^  total heap usage: 5 allocs, 0 frees, 150 bytes allocated$" "through a pipe: HEAP SUMMARY"
like "$(tail -2 piped.txt | head -1)" "^heapspy: 150 bytes lost, 150 bytes in use at exit in 5 blocks; profile " "through a pipe: the heapspy line, the lost bytes classified"
is "$(tail -1 piped.txt)" "ERROR SUMMARY: 1 errors from 1 contexts (suppressed: 0 from 0)" "through a pipe: closing line (ERROR SUMMARY), nothing cut off"

done_testing
