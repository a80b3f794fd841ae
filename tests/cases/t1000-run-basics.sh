#!/usr/bin/env bash
# t1000-run-basics: the basic contract of `heapspy run` (SPEC "Commands",
# "The JSON report", "Exit status"; story 1's culprit frame and hex dump).
#
# run_basics.c has a known allocation pattern (see its header):
#   allocs 5, frees 4, bytes allocated 898, peak 800, one 48-byte block
#   definitely lost, allocated in make_label() at the LEAK-SITE line, and
#   containing "HEAPSPY-LEAK-MARKER-0123456789". No stdio, so libc adds
#   no allocation of its own (valgrind: "5 allocs, 4 frees, 898 bytes
#   allocated", "48 bytes in 1 blocks are definitely lost").
# Checks: exact totals and families, exit status passthrough (3), the
# report comes after the program's own output (file and pipe), --log-file,
# the culprit frame's function and file:line, the hex dump of the sample
# block, and `heapspy report` giving the same numbers later.
source "$(dirname "$0")/../lib/tap.sh"
plan 35

# jv FILE EXPR: like json, but a tuple prints as space-separated words
jv() { python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); r=eval(sys.argv[2]); print(" ".join(map(str, r)) if isinstance(r, tuple) else r)' "$1" "$2"; }

PROG="$TESTBIN/run_basics"
SRC="tests/cases/run_basics.c"
LEAK_LINE=$(grep -n 'malloc(48); /\* LEAK-SITE' "$TOP/$SRC" | cut -d: -f1)
MAIN_CALL_LINE=$(grep -n '^  lose_label();' "$TOP/$SRC" | cut -d: -f1)

# --- JSON report on stderr, exit status passed through ----------------
"$HEAPSPY" run -o basics.hsp --format json -- "$PROG" >out.txt 2>report.json
is "$?" 3 "heapspy run exits with the program's status (3)"
is "$(cat out.txt)" "program output on stdout
last line of program output" "the program's stdout is untouched"
# report.json = the program's stderr line, then the JSON document
grep -v '^program output on stderr$' report.json >r.json
check "the JSON report parses" python3 -c 'import json,sys; json.load(open("r.json"))'
is "$(jv r.json 'j["totals"]["allocs"]')" 5 "totals.allocs: malloc, calloc, realloc(NULL,n), realloc(p,n), make_label"
is "$(jv r.json 'j["totals"]["frees"]')" 4 "totals.frees: realloc(p,n), realloc(p,0), free(a), free(b); free(NULL) not counted"
is "$(jv r.json 'j["totals"]["bytes_allocated"]')" 898 "totals.bytes_allocated = 100+200+50+500+48"
is "$(jv r.json 'j["totals"]["peak_bytes"]')" 800 "totals.peak_bytes = 100+200+500 (while the realloc'd block is 500)"
is "$(jv r.json 'j["totals"]["in_use_bytes"], j["totals"]["in_use_blocks"]')" "48 1" "one 48-byte block in use at exit"
is "$(jv r.json '[(f["name"], f["allocs"], f["frees"], f["in_use_blocks"]) for f in j["families"] if f["allocs"] or f["frees"]]')" \
   "[('malloc', 5, 4, 1)]" "only the malloc family is used"
is "$(jv r.json 'j["exit"]["code"], j["exit"]["signal"], j["exit"]["how"]')" "3 None exit" "exit {code 3, signal null, how exit}"
is "$(jv r.json 'len(j["leaks"])')" 1 "exactly one leak site"
is "$(jv r.json 'j["leaks"][0]["kind"], j["leaks"][0]["bytes"], j["leaks"][0]["blocks"], j["leaks"][0]["family"], j["leaks"][0]["module"]')" \
   "definitely_lost 48 1 malloc run_basics" "the leak: definitely lost, 48 bytes, 1 block, malloc, module run_basics"
is "$(jv r.json 'j["leak_summary"]["definitely_lost"]')" "{'bytes': 48, 'blocks': 1}" "leak_summary: 48 bytes in 1 block definitely lost"
f0='j["leaks"][0]["stack"][0]'
is "$(jv r.json "$f0[\"function\"], $f0[\"file\"], $f0[\"line\"], $f0[\"module\"]")" \
   "make_label $SRC $LEAK_LINE run_basics" "culprit frame: make_label at $SRC:$LEAK_LINE in run_basics"
f1='j["leaks"][0]["stack"][1]'
is "$(jv r.json "$f1[\"function\"]")" lose_label "its caller: lose_label"
f2='j["leaks"][0]["stack"][2]'
is "$(jv r.json "$f2[\"function\"], $f2[\"line\"]")" "main $MAIN_CALL_LINE" "then main at the line calling lose_label ($MAIN_CALL_LINE)"
marker_hex=$(printf 'HEAPSPY-LEAK-MARKER-0123456789' | od -An -tx1 | tr -d ' \n')
is "$(jv r.json 'j["leaks"][0]["sample"]["hex"][:60], j["leaks"][0]["sample"]["size"]')" \
   "$marker_hex 48" "the JSON sample holds the block's content"

# --- the profile renders the same later ---------------------------------
"$HEAPSPY" report --format json basics.hsp >later.json
is "$?" 0 "heapspy report --format json PROFILE succeeds"
is "$(jv later.json 'j["totals"]')" "$(jv r.json 'j["totals"]')" "heapspy report gives the same totals"
is "$(jv later.json 'j["leaks"][0]["stack"][0]["line"], j["exit"]["code"]')" "$LEAK_LINE 3" "... and the same culprit line and exit code"

# --- text report: after the program's output, in a file and in a pipe --
"$HEAPSPY" run -o text.hsp -- "$PROG" >all.txt 2>&1
is "$?" 3 "text report run exits 3"
last_out=$(grep -n 'last line of program output' all.txt | cut -d: -f1)
last_err=$(grep -n 'program output on stderr' all.txt | cut -d: -f1)
rep=$(grep -n '^==== heapspy report' all.txt | cut -d: -f1)
check "stdout+stderr to one file: the report starts after all program output" \
  test -n "$rep" -a -n "$last_out" -a -n "$last_err" -a "${rep:-0}" -gt "${last_out:-999}" -a "${rep:-0}" -gt "${last_err:-999}"
like "$(cat all.txt)" "^48 bytes in 1 blocks are definitely lost \(malloc\), site 1 of 1" "text: the leak group headline"
like "$(cat all.txt)" "^    #0  make_label at tests/cases/run_basics\.c:$LEAK_LINE \(run_basics\+0x[0-9a-f]+\)$" "text: culprit frame with function, file:line and module"
like "$(cat all.txt)" '^    0000  48 45 41 50 53 50 59 2d  4c 45 41 4b 2d 4d 41 52  \|HEAPSPY-LEAK-MAR\|$' "text: hex dump line of the sample block"
like "$(cat all.txt)" '^    0010  4b 45 52 2d 30 31 32 33  34 35 36 37 38 39 00 00  \|KER-0123456789\.\.\|$' "text: its second hex dump line"
like "$(cat all.txt)" '^  total heap usage: 5 allocs, 4 frees, 898 bytes allocated$' "text: valgrind-shaped HEAP SUMMARY"

# stdio-buffered output is flushed by exit(), after main returns: the
# report must still come after it, through a pipe too.
"$HEAPSPY" run -o pipe.hsp -- "$PROG" stdio 2>&1 | cat >piped.txt
is "${PIPESTATUS[0]}" 3 "through a pipe: heapspy still exits 3"
last_out=$(grep -n 'last line, printed by stdio' piped.txt | cut -d: -f1)
rep=$(grep -n '^==== heapspy report' piped.txt | cut -d: -f1)
check "through a pipe: the report comes after the program's stdio output" \
  test -n "$rep" -a -n "$last_out" -a "${rep:-0}" -gt "${last_out:-999}"
like "$(tail -2 piped.txt | head -1)$(tail -1 piped.txt)" "^heapspy: 48 bytes lost, .*ERROR SUMMARY: [0-9]+ errors from [0-9]+ contexts" \
  "through a pipe: the report is complete (its closing lines last)"

# --- --log-file: the report goes there, not to stderr -------------------
"$HEAPSPY" run -o log.hsp --log-file report.log -- "$PROG" >/dev/null 2>err.txt
is "$?" 3 "with --log-file: exit status 3"
is "$(cat err.txt)" "program output on stderr" "with --log-file: stderr carries only the program's own output"
like "$(cat report.log 2>/dev/null)" "^    #0  make_label at tests/cases/run_basics\.c:$LEAK_LINE " "with --log-file: the report is in the log file"

# --- --error-exitcode: only lost blocks count (SPEC), not reachable ones -
"$HEAPSPY" run -o ec1.hsp --error-exitcode 42 -- "$PROG" >/dev/null 2>&1
is "$?" 42 "--error-exitcode 42 with a definitely lost block: 42"
"$HEAPSPY" run -o ec2.hsp --error-exitcode 42 -- "$PROG" reachable >/dev/null 2>&1
is "$?" 0 "--error-exitcode 42 when the only block is still reachable: the program's 0"

done_testing
