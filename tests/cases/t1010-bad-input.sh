#!/usr/bin/env bash
# t1010-bad-input: heapspy's own errors (SPEC "Exit status of heapspy run",
# "Files and formats": a truncated or corrupted profile gives a clear error
# naming what is missing, never a crash).
#
# `heapspy run` refuses, with one line and the shell's conventions, before
# the program starts: missing program 127, not executable / a directory /
# statically linked 126 (or another non-zero), usage errors 125 (unknown
# option, unwritable profile or log file). The program used to prove it
# did not start is static_hello, which creates the marker file it is given.
# `heapspy report` on a missing, empty, truncated, corrupted or future
# profile exits non-zero (never >= 128: no crash) with one line.
source "$(dirname "$0")/../lib/tap.sh"
plan 103

HELLO="$TESTBIN/static_hello"

# run_refused DESC EXPECTED_STATUS ARGS...: heapspy's status, and that it
# printed exactly one line on stderr and nothing on stdout.
run_refused() {
  local desc=$1 want=$2; shift 2
  "$HEAPSPY" "$@" >r.out 2>r.err
  is "$?" "$want" "$desc: exit status $want"
  is "$(wc -l <r.err) $(wc -c <r.out)" "1 0" "$desc: exactly one line on stderr, nothing on stdout"
}

# --- the program cannot be started -------------------------------------
run_refused "missing program (path)" 127 run -- "$TMP/no/such/prog"
like "$(cat r.err)" "^heapspy: .*no/such/prog" "missing program: the line names it"
run_refused "missing program (PATH lookup)" 127 run -- heapspy-no-such-command
like "$(cat r.err)" "heapspy-no-such-command.*not found" "command not found: the line says so"

printf '#!/bin/sh\ntouch "%s/ran-noexec"\n' "$TMP" >noexec.sh
chmod 644 noexec.sh
run_refused "file without execute permission" 126 run -- ./noexec.sh
check "the non-executable file did not run" test ! -e ran-noexec
mkdir adir
run_refused "a directory" 126 run -- ./adir
like "$(cat r.err)" "adir.*[Ii]s a directory" "a directory: the line says so"

# --- a statically linked program ----------------------------------------
if gcc -static -O1 -o hello-static "$TOP/tests/cases/static_hello.c" 2>/dev/null; then
  "$HEAPSPY" run -o static.hsp -- ./hello-static "$TMP/ran-static" >r.out 2>r.err
  st=$?
  check "statically linked: non-zero exit status (got $st)" test "$st" -ne 0 -a "$st" -lt 128
  like "$(cat r.err)" "statically linked" "statically linked: the message says 'statically linked'"
  is "$(wc -l <r.err)" 1 "statically linked: one line"
  check "statically linked: the program did not run" test ! -e ran-static
else
  for i in 1 2 3 4; do skip "statically linked program" "gcc -static failed (no libc.a?)"; done
fi

# --- usage errors: 125, before the program starts -----------------------
"$HEAPSPY" run --no-such-option -- "$HELLO" "$TMP/ran-opt" >r.out 2>r.err
is "$?" 125 "unknown option: 125"
like "$(head -1 r.err)" "^heapspy: .*--no-such-option" "unknown option: the first line names it"
like "$(cat r.err)" "^usage: heapspy run " "unknown option: a usage line"
check "unknown option: the program did not run" test ! -e ran-opt

run_refused "profile in a non-existent directory" 125 run -o "$TMP/nodir/p.hsp" -- "$HELLO" "$TMP/ran-nodir"
like "$(cat r.err)" "nodir/p\.hsp" "non-existent directory: the line names the profile"
check "non-existent directory: the program did not run" test ! -e ran-nodir

touch afile
run_refused "profile under a regular file" 125 run -o "$TMP/afile/p.hsp" -- "$HELLO" "$TMP/ran-afile"
check "profile under a regular file: the program did not run" test ! -e ran-afile

# A read-only directory: permissions for a normal user; root ignores
# them, so as root use a read-only tmpfs (skipped if mounting is not
# allowed).
mkdir ro
ro_ok=0
if [ "$(id -u)" != 0 ]; then
  chmod 555 ro && ro_ok=1
elif mount -t tmpfs -o ro,size=1m heapspy-test-ro "$TMP/ro" 2>/dev/null; then
  trap 'cd /; umount "$TMP/ro" 2>/dev/null; rm -rf "$TMP"' EXIT
  ro_ok=1
fi
if [ "$ro_ok" = 1 ]; then
  run_refused "profile in a read-only directory" 125 run -o "$TMP/ro/p.hsp" -- "$HELLO" "$TMP/ran-ro"
  like "$(cat r.err)" "ro/p\.hsp" "read-only directory: the line names the profile"
  check "read-only directory: the program did not run" test ! -e ran-ro
else
  for i in 1 2 3 4; do skip "profile in a read-only directory" "root without permission to mount a read-only tmpfs"; done
fi

run_refused "log file in a non-existent directory" 125 run -o ok.hsp --log-file "$TMP/nodir/log" -- "$HELLO" "$TMP/ran-log"
check "unwritable log file: the program did not run" test ! -e ran-log

run_refused "run --format nosuch" 125 run --format nosuch -o fmt.hsp -- "$HELLO" "$TMP/ran-fmt"
check "run --format nosuch: the program did not run" test ! -e ran-fmt

# --- sizes: one grammar (util.c's hs_parse_size), one exact line each ---
# No sign, one dot, no empty value, nothing past 64 bits, no unknown unit;
# --quarantine stays below 4G (the spy's option is 32-bit). The program
# never runs.
size_refused() {
  local desc=$1 want=$2; shift 2
  "$HEAPSPY" run "$@" -- "$HELLO" "$TMP/ran-size" >r.out 2>r.err
  is "$? $(cat r.err)$(cat r.out)" "125 heapspy: run: $want" "$desc: 125 and one line naming option and value"
}
for bad in -1 1Q 1..5M '' 99999999999999999999; do
  size_refused "--quarantine '$bad'" "--quarantine expects a size below 4G (like 64K, 1.5M or 2GiB), not '$bad'" \
    --quarantine "$bad"
  size_refused "--snapshot-cap '$bad'" "--snapshot-cap expects a size above 0 (like 64K, 1.5M or 2GiB), not '$bad'" \
    --snapshot-on 'heap>1G' --snapshot-cap "$bad"
  size_refused "--snapshot-on 'heap>$bad'" "--snapshot-on: bad size '$bad' in heap>$bad (examples: 500M, 1G, 64K)" \
    --snapshot-on "heap>$bad"
done
size_refused "--quarantine 4G (32-bit in the spy)" "--quarantine expects a size below 4G (like 64K, 1.5M or 2GiB), not '4G'" \
  --quarantine 4G
check "bad sizes: the program did not run" test ! -e ran-size

# --- heapspy report on bad profiles -------------------------------------
"$HEAPSPY" run -q -o good.hsp -- "$TESTBIN/run_basics" >/dev/null 2>&1
"$HEAPSPY" report good.hsp >/dev/null 2>&1
is "$?" 0 "a good profile renders (the baseline for the corrupted copies)"

# report_refused DESC FILE: non-zero, not a crash, one line naming FILE
report_refused() {
  timeout 20 "$HEAPSPY" report "$2" >r.out 2>r.err
  local st=$?
  check "report $1: fails cleanly (status $st: non-zero, < 128)" test "$st" -ne 0 -a "$st" -lt 124
  is "$(wc -l <r.err)" 1 "report $1: exactly one line on stderr"
}

report_refused "of a missing file" "$TMP/missing.hsp"
like "$(cat r.err)" "missing\.hsp" "missing file: the line names it"
: >empty.hsp
report_refused "of an empty file" empty.hsp
like "$(cat r.err)" "empty\.hsp" "empty file: the line names it"
size=$(stat -c %s good.hsp)
used=$(python3 -c 'import struct,sys; print(struct.unpack_from("<Q", open(sys.argv[1],"rb").read(), 24)[0])' good.hsp)
for n in 7 100 4096 8192 20000 $((used / 2)) $((used - 1)); do
  head -c "$n" good.hsp >trunc.hsp
  report_refused "of a profile truncated to $n bytes" trunc.hsp
done
like "$(cat r.err)" "truncated" "a truncated profile: the line says 'truncated'"

python3 -c 'import sys; d=bytearray(open("good.hsp","rb").read()); d[0:8]=b"NOTHEAPS"; open("magic.hsp","wb").write(d)'
report_refused "with a corrupted magic" magic.hsp
like "$(cat r.err)" "magic|not a heapspy profile" "corrupted magic: the line says it is not a profile"
head -c 3000 /dev/urandom | tr '\000' x >random.bin          # shorter than a header, not a profile
report_refused "of a short file that is not a profile" random.bin
is "$(cat r.err)" "heapspy: random.bin: not a heapspy profile (bad magic)" \
  "a short file that is not a profile is called that, not 'truncated'"

python3 -c 'import struct,sys; d=bytearray(open("good.hsp","rb").read()); struct.pack_into("<I", d, 8, 1000); open("future.hsp","wb").write(d)'
report_refused "of a future version (1000)" future.hsp
like "$(cat r.err)" "version 1000" "future version: the line names the version"

"$HEAPSPY" report --format nosuch good.hsp >r.out 2>r.err
is "$?" 125 "report --format nosuch: 125"

# --- numbers are strict: garbage is refused, never read as 0 ("all") ---
run_refused "report --max-sites garbage" 125 report --max-sites garbage good.hsp
is "$(cat r.err)" "heapspy: report: --max-sites expects a number from 0 to 1073741824, not 'garbage'" \
  "report --max-sites garbage: the line names the option and the value"
run_refused "report --max-frames -1" 125 report --max-frames -1 good.hsp
run_refused "run --depth 12x" 125 run --depth 12x -- "$HELLO" "$TMP/ran-depth"
run_refused "snapshot --timeout abc" 125 snapshot --timeout abc 1

# --- corrupted offsets inside the header: never a crash or a hang ------
# Field offsets come from the real layout (hsp_offsets.c).
if cc -I"$TOP/include" -o offsets "$TOP/tests/cases/hsp_offsets.c" 2>/dev/null; then
  ./offsets >offsets.txt
  for spec in "modules_off 0xfffffffffff0" "samples_count 0xffffffffffff" "marks_off 8200" \
              "stacks.table_off 0x7ffffffffff8" "stacks.capacity 0xffffffffffff" \
              "verdicts_count 0xfffffffffff" "shards_off 0xffffffffff00" "nfamilies 0xffffffff"; do
    set -- $spec
    python3 - "$1" "$2" offsets.txt <<'PY'
import struct, sys
name, val, table = sys.argv[1], int(sys.argv[2], 0), sys.argv[3]
off, size = next((int(o), int(s)) for n, o, s in (l.split() for l in open(table)) if n == name)
d = bytearray(open("good.hsp", "rb").read())
d[off:off + size] = (val & ((1 << (8 * size)) - 1)).to_bytes(size, "little")
open("patched.hsp", "wb").write(d)
PY
    timeout 20 "$HEAPSPY" report --format json patched.hsp >r.out 2>r.err
    st=$?
    check "report with $1 = $2: no crash, no hang (status $st < 124)" test "$st" -lt 124
  done
else
  for i in 1 2 3 4 5 6 7 8; do skip "corrupted header offsets" "cannot compile hsp_offsets.c"; done
fi

done_testing
