#!/usr/bin/env bash
# t1207-fuzz-inputs: the other inputs heapspy takes from outside (issue
# 19, "hostile inputs"): suppression files, option strings on the command
# line, and HEAPSPY_OPTIONS read by the spy inside the program.
#  - tests/fuzz/fuzz_suppress.c, a libFuzzer harness over the suppression
#    reader and matcher, from the seeds in tests/fuzz/corpus-supp/
#    (memcheck's and LeakSanitizer's syntax, every kind of line);
#  - tests/fuzz/fuzz_options.py cli: `heapspy run` and `heapspy valgrind`
#    with 1-4 options of the --help table given hostile values: every run
#    ends by itself, runs the program unchanged (status 0, its output
#    intact) or refuses with a "heapspy: " line (125; 126/127: the
#    program cannot be run), never a signal;
#  - fuzz_options.py spy: the program run with the spy preloaded and a
#    hostile HEAPSPY_OPTIONS: it must run unchanged every time (the patient
#    is never hurt by a bad option);
#  - the two bugs the fuzzing found, by name: a suppression file that
#    never ends (/dev/zero: read forever), one read from a pipe (read
#    twice, so the second reading found nothing), and "..." lines that
#    made the matcher try every split of the stack.
# HEAPSPY_FUZZ_SECONDS and HEAPSPY_FUZZ_SEEDS lengthen the runs (make fuzz).
source "$(dirname "$0")/../lib/tap.sh"
source "$TOP/tests/lib/fuzz-lib.sh"
plan 10

SEEDS=${HEAPSPY_FUZZ_SEEDS:-400}
FUZZ="$TOP/tests/fuzz/fuzz_options.py"

# --- command lines -------------------------------------------------------------
python3 "$FUZZ" cli "$HEAPSPY" 0 "$SEEDS" >cli.txt
is "$(grep -cE '^seed [0-9]+: status (0, out=OK|12[567], out=[A-Z]+, [0-9]+ stderr lines, first=heapspy: )' cli.txt)" \
  "$SEEDS" "$SEEDS hostile command lines: each ran the program unchanged or refused in one heapspy: line"
grep -vE '^seed [0-9]+: status (0, out=OK|12[567], out=[A-Z]+, [0-9]+ stderr lines, first=heapspy: )' cli.txt |
  head -5 | sed 's/^/#   /'
like "$(grep -c 'status 0, out=OK' cli.txt)" '^[1-9][0-9]+$' "... and some of them ran the program (not all refused)"

# --- HEAPSPY_OPTIONS -----------------------------------------------------------------
python3 "$FUZZ" spy "$HEAPSPY_BUILD/lib/heapspy/libheapspy.so" "$TOP/src/spy/spy_options.h" 0 "$((SEEDS / 2))" >spy.txt
is "$(grep -c '^seed [0-9]*: status 0, out=OK' spy.txt)" "$((SEEDS / 2))" \
  "$((SEEDS / 2)) hostile HEAPSPY_OPTIONS: the program ran unchanged every time"
grep -v 'status 0, out=OK' spy.txt | head -5 | sed 's/^/#   /'

# --- what the fuzzing found -------------------------------------------------------------
timeout 60 "$HEAPSPY" run -q --suppressions /dev/zero -- true >out 2>err
is "$?:$(cat err)" "125:heapspy: run: /dev/zero: larger than 64 MB: not a suppression file" \
  "a suppression file that never ends: refused, not read forever"
"$HEAPSPY" run --suppressions <(printf 'leak:main\n') -- "$TESTBIN/run_basics" >out 2>err
like "$(grep -E '^ +suppressed:' err)" "suppressed: [1-9][0-9]* bytes in [1-9][0-9]* blocks" \
  "suppressions from a pipe (<(...)): read once, and used"
{ printf '{\n   many-dots\n   Memcheck:Leak\n'; for i in $(seq 1 300); do echo '   ...'; done
  printf '   fun:no_such_function\n}\n'; } >dots.supp
"$HEAPSPY" run -q -o dots.hsp -- "$TESTBIN/run_basics" >/dev/null 2>&1
SECONDS=0
timeout 60 "$HEAPSPY" report --suppressions dots.supp dots.hsp >out 2>&1
is "$?:$((SECONDS < 10))" "0:1" "300 '...' lines: matched in linear time (${SECONDS} s)"

# --- the suppression reader, fuzzed ---------------------------------------------------------
is "$(find "$TOP/tests/fuzz/corpus-supp" -type f | wc -l)" 3 "the seed corpus: memcheck's syntax, LSan's, and entries heapspy wrote"
fuzz_build fuzz_suppress 20 "$TOP/tests/fuzz/fuzz_suppress.c" "$TOP/src/analyze/suppress.c" \
  "$TOP/src/analyze/model_locks.c" "$TOP/src/common/data_symbols.c" "$TOP/src/profile/hsp_read.c" \
  "$TOP/src/common/util.c" -lelf || done_testing
mkdir -p corpus && cp "$TOP"/tests/fuzz/corpus-supp/* corpus/
fuzz_run fuzz_suppress 20
done_testing
