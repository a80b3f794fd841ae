#!/usr/bin/env bash
# t1260-debuginfo-path: symbolizing a binary whose debug info lives
# elsewhere (issue 5, "Symbolize later, elsewhere"). split_debug.c is built
# here, its DWARF moved to dbg/.build-id/xx/rest.debug (objcopy
# --only-keep-debug, strip --strip-debug): the binary keeps its symbol
# table, so frames have function names, but file:line only where the
# debug file is found: with --debuginfo-path dbg (report and run), or from
# a debuginfod server (elfutils' client inside libdw, used when
# DEBUGINFOD_URLS is set). The server is Debian's debuginfod, run here on
# 127.0.0.1 over dbg/ (no other network); without it those checks skip.
source "$(dirname "$0")/../lib/tap.sh"
plan 13
unset DEBUGINFOD_URLS                 # only the server started below is ever asked

SRC="$TOP/tests/cases/split_debug.c"
LINE=$(grep -n 'malloc(40)' "$SRC" | cut -d: -f1)
gcc -O1 -g -o prog "$SRC"
BID=$(readelf -n prog | awk '/Build ID/ {print $3}')
mkdir -p "dbg/.build-id/${BID:0:2}"
objcopy --only-keep-debug prog "dbg/.build-id/${BID:0:2}/${BID:2}.debug"
strip --strip-debug prog
check "the binary has no DWARF left, the debug file has it" \
  test -z "$(readelf -S prog | grep debug_info)" -a -n "$(readelf -S "dbg/.build-id/${BID:0:2}/${BID:2}.debug" 2>/dev/null | grep debug_info)"

top() { json "$1" '"%s %s:%s" % (j["leaks"][0]["stack"][0]["function"], j["leaks"][0]["stack"][0]["file"], j["leaks"][0]["stack"][0]["line"])'; }
"$HEAPSPY" run -q -o p.hsp -- ./prog
"$HEAPSPY" report --format json p.hsp >plain.json
is "$(top plain.json)" "make_name None:0" "without debug info: the function (symbol table), no file:line"
"$HEAPSPY" report --format json --debuginfo-path dbg p.hsp >dbg.json
is "$?" 0 "report --debuginfo-path dbg (a relative folder): exit status 0"
is "$(top dbg.json)" "make_name $SRC:$LINE" "report --debuginfo-path: make_name at split_debug.c:$LINE"
mkdir nothing
"$HEAPSPY" report --show-reachable --debuginfo-path "$TMP/nothing:$TMP/dbg" --max-frames 1 p.hsp >dbg.txt
like "$(cat dbg.txt)" "^    #0  make_name at $SRC:$LINE " "text, a DIR:DIR list: file:line from the folder that has it"

"$HEAPSPY" run --format json --debuginfo-path "$TMP/dbg" -o r.hsp -- ./prog 2>run.json
is "$(top run.json)" "make_name $SRC:$LINE" "run --debuginfo-path: the report at exit has file:line"
"$HEAPSPY" run --format json -o r.hsp -- ./prog 2>run0.json
is "$(top run0.json)" "make_name None:0" "run without it: no file:line"

# --- usage errors --------------------------------------------------------------
"$HEAPSPY" report --debuginfo-path "$TMP/absent" p.hsp >u.out 2>u.err
is "$? $(cat u.err)" "125 heapspy: report: --debuginfo-path $TMP/absent: not a folder" "report: a missing folder is a usage error, one line"
"$HEAPSPY" run --debuginfo-path prog -- ./prog >u.out 2>u.err
is "$? $(cat u.err)" "125 heapspy: run: --debuginfo-path prog: not a folder" "run: a file is not a folder: usage error, the program never runs"

# --- debuginfod ------------------------------------------------------------------
if ! command -v debuginfod >/dev/null; then
  for d in "server up" "report via debuginfod" "fetched into the cache" "no URL: no file:line"; do
    skip "debuginfod: $d" "debuginfod (Debian package debuginfod) not installed"
  done
  done_testing
fi
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
debuginfod -p "$PORT" -d "$TMP/dfd.sqlite" -F "$TMP/dbg" -t 1 -g 0 >dfd.log 2>&1 &
DFD=$!
trap 'kill "$DFD" 2>/dev/null; wait "$DFD" 2>/dev/null; rm -rf "$TMP"' EXIT
up=0
for _ in $(seq 1 100); do
  if python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' \
       "http://127.0.0.1:$PORT/buildid/$BID/debuginfo" 2>/dev/null; then up=1; break; fi
  sleep 0.2
done
is "$up" 1 "debuginfod serves the debug file by build-id on 127.0.0.1:$PORT"
DEBUGINFOD_URLS="http://127.0.0.1:$PORT" DEBUGINFOD_CACHE_PATH="$TMP/cache" \
  "$HEAPSPY" report --format json p.hsp >dfd.json
is "$(top dfd.json)" "make_name $SRC:$LINE" "DEBUGINFOD_URLS set: file:line through debuginfod"
check "the debug file was fetched into DEBUGINFOD_CACHE_PATH" test -s "$TMP/cache/$BID/debuginfo"
DEBUGINFOD_CACHE_PATH="$TMP/cache2" "$HEAPSPY" report --format json p.hsp >nodfd.json
is "$(top nodfd.json)" "make_name None:0" "DEBUGINFOD_URLS unset: no server asked, no file:line"
done_testing
