#!/usr/bin/env bash
# t1130-vtop: virtual to physical (SPEC: `heapspy vtop PID ADDR`: page
# frame, present/swapped, shared or private (copy-on-write)).
#
# maps_prog touched its 64 MiB block, wrote one page of its .data, only
# read the next one, and never touched an anonymous mapping. vtop must say
# the touched page is present (with its frame, as root), the written .data
# page was privately copied, the read one is still the file's page, and
# the untouched mapping is not present. Errors are one line.
source "$(dirname "$0")/../lib/tap.sh"
source "$TOP/tests/cases/inspect-lib.sh"
plan 21

if ! start_prog M "$TMP/m.ready" "$TESTBIN/maps_prog" "$TMP/m.ready"; then
  echo "Bail out! maps_prog did not start"
  exit 1
fi
root=0
[ "$(id -u)" = 0 ] && root=1

# --- a touched anonymous page ----------------------------------------------------
"$HEAPSPY" vtop "$M_pid" "$M_big" >v.txt 2>err
is "$?" 0 "vtop (touched page): exit status 0"
is "$(wc -c <err)" 0 "vtop: nothing on stderr"
page=$(printf '0x%x' $((M_big & ~4095)))
is "$(head -1 v.txt)" "address $M_big in process $M_pid (maps_prog): page $page (4 KiB pages)" "vtop: title with the page"
like "$(sed -n 2p v.txt)" "^  region      0x[0-9a-f]+-0x[0-9a-f]+ rw-p \(anonymous\), anonymous$" "vtop: the region"
is "$(sed -n 3p v.txt)" "  present     yes, in RAM" "vtop: the touched page is present"
if [ $root = 1 ]; then
  like "$(sed -n 4p v.txt)" "^  frame       pfn 0x[1-9a-f][0-9a-f]*, physical address 0x[0-9a-f]+010$" \
    "vtop (root): the page frame and the physical address (same offset in the page)"
  is "$(sed -n 5p v.txt)" "  mapped      once: no other mapping uses this page (kpagecount 1)" "vtop (root): mapped once"
else
  skip "vtop: the page frame" "not root: the kernel hides frames"
  skip "vtop: mapped once (kpagecount)" "not root"
fi

# --- copy-on-write in the program's .data ------------------------------------------
out=$("$HEAPSPY" vtop "$M_pid" "$M_written")
like "$out" "^  region .* module data \(maps_prog\)$" "vtop (.data): a page of the program's data"
like "$out" "^  copy-on-write  privately copied: this process wrote to the page, it no longer shares the file's page$" \
  "vtop: the written .data page was privately copied"
out=$("$HEAPSPY" vtop "$M_pid" "$M_readonly")
is "$(sed -n 3p <<<"$out")" "  present     yes, in RAM" "vtop: the read .data page is present"
like "$out" "^  copy-on-write  not copied: still the file's page" "vtop: the read .data page is still the file's page"

# --- an untouched mapping -----------------------------------------------------------------
out=$("$HEAPSPY" vtop "$M_pid" "$M_untouched_anon")
is "$(sed -n 3p <<<"$out")" "  present     no: never touched, or dropped (a clean file page is read back on the next access)" \
  "vtop: the untouched anonymous page is not present"
is "$(grep -c 'frame' <<<"$out")" 0 "vtop: no frame for a page that is not present"

# --- json ------------------------------------------------------------------------------------
"$HEAPSPY" vtop --format json "$M_pid" "$M_written" >w.json
is "$?" 0 "vtop --format json: exit status 0"
is "$(json w.json '(j["present"], j["swapped"], j["file_page"], j["cow"], j["region"]["category"])')" \
  "(True, False, False, 'copied', 'module data')" "json: the written .data page: present, anonymous copy"
"$HEAPSPY" vtop --format json "$M_pid" "$M_readonly" >r.json
is "$(json r.json '(j["present"], j["file_page"], j["cow"])')" "(True, True, 'not_copied')" "json: the read .data page: the file's"
if [ $root = 1 ]; then
  is "$(json w.json 'j["pfn"] > 0 and not j["pfn_hidden"] and j["map_count"] == 1')" "True" "json (root): pfn and map count"
else
  skip "json: pfn and map count" "not root"
fi

# --- errors ------------------------------------------------------------------------------------
"$HEAPSPY" vtop "$M_pid" 0x10 >out 2>err
is "$?:$(cat err)" "1:heapspy: vtop: address 0x10 is not mapped in process $M_pid" "unmapped address: exit 1, one line"
dead=$(dead_pid)
"$HEAPSPY" vtop "$dead" 0x1000 >out 2>err
is "$?:$(cat err)" "1:heapspy: vtop: no such process $dead" "no such process: exit 1, one line"
"$HEAPSPY" vtop "$M_pid" >out 2>err
is "$?:$(head -1 err)" "125:heapspy: vtop: expected PID ADDR" "no address: 125"
"$HEAPSPY" vtop "$M_pid" 12g4 >out 2>err
is "$?:$(cat err)" "125:heapspy: vtop: '12g4' is not an address (hexadecimal, like 0x7f12a000)" "bad address: 125, one line"

done_testing
