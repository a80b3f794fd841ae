#!/usr/bin/env bash
# t1046-names-and-bytes: names and bytes from outside the C world reach the
# reports intact. Symbols mangled by Rust (v0 and legacy) and D are shown
# demangled, as gdb and binutils show them; a program whose path is not
# valid UTF-8 still gets a JSON report that a strict parser accepts, the
# bad bytes replaced by U+FFFD and the rest of the path kept.
source "$(dirname "$0")/../lib/tap.sh"
plan 7

# No -g: the names come from the ELF symbol table, as in a stripped build.
cc -O1 -o mangled "$TOP/tests/cases/mangled_names.c" || { check "compile mangled_names.c" false; done_testing; }
"$HEAPSPY" run -o m.hsp -- ./mangled >/dev/null 2>m.txt
like "$(cat m.txt)" "100 bytes in 1 blocks are definitely lost .*" "the three blocks are lost"
like "$(cat m.txt)" "#0  mycrate::cache::fill \(mangled\+0x" "Rust v0: mycrate::cache::fill"
like "$(cat m.txt)" "#0  test\.cache\.fill\(\) \(mangled\+0x" "D: test.cache.fill()"
like "$(cat m.txt)" "#0  mycrate::legacy::fill \(mangled\+0x" "Rust legacy: mycrate::legacy::fill, without the hash"

bad=$(printf 'prog-\377\376-caf\303\251')          # two invalid bytes, then valid UTF-8
cp mangled "$bad"
"$HEAPSPY" run -o b.hsp --format json -- "./$bad" >/dev/null 2>b.json
/usr/bin/python3 -c 'import json,sys; json.loads(open(sys.argv[1], "rb").read().decode("utf-8", "strict"))' b.json
check "a non-UTF-8 program path: the JSON report is strict UTF-8 JSON" test $? = 0
is "$(json b.json 'j["program"].rsplit("/", 1)[1]')" "prog-$(printf '\357\277\275\357\277\275')-café" \
  "the bad bytes are U+FFFD, the valid ones kept"
is "$(json b.json 'j["leak_summary"]["definitely_lost"]["bytes"]')" 600 "the report is complete: 600 bytes lost"
done_testing
