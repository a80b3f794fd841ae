#!/usr/bin/env bash
# t1065-disk-full-kinds: every kind of file heapspy writes, on a disk that
# is already full (issue 19, "bounded disk": the program keeps running,
# one warning, the report says what is incomplete; and nothing is left
# behind that looks like a result). t1060 fills the disk in the middle of
# a profile; here the files cannot even start:
#  - the profile itself: the program runs unspied, the spy says why (the
#    errno, not "Success"), the CLI says there is no profile, no empty file;
#  - the trace (--trace): the program's status, one warning naming the
#    file and the reason, no empty trace or profile file;
#  - --log-file: the report could not be written in full, said on stderr
#    with the command that renders it again; the program's status kept;
#  - report -o in each format: exit 1, one line, no half file;
#  - --snapshot-on's reports: one line per snapshot naming the checkpoint
#    that stays in the profile, no half file;
#  - --xml-file: "the XML output is incomplete".
source "$(dirname "$0")/../lib/tap.sh"

mkdir "$TMP/full"
if ! mount -t tmpfs -o size=1m heapspy-full "$TMP/full" 2>/dev/null; then
  echo "1..0 # SKIP cannot mount a tmpfs here (needs root / CAP_SYS_ADMIN)"
  exit 0
fi
trap 'cd /; umount "$TMP/full" 2>/dev/null; rm -rf "$TMP"' EXIT
plan 15
F="$TMP/full"
dd if=/dev/zero of="$F/filler" bs=4k 2>/dev/null   # until the disk is full
P="$TESTBIN/run_basics"
"$P" >native.out 2>native.err
native=$?
W='^heapspy: warning: '

# --- the profile -------------------------------------------------------------------
"$HEAPSPY" run -o "$F/p.hsp" -- "$P" >out 2>err
is "$?:$(cmp -s out native.out && echo same)" "$native:same" "profile on a full disk: the program's status and output unchanged"
is "$(grep -E "$W" err | sed "s|$F|F|g")" "heapspy: warning: cannot write profile F/p.hsp (No space left on device); spy disabled
heapspy: warning: no profile: the spy could not write F/p.hsp (its warning above says why); the program ran unspied" \
  "... the spy says why, the CLI that there is no profile"
is "$(ls "$F")" "filler" "... no empty profile left behind"

# --- the trace ------------------------------------------------------------------------
"$HEAPSPY" run -q --trace -o "$F/t.hsp" -- "$P" >out 2>err
st=$?
is "$st" "$native" "trace on a full disk: the program's status unchanged"
like "$(grep -E "$W" err | head -1)" "warning: (--trace: cannot create .*t\.hsp\.trace \(No space left on device\); no trace|cannot write profile .*\(No space left on device\); spy disabled)" \
  "... one warning naming the file and the reason"
is "$(ls "$F" | grep -c '^t\.hsp')" 0 "... no empty trace or profile left behind"

# --- --log-file ---------------------------------------------------------------------
"$HEAPSPY" run -o p.hsp --log-file "$F/log.txt" -- "$P" >out 2>err
is "$?" "$native" "--log-file on a full disk: the program's status unchanged"
is "$(grep -E "$W" err)" "heapspy: warning: the report could not be written in full to the log file (No space left on device); \`heapspy report $TMP/p.hsp\` renders it again" \
  "... the report's loss said on stderr, with the command that renders it again"
like "$("$HEAPSPY" report p.hsp 2>&1 | tail -1)" "^ERROR SUMMARY: " "... and that command does"

# --- report -o ------------------------------------------------------------------------
fails=0
for fmt in json pprof html memcheck sarif heaptrack massif; do
  "$HEAPSPY" report --format "$fmt" -o "$F/r.$fmt" p.hsp >out 2>err
  st=$?
  [ "$st:$(cat err)" = "1:heapspy: writing $F/r.$fmt failed: No space left on device; nothing kept (the profile is untouched)" ] ||
    { fails=$((fails + 1)); echo "#   $fmt: status $st: $(cat err)"; }
done
is "$fails" 0 "report -o on a full disk, in 7 formats: exit 1 and one line each"
is "$(ls "$F" | grep -c '^r\.')" 0 "... no half report left behind"

# --- --snapshot-on --------------------------------------------------------------------
"$HEAPSPY" run -o s.hsp --snapshot-on 'heap>100K' --snapshot-dir "$F/snaps" -- "$TESTBIN/grower" 4 60 >out 2>err
is "$?" 0 "snapshots on a full disk: the program runs to its end"
like "$(grep -E "$W" err | head -1)" "warning: --snapshot-on: writing .*/snaps/snapshot-[0-9]+-001-heap\.txt failed \(No space left on device\); checkpoint 'auto-1-heap' stays in the profile$" \
  "... each failed report names the checkpoint that stays in the profile"
is "$(ls "$F/snaps" 2>/dev/null | wc -l):$("$HEAPSPY" report --format json s.hsp | python3 -c 'import json,sys; print(sum(1 for c in json.load(sys.stdin)["checkpoints"] if c["name"].startswith("auto-")))')" \
  "0:$(grep -cE "$W--snapshot-on: writing" err)" "... no half report; the profile holds one checkpoint per failed report"

# --- --xml-file ---------------------------------------------------------------------------
"$HEAPSPY" valgrind -q --xml=yes --xml-file="$F/x.xml" "$P" >out 2>err
is "$?:$(grep -E "$W" err)" "$native:heapspy: warning: the XML output is incomplete: No space left on device" \
  "--xml-file on a full disk: the program's status, one warning"
done_testing
