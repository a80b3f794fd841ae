#!/usr/bin/env bash
# t1730-heap-census: in-use blocks by C++ type and as strings (SPEC:
# heapspy heap, "census by size and C++ type"; JSON types [{name, blocks,
# bytes}]).
#
# heap_types.cpp holds 100 Circle (24 bytes), 250 Square (32 bytes) and
# 37 Label (48 bytes), polymorphic, made with new, and 20 strdup'd
# strings; 10 more Circles were deleted. A block is of a class when its
# first word points into that class's vtable (_ZTV symbol + 16); its bytes
# are usable sizes: glibc gives a 24-byte request 24 usable bytes, 32
# bytes 40, 48 bytes 56 (request2size). So exactly: Circle 100 blocks
# 2,400 bytes, Square 250 / 10,000, Label 37 / 2,072, largest first;
# strings 20 blocks of 24 usable bytes; each type has a hex sample whose
# first word is its vtable pointer.
source "$(dirname "$0")/../lib/tap.sh"
source "$TOP/tests/cases/inspect-lib.sh"
plan 9

if ! start_prog C "$TMP/c.ready" "$TESTBIN/heap_types" "$TMP/c.ready"; then
  echo "Bail out! heap_types did not start"
  exit 1
fi
"$HEAPSPY" heap --format json "$C_pid" >c.json
is "$?" 0 "heap --format json: exit 0"
is "$(json c.json '[(t["name"], t["blocks"], t["bytes"]) for t in j["types"] if t["name"] in ("Circle", "Square", "Label")]')" \
  "[('Square', 250, 10000), ('Circle', 100, 2400), ('Label', 37, 2072)]" \
  "types: Square 250 / 10,000 bytes, Circle 100 / 2,400, Label 37 / 2,072, largest first"
is "$(json c.json 'all(t["module"] == "heap_types" for t in j["types"] if t["name"] in ("Circle", "Square", "Label"))')" "True" \
  "types: their vtables are in heap_types"
is "$(json c.json 'sorted(t["bytes"] for t in j["types"]) == sorted((t["bytes"] for t in j["types"]), reverse=False) and [t["bytes"] for t in j["types"]] == sorted((t["bytes"] for t in j["types"]), reverse=True)')" \
  "True" "types: sorted by bytes, largest first"
vt=$(nm -C "$TESTBIN/heap_types" | awk '$3 == "vtable" && $5 == "Square" { print $1 }')
is "$(json c.json '[int(t["sample"]["hex"][:16], 16).to_bytes(8, "big")[::-1].hex() for t in j["types"] if t["name"] == "Square"][0][-3:]')" \
  "$(printf '%x' $(( (0x$vt + 16) & 0xfff )))" "types: Square's sample starts with its vtable pointer (vtable for Square + 16, as nm says)"
is "$(json c.json '(j["strings"]["blocks"], j["strings"]["bytes"])')" "(20, 480)" "strings: 20 blocks, 480 usable bytes"
is "$(json c.json 'sorted(s["text"] for s in j["strings"]["samples"])[0]')" "census string 00" "strings: a sample is shown"
"$HEAPSPY" heap "$C_pid" >c.txt
like "$(sed -n '/^TYPES/,/^STRINGS/p' c.txt)" '^  Square +250 +10,000  heap_types$' "text: the TYPES table"
like "$(cat c.txt)" '^    0000  [0-9a-f]{2} ' "text: a hex+ASCII sample"
done_testing
