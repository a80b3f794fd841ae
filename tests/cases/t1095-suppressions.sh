#!/usr/bin/env bash
# Suppressions (issue 4): valgrind's syntax, so existing files work; a
# suppressed leak is counted as suppressed, never hidden; --gen-suppressions
# prints entries ready to paste; --errors-for-leak-kinds picks what makes
# --error-exitcode fire. Story 1's demo leaks 100 wire buffers.
source "$(dirname "$0")/../lib/tap.sh"
plan 18
DEMO="$HEAPSPY_BUILD/examples/marshal-demo"

"$HEAPSPY" run --gen-suppressions -o a.hsp -- "$DEMO" 100 2> gen.txt >/dev/null
sed -n '/^{/,/^}/p' gen.txt > gen.supp
is "$(grep -c '^{' gen.supp)" "1" "--gen-suppressions prints one entry for the one lost site"
like "$(cat gen.supp)" "fun:marshal_to_wire" "the entry names the culprit function"

"$HEAPSPY" run --suppressions gen.supp --format json --log-file s.json --error-exitcode 9 -o b.hsp -- "$DEMO" 100 >/dev/null
is "$?" "0" "with it, --error-exitcode does not fire"
is "$(json s.json 'j["leak_summary"]["suppressed"]["blocks"], j["leak_summary"]["definitely_lost"]["blocks"]')" \
   "(100, 0)" "the 100 blocks are counted as suppressed, none as lost"
is "$(json s.json '[g["suppressed"] for g in j["leaks"]]')" "['heapspy-leak-1']" \
   "the JSON still lists the leak, naming its suppression"
"$HEAPSPY" run --error-exitcode 9 -q -o c.hsp -- "$DEMO" 100 >/dev/null
"$HEAPSPY" run --error-exitcode 9 -o c.hsp -- "$DEMO" 100 >/dev/null 2>&1
is "$?" "9" "without it, --error-exitcode fires"

cat > wild.supp <<'S'
# wildcards and "...", valgrind style
{
   any frames down to main
   Memcheck:Leak
   fun:malloc
   ...
   fun:main
}
S
"$HEAPSPY" report --suppressions wild.supp --format json a.hsp > w.json
is "$(json w.json 'j["leak_summary"]["suppressed"]["blocks"]')" "100" "'...' then fun:main suppresses it"
printf '{\n  glob\n  Memcheck:Leak\n  fun:marshal_*\n}\n' > glob.supp
"$HEAPSPY" report --suppressions glob.supp --format json a.hsp > g.json
is "$(json g.json 'j["leak_summary"]["suppressed"]["blocks"]')" "100" "fun:marshal_* suppresses it"
printf '{\n  only reachable\n  Memcheck:Leak\n  match-leak-kinds: reachable\n  fun:marshal_to_wire\n}\n' > kind.supp
"$HEAPSPY" report --suppressions kind.supp --format json a.hsp > k.json
is "$(json k.json 'j["leak_summary"]["suppressed"]["blocks"], j["leak_summary"]["definitely_lost"]["blocks"]')" \
   "(0, 100)" "match-leak-kinds: reachable leaves a definite leak alone"
printf '{\n  other tool\n  Memcheck:Cond\n  fun:whatever\n}\n' > cond.supp
"$HEAPSPY" report --suppressions cond.supp --format json a.hsp > c.json
is "$?" "0" "entries of other kinds (Memcheck:Cond) are read and ignored"

if command -v valgrind >/dev/null; then
  valgrind --leak-check=full --gen-suppressions=all "$DEMO" 100 2>&1 >/dev/null |
    sed -n '/^{/,/^}/p' > vg.supp
  "$HEAPSPY" report --suppressions vg.supp --format json a.hsp > v.json
  is "$(json v.json 'j["leak_summary"]["suppressed"]["blocks"]')" "100" "valgrind's own generated suppression works as is"
else
  skip "valgrind's own generated suppression works as is" "valgrind is not installed"
fi

"$HEAPSPY" run --errors-for-leak-kinds reachable --error-exitcode 9 -q -o d.hsp -- "$DEMO" 100 >/dev/null
is "$?" "0" "--errors-for-leak-kinds reachable: definite leaks do not count"
"$HEAPSPY" run --errors-for-leak-kinds all --error-exitcode 9 -q -o d.hsp -- "$DEMO" 100 >/dev/null
is "$?" "9" "--errors-for-leak-kinds all: they do"
"$HEAPSPY" run --errors-for-leak-kinds sometimes -- "$DEMO" 2> e.txt
is "$?" "125" "a bad kind list is a usage error"
printf '{\n  broken\n  Memcheck:Leak\n  fn:malloc\n}\n' > bad.supp
"$HEAPSPY" report --suppressions bad.supp a.hsp 2> b.txt >/dev/null
is "$?" "125" "a malformed suppression file is a usage error"
like "$(cat b.txt)" "bad.supp:4: unknown frame line 'fn:malloc'" "naming the file and line"
"$HEAPSPY" run -q --suppressions bad.supp -o never.hsp -- "$DEMO" 100 >never.out 2> b.txt
is "$?:$(cat b.txt)" "125:heapspy: run: bad.supp:4: unknown frame line 'fn:malloc' (expected fun:, obj: or ...)" \
   "run refuses it too, even with -q (no report to render), before the program starts"
check "the program did not start" test ! -s never.out
done_testing
