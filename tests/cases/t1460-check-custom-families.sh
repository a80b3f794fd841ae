#!/usr/bin/env bash
# t1460-check-custom-families: issue 3, mismatched and invalid frees of
# custom families (HEAPSPY_ALLOC_LIKE / HEAPSPY_FREE_LIKE) under --check:
# a block released by a family that did not allocate it is a
# mismatched_free naming both families; a release of a pointer no family
# holds (a second release, or one never handed out) is an invalid_free.
# The correct program stays clean, and without --check nothing is said.
source "$(dirname "$0")/../lib/tap.sh"
source "$TOP/tests/cases/check-lib.sh"
plan 10

P="$TESTBIN/check_custom"
S=check_custom.c
kinds() { json "$1.json" '[(e["kind"], e["address"], e["size"], e["access_stack"][0]["function"], e["access_stack"][0]["line"]) for e in j["errors"]]'; }

check_run clean "$P" clean
is "$(cat clean.status) $(kinds clean) $(wc -c <clean.err)" "0 [] 0" "every block released by its own family: no error"

check_run wf "$P" wrong-family
is "$(kinds wf)" "[('mismatched_free', '$addr', 48, 'put', $(mark $S put))]" \
  "pool block released by arena: mismatched_free, its address and size, at the release"
like "$(cat wf.err)" "^heapspy: ERROR: mismatched_free on address $addr: the 48-byte block at $addr was allocated by pool and released by arena$" \
  "stderr names both families"
"$HEAPSPY" report wf.hsp >wf.txt 2>&1
like "$(cat wf.txt)" "^freed with the arena family, which did not allocate it$" "the text report names the releasing family"
is "$(json wf.json '[e["line"] for e in j["errors"][0]["alloc_stack"][:2] if e["function"] == "get"]')" \
  "[$(grep -n 'HEAPSPY_ALLOC_LIKE(family' "$TOP/tests/cases/$S" | cut -d: -f1)]" "the allocation stack is the pool's HEAPSPY_ALLOC_LIKE"
is "$(json wf.json '(j["totals"]["in_use_blocks"], [f["in_use_blocks"] for f in j["families"] if f["name"] in ("pool", "arena")])')" \
  "(0, [0, 0])" "the mismatched release still ends the block's life: nothing in use at exit"

check_run tw "$P" twice
is "$(kinds tw)" "[('invalid_free', '$addr', 0, 'put', $(mark $S put))]" "a second release: invalid_free at the release"
like "$(cat tw.err)" "is no live block of a custom family \(never allocated, or released already\), detected at HEAPSPY_FREE_LIKE\(\"pool\"\)$" \
  "stderr says which family released it"

check_run nv "$P" never
is "$(kinds nv)" "[('invalid_free', '$addr', 0, 'put', $(mark $S put))]" "a pointer never handed out: invalid_free"

"$HEAPSPY" run -q -o off.hsp -- "$P" wrong-family >/dev/null 2>off.err
is "$(wc -c <off.err)" 0 "without --check: nothing said"
done_testing
