#!/usr/bin/env bash
# t1029-memcheck-xml: issue 15, deliverable 2: --xml=yes writes valgrind's
# XML output protocol 4, read the way its consumers read it (xml.etree
# over valgrindoutput/error/stack/frame, as Jenkins' valgrind plugin and
# Qt Creator do: tests/lib/vgxml.py) and checked against valgrind's XML
# for the same programs (the oracle): each error's kind, what/xwhat text,
# leakedbytes/leakedblocks, auxwhat, the first frame with a source line of
# every stack, the errorcounts; the <suppression> entries of
# --gen-suppressions=all fed to valgrind and valgrind's to heapspy; the
# suppcounts.
source "$(dirname "$0")/../lib/tap.sh"
plan 14

H="$HEAPSPY"
X="$TOP/tests/lib/vgxml.py"
L="$TESTBIN/vg_leaks" C="$TESTBIN/check_heap" P="$TESTBIN/check_cxx"

"$H" valgrind -q --xml=yes --xml-file=h.%p.xml --leak-check=full "$L" leak >/dev/null 2>h.log
f=$(ls h.*.xml 2>/dev/null)
is "$f" "h.$(sed -n '1s/^==\([0-9]*\)==.*/\1/p' h.log).xml" "--xml-file=h.%p.xml: named by the program's pid"
is "$(python3 "$X" "$f" --check)" ok "well-formed protocol 4: version, tool, pid, args, RUNNING then FINISHED, errors with unique/tid/kind/text/frames"
is "$(python3 -c 'import sys,xml.etree.ElementTree as E; r=E.parse(sys.argv[1]).getroot(); print(r.findtext("pid"), r.findtext("args/argv/exe"), r.findtext("args/argv/arg"))' "$f")" \
   "$(sed -n '1s/^==\([0-9]*\)==.*/\1/p' h.log) $L leak" "pid, argv/exe and argv/arg: the program's"
exec 5>fd.xml
"$H" valgrind -q --xml=yes --xml-fd=5 --leak-check=full "$L" leak >/dev/null 2>/dev/null
exec 5>&-
is "$(python3 "$X" fd.xml --check)" ok "--xml-fd=5: the same XML on that descriptor"

if ! command -v valgrind >/dev/null; then
  skip_rest "XML against valgrind's" "valgrind not installed"
fi

# same NAME PROG ARGS: the consumers' view of both XML files, equal
same() {
  local name=$1
  shift
  valgrind -q --xml=yes --xml-file="v.$name.xml" --leak-check=full "$@" >/dev/null 2>&1
  "$H" valgrind -q --xml=yes --xml-file="h.$name.xml" --leak-check=full "$@" >/dev/null 2>&1
  python3 "$X" "v.$name.xml" >"v.$name"
  python3 "$X" "h.$name.xml" >"h.$name"
  is "$(diff "v.$name" "h.$name" && echo same)" same "$name: kinds, texts, leaked bytes/blocks, first frames, errorcounts as valgrind's"
}
same leaks "$L" leak
is "$(grep -c '^Leak_' h.leaks):$(grep -o 'Leak_[A-Za-z]*' h.leaks | sort -u | tr '\n' ' ')" "2:Leak_DefinitelyLost Leak_PossiblyLost " \
   "... two leak errors: definitely and possibly lost (reachable not shown by default)"
same double-free "$L" double-free
is "$(head -1 h.double-free)" "InvalidFree | Invalid free() / delete / delete[] / realloc() | Address 0x? is 0 bytes inside a block of size 40 free'd | Block was alloc'd at | free_twice vg_leaks.c:47 | free_twice vg_leaks.c:46 | free_twice vg_leaks.c:45" \
   "... InvalidFree with the three stacks: second free, first free, allocation"
same invalid-interior "$C" invalid-interior
same mismatched "$P" new-free
same array-delete "$P" array-delete

# suppressions: heapspy's <suppression> entries silence valgrind, and
# valgrind's silence heapspy; suppcounts name them
"$H" valgrind -q --xml=yes --xml-file=hg.xml --leak-check=full --gen-suppressions=all "$L" leak >/dev/null 2>&1
python3 "$X" hg.xml --supp >h.supp
is "$(valgrind --leak-check=full --suppressions=h.supp "$L" leak 2>&1 | grep -o 'ERROR SUMMARY.*')" \
   "ERROR SUMMARY: 0 errors from 0 contexts (suppressed: 2 from 2)" "heapspy's XML suppressions, read by valgrind: both leaks suppressed"
valgrind -q --xml=yes --xml-file=vg.xml --leak-check=full --gen-suppressions=all "$L" leak >/dev/null 2>&1
python3 "$X" vg.xml --supp >v.supp
"$H" valgrind --leak-check=full --suppressions=v.supp --xml=yes --xml-file=hs.xml "$L" leak >/dev/null 2>hs.log
is "$(grep -o 'ERROR SUMMARY.*' hs.log)" "ERROR SUMMARY: 0 errors from 0 contexts (suppressed: 2 from 2)" \
   "valgrind's XML suppressions, read by heapspy: both leaks suppressed"
valgrind --leak-check=full --suppressions=v.supp --xml=yes --xml-file=vs.xml "$L" leak >/dev/null 2>&1
pairs() { python3 -c 'import sys,xml.etree.ElementTree as E; print(sorted((p.findtext("name"), p.findtext("count")) for p in E.parse(sys.argv[1]).getroot().findall("suppcounts/pair")))' "$1"; }
is "$(pairs hs.xml)" "$(pairs vs.xml)" "suppcounts: the same names and counts as valgrind's"
done_testing
