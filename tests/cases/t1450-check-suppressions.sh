#!/usr/bin/env bash
# t1450-check-suppressions: issue 3, suppressions for --check errors.
# Memcheck's kinds map onto heapspy's (Memcheck:Free = double, invalid
# and mismatched frees; Memcheck:AddrN = use after free, overflow,
# underflow); heapspy:KIND names one errors[].kind. A suppressed error is
# counted as suppressed, never hidden, and does not fire
# --error-exitcode. Mode "three" of check_heap.c makes three errors: a
# double free, an overflow by 1, a free of an interior pointer.
source "$(dirname "$0")/../lib/tap.sh"
source "$TOP/tests/cases/check-lib.sh"
plan 17

P="$TESTBIN/check_heap"
summary() { json "$1" '(j["error_summary"]["errors"], j["error_summary"]["suppressed"], [(e["kind"], e["suppressed"]) for e in j["errors"]])'; }
run_supp() {  # NAME SUPP MODE: run with the file, JSON report in NAME.json, status in NAME.status
  "$HEAPSPY" run --check --error-exitcode 9 --suppressions "$2" --format json --log-file "$1.json" \
    -o "$1.hsp" -- "$P" "$3" >/dev/null 2>"$1.err"
  echo $? >"$1.status"
}

"$HEAPSPY" run --check --gen-suppressions -o gen.hsp -- "$P" three >/dev/null 2>gen.txt
sed -n '/^{/,/^}/p' gen.txt >all.supp
is "$(grep -A1 'heapspy-error-' all.supp | grep -v -- '^--' | sed 's/^ *//' | paste -sd' ')" \
  "heapspy-error-1 Memcheck:Free heapspy-error-2 heapspy:heap_overflow heapspy-error-3 Memcheck:Free" \
  "--gen-suppressions: one entry per error, memcheck's kind where it has one"
like "$(sed -n '/heapspy-error-2/,/^}/p' all.supp | sed -n 3p)" "^   fun:overflow1$" \
  "the overflow's entry names the block's allocating function"
is "$(grep -c 'ERROR: heapspy: ' gen.txt)" 3 "the text report shows the three errors ASan-style"
like "$(cat gen.txt)" "^ERROR SUMMARY: 3 errors from 3 contexts \(suppressed: 0 from 0\)$" "ERROR SUMMARY, valgrind's line"

run_supp all all.supp three
is "$(cat all.status)" 0 "all three suppressed: --error-exitcode does not fire"
is "$(summary all.json)" \
  "(0, 3, [('double_free', 'heapspy-error-1'), ('heap_overflow', 'heapspy-error-2'), ('invalid_free', 'heapspy-error-3')])" \
  "all three counted as suppressed, still listed with their suppression"

sed -n '/heapspy-error-1/,/^}/p' all.supp | sed '1s/^/{\n/' >one.supp
run_supp one one.supp three
is "$(cat one.status)" 9 "one suppressed, two not: --error-exitcode fires"
is "$(summary one.json)" "(2, 1, [('double_free', 'heapspy-error-1'), ('heap_overflow', None), ('invalid_free', None)])" \
  "exactly the double free is suppressed"
"$HEAPSPY" report --suppressions one.supp one.hsp >one.txt 2>&1
like "$(cat one.txt)" '^suppressed by "heapspy-error-1": double_free on address 0x[0-9a-f]+$' "text: the suppressed error keeps one line"
like "$(cat one.txt)" "^ERROR SUMMARY: 2 errors from 2 contexts \(suppressed: 1 from 1\)$" "text: ERROR SUMMARY counts it as suppressed"

# Hand-written, the way memcheck users write them: the free function
# first, wildcards, "...".
cat > vg.supp <<'S'
{
   frees in double_*, memcheck style
   Memcheck:Free
   fun:free
   fun:double_*
   ...
   fun:main
}
{
   writes into blocks from obj_new (free or allocation stack)
   Memcheck:Addr4
   fun:malloc
   fun:obj_new
}
{
   uninitialised values: heapspy has no such kind, ignored
   Memcheck:Value8
   ...
}
S
run_supp vg vg.supp three
is "$(summary vg.json)" "(2, 1, [('double_free', 'frees in double_*, memcheck style'), ('heap_overflow', None), ('invalid_free', None)])" \
  "Memcheck:Free with fun:free, a wildcard and '...': the double free only"
run_supp uaf vg.supp use-after-free
is "$(summary uaf.json)" "(0, 1, [('use_after_free', 'writes into blocks from obj_new (free or allocation stack)')])" \
  "Memcheck:Addr4 suppresses story 2's write by the block's allocation stack"
is "$(cat uaf.status)" 0 "story 2 suppressed: exit status 0"

cat > own.supp <<'S'
{
   heapspy's own kind
   heapspy:heap_overflow
   ...
   fun:overflow*
}
S
run_supp own own.supp three
is "$(summary own.json)" "(2, 1, [('double_free', None), ('heap_overflow', \"heapspy's own kind\"), ('invalid_free', None)])" \
  "heapspy:heap_overflow: that kind only"
"$HEAPSPY" report --format json --gen-suppressions one.hsp >gen.json 2>/dev/null
is "$(json gen.json '[e.get("suppression", "").splitlines()[2] for e in j["errors"]]')" \
  "['   Memcheck:Free', '   heapspy:heap_overflow', '   Memcheck:Free']" "JSON: --gen-suppressions gives each error its entry"

printf '{\n   bad\n   heapspy:use_after_fre\n}\n' >bad.supp
out=$("$HEAPSPY" report --suppressions bad.supp one.hsp 2>&1 >/dev/null)
is "$?" 125 "an unknown heapspy: kind is a usage error"
like "$out" "^heapspy: bad.supp:3: unknown kind 'heapspy:use_after_fre'" "... named with file and line, on one line"
done_testing
