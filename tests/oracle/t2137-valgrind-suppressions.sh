#!/usr/bin/env bash
# tests/oracle/t2137-valgrind-suppressions.sh: issue 15, deliverable 3:
# suppressions as valgrind reads and writes them, on a C++ leak in
# functions with mangled names (supp_cxx.cpp), both ways: valgrind's
# --gen-suppressions=all entries (fun: with linkage names) suppress the
# leak in heapspy, and heapspy's entries are accepted and used by
# valgrind itself (-v: used_suppression). Also a Memcheck,Helgrind tool
# list with a src:FILE:LINE frame (valgrind 3.19+; it is a frame, the
# next line matches the next frame), and LeakSanitizer's leak: files.
# Skipped only without valgrind.
source "$(dirname "$0")/../lib/tap.sh"
plan 8
P="$TESTBIN/supp_cxx"
if ! command -v valgrind >/dev/null; then
  for _i in $(seq 8); do skip "suppressions against valgrind" "valgrind not installed"; done
  done_testing
fi
ZERO="ERROR SUMMARY: 0 errors from 0 contexts (suppressed: 1 from 1)"
valgrind --leak-check=full --gen-suppressions=all "$P" 2>&1 >/dev/null | sed -n '/^{/,/^}/p' >vg.supp
like "$(cat vg.supp)" "^   fun:_ZN5store6Widget4makeEi$" "valgrind's entry names the mangled function"
"$HEAPSPY" valgrind --leak-check=full --error-exitcode=9 --suppressions=vg.supp "$P" >/dev/null 2>hs1.txt
is "$?:$(tail -1 hs1.txt | sed 's/^==[0-9]*== //')" "0:$ZERO" "valgrind's generated entry suppresses the leak in heapspy"

"$HEAPSPY" valgrind --leak-check=full --gen-suppressions=all "$P" 2>&1 >/dev/null | sed -n '/^{/,/^}/p' >hs.supp
is "$(grep -c '^   fun:' hs.supp):$(grep -c '^   fun:_ZN5store6Widget4makeEi$' hs.supp)" "4:1" \
  "heapspy's entry: linkage names, the allocator, nothing below main (as valgrind writes it)"
valgrind -v --leak-check=full --suppressions=hs.supp "$P" >/dev/null 2>vg1.txt
like "$(cat vg1.txt)" "used_suppression: +1 heapspy-leak-1 hs.supp:2 suppressed: 120 bytes in 3 blocks" \
  "valgrind accepts heapspy's entry and uses it"
is "$(grep -o 'ERROR SUMMARY.*' vg1.txt | tail -1)" "$ZERO" "valgrind: 0 errors with heapspy's entry"

printf '{\n   tool list and src:\n   Memcheck,Helgrind:Leak\n   fun:_Znwm\n   src:supp_cxx.cpp:17\n   fun:*fill*\n}\n' >list.supp
valgrind --leak-check=full --suppressions=list.supp "$P" >/dev/null 2>vg2.txt
"$HEAPSPY" valgrind --leak-check=full --suppressions=list.supp "$P" >/dev/null 2>hs2.txt
is "$(tail -1 hs2.txt | sed 's/^==[0-9]*== //')" "$(grep -o 'ERROR SUMMARY.*' vg2.txt)" "Memcheck,Helgrind:Leak with a src: frame: heapspy agrees with valgrind"
is "$(tail -1 hs2.txt | sed 's/^==[0-9]*== //')" "$ZERO" "... and both suppress the leak"

printf '# LeakSanitizer suppressions\nleak:store::Widget::make\n' >lsan.supp
"$HEAPSPY" valgrind --leak-check=full --suppressions=lsan.supp "$P" >/dev/null 2>hs3.txt
is "$(tail -1 hs3.txt | sed 's/^==[0-9]*== //')" "$ZERO" "an LSan leak: file suppresses it too"
done_testing
