#!/usr/bin/env bash
# The allocation that fails: under heapspy a C++ program sees exactly the
# exceptions and null pointers it would see without it.
source "$(dirname "$0")/../lib/tap.sh"
plan 4
"$TESTBIN/cxx_bad_alloc" > native.txt
"$HEAPSPY" run --format json --log-file r.json -o p.hsp -- "$TESTBIN/cxx_bad_alloc" > spied.txt
is "$?" "0" "the program exits normally under heapspy"
is "$(cat spied.txt)" "$(cat native.txt)" "same output as without heapspy"
is "$(sed -n 1p spied.txt)" "caught bad_alloc" "new[] of an impossible size throws std::bad_alloc"
is "$(json r.json '[(g["family"], g["bytes"], g["kind"]) for g in j["leaks"]]')" \
   "[('new[]', 10, 'definitely_lost')]" "only the 10-byte new[] is left, definitely lost"
done_testing
