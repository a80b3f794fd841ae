#!/usr/bin/env bash
# t1765-attach-before: the leak scan of `heapspy attach` covers the whole
# heap. attach_before leaks a known set of blocks (definitely, indirectly,
# possibly lost, still reachable), heapspy attaches, it leaks a second
# set, heapspy detaches. The oracle is memcheck on the same program run
# unattached: its per-kind totals for the first set alone (the program
# told to stop there) must be the report's "allocated before attach"
# figures, and its totals for the whole run the sum of those and the
# since-attach ones. The blocks the loader allocated for the spy must not
# appear; the program's output and exit status must be its own.
source "$(dirname "$0")/../lib/tap.sh"
source "$TOP/tests/cases/inspect-lib.sh"
plan 7

PROG=$TESTBIN/attach_before
cd "$TMP" || exit 1

# vg_kinds ARGS...: memcheck's four totals, "bytes/blocks" each.
vg_kinds() {
  timeout 120 valgrind --leak-check=full --show-leak-kinds=all --run-libc-freeres=no \
    --run-cxx-freeres=no "$PROG" "$@" </dev/null 2>&1 >/dev/null |
    sed -n 's/^==[0-9]*== *\(definitely lost\|indirectly lost\|possibly lost\|still reachable\): \([0-9,]*\) bytes in \([0-9,]*\) blocks.*/\2\/\3/p' |
    tr -d , | tr '\n' ' '
}

# The run under heapspy attach: stdin is a fifo the test writes lines to.
mkfifo in.fifo
"$PROG" <in.fifo >prog.out 2>&1 &
PID=$!
_inspect_pids+=("$PID")
exec 3>in.fifo
for _ in $(seq 1 250); do grep -q '^ready$' prog.out && break; sleep 0.02; done
"$HEAPSPY" attach --format json -o att.hsp "$PID" >att.json 2>att.err &
ATT=$!
for _ in $(seq 1 1500); do grep -q '^heapspy: stop with' att.err 2>/dev/null && break; sleep 0.02; done
echo go >&3
for _ in $(seq 1 250); do grep -q '^after$' prog.out && break; sleep 0.02; done
"$HEAPSPY" detach "$PID" >detach.out 2>&1
wait "$ATT"
echo end >&3
exec 3>&-
wait "$PID"
status=$?
sed 's/^/# /' att.err

like "$(cat att.err)" '^heapspy: [0-9]+ blocks from before attach known .*[1-9][0-9]* blocks of [0-9]+ bytes allocated while the spy loaded left out' \
  "attach walked the heap and left the loader's blocks for the spy out"
is "$(cat prog.out) $status" "ready
after 0" "the program's output and exit status are its own"

kinds='" ".join("%d/%d" % (S[k]["bytes"], S[k]["blocks"]) for k in ("definitely_lost", "indirectly_lost", "possibly_lost", "still_reachable")) + " "'
before=$(json att.json "(lambda S: $kinds)(j['before_attach'])")
since=$(json att.json "(lambda S: $kinds)(j['leak_summary'])")
summed=$(json att.json "(lambda B, S: $kinds)(j['before_attach'], {k: {'bytes': j['before_attach'][k]['bytes'] + j['leak_summary'][k]['bytes'], 'blocks': j['before_attach'][k]['blocks'] + j['leak_summary'][k]['blocks']} for k in ('definitely_lost', 'indirectly_lost', 'possibly_lost', 'still_reachable')})")
echo "# before attach: $before; since: $since"
is "$(json att.json "j['before_attach']['unclassified']['blocks'] + j['leak_summary']['unclassified']['blocks']")" 0 \
  "every block was classified"

if ! command -v valgrind >/dev/null 2>&1; then
  for d in "before-attach kinds = memcheck's for the first set" "before + since = memcheck's for the run" \
           "the text report's before-attach section"; do skip "$d" "valgrind not installed"; done
else
  vg_first=$(vg_kinds first)
  vg_all=$(vg_kinds)
  echo "# memcheck: first set $vg_first; whole run $vg_all"
  is "$before" "$vg_first" "blocks from before attach, per kind, bytes/blocks = memcheck's for the first set"
  is "$summed" "$vg_all" "before attach + since attach, per kind = memcheck's for the whole run"
  dl=${vg_first%%/*}
  like "$("$HEAPSPY" report att.hsp 2>&1)" "allocated before attach .*
 *definitely lost: $dl bytes" "the text report shows the before-attach section"
fi
like "$(json att.json "j['before_attach']['census_blocks']")" '^[1-9][0-9]*$' "the census is in the profile"
done_testing
