#!/usr/bin/env bash
# t1436-spy-own-memory: the timeline's RSS and virtual size are the
# program's; heapspy's own memory is a line of its own. Under --guard
# every block gets a page and two mappings of the spy's (20,000 blocks of
# 100 bytes: about 80 MB of RSS, a 64 GB region): before, the timeline
# blamed the program ("RSS grew 76 MB, the heap 2 MB: look outside the
# heap", "virtual 64 GB"). Now those figures sit under spy_rss_bytes and
# spy_vm_bytes, and the program's stay what they are without --guard.
source "$(dirname "$0")/../lib/tap.sh"
plan 9
MB=$((1 << 20))

not_like_outside() { ! grep -q "look outside the heap" "$1"; }
maxof() { json "$1" "max(t[\"$2\"] for t in j[\"timeline\"])"; }

"$HEAPSPY" run -q -o plain.hsp -- "$TESTBIN/many_small" 20000
"$HEAPSPY" report --format json plain.hsp >plain.json
"$HEAPSPY" run --guard -q -o guard.hsp -- "$TESTBIN/many_small" 20000
"$HEAPSPY" report --format json guard.hsp >guard.json
"$HEAPSPY" report guard.hsp >guard.txt

check "--guard: heapspy's own RSS holds the blocks' pages (max $(($(maxof guard.json spy_rss_bytes) / MB)) MB > 60 MB)" \
  test "$(maxof guard.json spy_rss_bytes)" -gt $((60 * MB))
check "--guard: the program's RSS stays small (max $(($(maxof guard.json rss_bytes) / MB)) MB < 16 MB)" \
  test "$(maxof guard.json rss_bytes)" -lt $((16 * MB))
plain=$(maxof plain.json rss_bytes) guard=$(maxof guard.json rss_bytes)
check "--guard: the program's RSS is within 4 MB of the same run without it ($((plain / 1024)) KB vs $((guard / 1024)) KB)" \
  test $((guard > plain ? guard - plain : plain - guard)) -lt $((4 * MB))
check "--guard: the program's virtual size is its own (max $(($(maxof guard.json vm_bytes) / MB)) MB < 1 GB)" \
  test "$(maxof guard.json vm_bytes)" -lt $((1024 * MB))
check "--guard: heapspy's virtual size holds the guard region and the profile (>= 128 GB)" \
  test "$(maxof guard.json spy_vm_bytes)" -ge $((128 << 30))
check "no heapspy memory is the program's: not a word about looking outside the heap" \
  not_like_outside guard.txt
like "$(cat guard.txt)" "heapspy's own memory at the end, left out of the figures above: RSS [0-9.]+ [KM]B, virtual 128\.[0-9] GB" \
  "the text timeline says what heapspy's own memory is"
check "without --guard, heapspy's own RSS is the profile's few MB ($(($(maxof plain.json spy_rss_bytes) / MB)) MB < 16 MB)" \
  test "$(maxof plain.json spy_rss_bytes)" -lt $((16 * MB))
is "$(json plain.json 'all(t["spy_vm_bytes"] >= 64 << 30 for t in j["timeline"])')" True \
  "the profile's 64 GB reservation is heapspy's at every point"
done_testing
