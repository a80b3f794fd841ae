#!/usr/bin/env bash
# t1060-disk-full: the disk fills up while the program runs (SPEC "Files
# and formats"; spy_arena.c's promise: "a full disk never turns into
# SIGBUS inside the program: the arena falls back to anonymous memory,
# warns once, and flags the profile incomplete").
#
# The profile goes to a 3 MiB tmpfs; disk_fill.c makes 16384 distinct
# call stacks and keeps 116384 blocks alive at once, which needs a profile
# of about 24 MB. The program must run to its normal end (status 0, its
# own output), heapspy must say so exactly once ("heapspy: warning: ...
# profile ..."), and the report must say the profile is incomplete
# ("complete": false in JSON, a WARNING line in text). The counters live
# in the shard table at the start of the file, so the totals stay exact:
# 116385 allocs and frees (116384 blocks + the array keeping them),
# 116384*16 + 116384*8 = 2793216 bytes.
source "$(dirname "$0")/../lib/tap.sh"

mkdir "$TMP/mnt"
if ! mount -t tmpfs -o size=3m heapspy-test "$TMP/mnt" 2>/dev/null; then
  echo "1..0 # SKIP cannot mount a tmpfs here (needs root / CAP_SYS_ADMIN)"
  exit 0
fi
trap 'cd /; umount "$TMP/mnt" 2>/dev/null; rm -rf "$TMP"' EXIT
plan 14

jv() { python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); r=eval(sys.argv[2]); print(" ".join(map(str, r)) if isinstance(r, tuple) else r)' "$1" "$2"; }

timeout 25 "$HEAPSPY" run -o "$TMP/mnt/full.hsp" --format json -- "$TESTBIN/disk_fill" >full.out 2>full.err
is "$?" 0 "the program ends normally (status 0) although the disk filled up"
is "$(cat full.out)" "done: 116384 blocks" "the program's output is complete"
is "$(grep -c '^heapspy: warning:' full.err)" 1 "exactly one 'heapspy: warning:' line"
like "$(grep '^heapspy: warning:' full.err)" "profile .*full\.hsp" "the warning is about the profile and names it"
grep -v '^heapspy: warning:' full.err >full.json
check "a JSON report was still printed" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' full.json
is "$(jv full.json 'j["complete"]')" False "JSON: \"complete\": false"
is "$(jv full.json 'j["exit"]["code"], j["exit"]["how"]')" "0 exit" "JSON: exit code 0"
is "$(jv full.json 'j["totals"]["allocs"], j["totals"]["frees"], j["totals"]["bytes_allocated"], j["totals"]["in_use_blocks"]')" \
   "116385 116385 2793216 0" "JSON: the totals are still exact"
check "the profile stayed within the filesystem (no larger than 3 MiB)" test "$(stat -c %s "$TMP/mnt/full.hsp")" -le $((3 << 20))

# rendering it later, from the full disk
"$HEAPSPY" report --format json "$TMP/mnt/full.hsp" >later.json 2>later.err
is "$?" 0 "heapspy report renders the incomplete profile"
is "$(jv later.json 'j["complete"], j["totals"]["allocs"]')" "False 116385" "heapspy report: complete false, same totals"
"$HEAPSPY" report "$TMP/mnt/full.hsp" >later.txt 2>&1
like "$(cat later.txt)" "^WARNING: the profile is incomplete" "text report: a WARNING line says the profile is incomplete"

# the text report of the run itself, same conditions
rm -f "$TMP/mnt/full.hsp"
timeout 25 "$HEAPSPY" run -o "$TMP/mnt/full2.hsp" -- "$TESTBIN/disk_fill" >/dev/null 2>full2.txt
is "$?" 0 "text run: status 0"
like "$(cat full2.txt)" "^WARNING: the profile is incomplete" "text run: the report warns that the profile is incomplete"

done_testing
