#!/usr/bin/env bash
# t1027-memcheck-options: issue 15, deliverable 1: valgrind's memcheck
# command line on `heapspy run` and `heapspy valgrind` (options, then the
# program, no --), with memcheck's meaning: --tool, -q, --leak-check,
# --show-leak-kinds, --num-callers, --trace-children, --error-exitcode=N,
# --exit-on-first-error, --gen-suppressions=all, --log-file with %p,
# %q{VAR}, %n, --log-fd, one note per option heapspy cannot honour, and
# ERROR SUMMARY always, counted as memcheck counts (the oracle, when
# valgrind is installed: the same line for the same program and options).
source "$(dirname "$0")/../lib/tap.sh"
plan 22

P="$TESTBIN/exit_paths"        # "return": 5 blocks lost in one site, 1 more in another; exits 7
H="$HEAPSPY"
last() { tail -1 "$1" | sed 's/^==[0-9]*== //'; }   # memcheck's shape: "==PID== " on every line

"$H" valgrind --leak-check=full --error-exitcode=3 "$P" return >o1 2>e1
is "$?" 3 "heapspy valgrind --leak-check=full --error-exitcode=3: leaks are errors, exit 3"
is "$(last e1)" "ERROR SUMMARY: 2 errors from 2 contexts (suppressed: 0 from 0)" \
  "ERROR SUMMARY closes the report: one error per lost site, as memcheck"
"$H" run --tool=memcheck --leak-check=full --error-exitcode=3 -- "$P" return >/dev/null 2>e1b
is "$?" 3 "heapspy run --tool=memcheck ... -- PROG: the same"
"$H" valgrind --error-exitcode=3 "$P" return >/dev/null 2>e2
is "$?" 7 "memcheck mode defaults to --leak-check=summary: leaks are no errors, the program's 7"
is "$(last e2)" "ERROR SUMMARY: 0 errors from 0 contexts (suppressed: 0 from 0)" "summary: 0 errors"
is "$(grep -c 'are definitely lost' e2) $(grep -c 'LEAK SUMMARY' e2)" "0 1" "summary: no site listed, LEAK SUMMARY kept"
"$H" run -q --error-exitcode=3 "$P" return >/dev/null 2>e3
is "$?:$(cat e3)" "3:" "run -q keeps heapspy's meaning (no report) and its full leak check"
"$H" valgrind -q --leak-check=no --error-exitcode=3 "$P" return >/dev/null 2>e4
is "$?:$(cat e4)" "7:" "valgrind -q --leak-check=no: nothing to say, nothing said"
"$H" valgrind -q --leak-check=full "$P" return >/dev/null 2>e5
like "$(cat e5)" "are definitely lost" "valgrind -q --leak-check=full: the leaks are said"
"$H" valgrind --leak-check=full --show-leak-kinds=none --num-callers=3 "$P" return >/dev/null 2>e6
is "$(grep -c 'are definitely lost' e6)" 0 "--show-leak-kinds=none lists nothing"
"$H" valgrind --leak-check=full --num-callers=2 -o d.hsp "$P" return >/dev/null 2>/dev/null
is "$("$H" report --format json d.hsp | python3 -c 'import json,sys; print(max(len(l["stack"]) for l in json.load(sys.stdin)["leaks"]))')" 2 \
  "--num-callers=2: stacks of 2 frames"

"$H" run --tool=helgrind "$P" return >/dev/null 2>e7
is "$?:$(cat e7)" "125:heapspy: run: --tool=helgrind: heapspy does memcheck's job only (leaks and heap errors); run valgrind itself for helgrind" \
  "--tool=helgrind: one clear refusal, 125"
"$H" valgrind -q --track-origins=yes --malloc-fill=0xaa --undef-value-errors=no "$P" return >/dev/null 2>e8
is "$(cat e8)" "heapspy: --track-origins is not supported (no uninitialised-value tracking); ignored
heapspy: --malloc-fill is not supported (--check fills new blocks with 0xbe); ignored" \
  "options heapspy cannot honour: one note each (none for =no)"
"$H" valgrind --exit-on-first-error=yes "$P" return >/dev/null 2>e9
is "$?:$(cat e9)" "125:heapspy: run: --exit-on-first-error=yes needs --error-exitcode=N (as valgrind)" \
  "--exit-on-first-error needs --error-exitcode, as valgrind"
"$H" valgrind --check --exit-on-first-error=yes --error-exitcode=9 "$TESTBIN/check_heap" double-free >/dev/null 2>e10
is "$?" 9 "--exit-on-first-error=yes: stops at the first error, exits with --error-exitcode"

LOGNAME=ci "$H" valgrind --leak-check=full --log-file=vg.%p.%q{LOGNAME}.%n.log "$P" return >o11 2>e11
f=$(ls vg.*.ci.1.log 2>/dev/null)
like "$f" '^vg\.[0-9]+\.ci\.1\.log$' "--log-file: %p, %q{VAR}, %n expanded"
is "$(sed -n 's/^==\([0-9]*\)== .*/\1/p' "$f" | sort -u)" "$(echo "$f" | cut -d. -f2)" "--log-file: %p is the program's pid"
is "$(last "$f"):$(grep -c 'ERROR SUMMARY' e11)" "ERROR SUMMARY: 2 errors from 2 contexts (suppressed: 0 from 0):0" \
  "--log-file: the report there, not on stderr"
"$H" valgrind --leak-check=full --log-fd=1 "$P" return 2>/dev/null >o12
is "$(last o12)" "ERROR SUMMARY: 2 errors from 2 contexts (suppressed: 0 from 0)" "--log-fd=1: the report on stdout"
"$H" valgrind --leak-check=full --gen-suppressions=all --error-exitcode=3 "$P" return >/dev/null 2>e13
is "$(grep -c '^   Memcheck:Leak' e13)" 2 "--gen-suppressions=all: an entry per lost site"

K="$TESTBIN/exit_kinds"          # every leak kind; valgrind runs it (exit_paths scrubs below the stack pointer)
if command -v valgrind >/dev/null; then
  valgrind --leak-check=full "$K" >/dev/null 2>v1
  "$H" valgrind --leak-check=full "$K" >/dev/null 2>h1
  is "$(grep -o 'ERROR SUMMARY.*' v1)" "$(last h1)" "valgrind's ERROR SUMMARY for the same program and options: the same line"
  valgrind "$K" >/dev/null 2>v2
  "$H" valgrind "$K" >/dev/null 2>h2
  is "$(grep -o 'ERROR SUMMARY.*' v2)" "$(last h2)" "... and with valgrind's default (summary): the same line"
else
  skip "valgrind's ERROR SUMMARY" "valgrind not installed"
  skip "valgrind's ERROR SUMMARY (summary)" "valgrind not installed"
fi
done_testing
