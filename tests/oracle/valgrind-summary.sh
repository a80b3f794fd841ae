#!/usr/bin/env bash
# tests/oracle/valgrind-summary.sh: run a command under valgrind's memcheck
# and print its HEAP SUMMARY as one line of JSON on stdout, for the "exact
# accounting" oracle tests (t21xx-valgrind-*.sh) that compare heapspy's
# totals with valgrind's.
#
# usage: valgrind-summary.sh [VALGRIND OPTIONS...] -- CMD [ARGS...]
#   e.g. valgrind-summary.sh --run-libc-freeres=no -- sqlite3 :memory:
#
# Runs `valgrind --tool=memcheck --leak-check=no [OPTIONS] -- CMD ARGS` and
# prints {"allocs":A,"frees":F,"bytes_allocated":B,"in_use_bytes":X,
# "in_use_blocks":Y} parsed from valgrind's lines
#   ==PID==     in use at exit: X bytes in Y blocks
#   ==PID==   total heap usage: A allocs, F frees, B bytes allocated
# (commas removed from the numbers). With --leak-check=full among the
# options, the JSON also has "leaks": bytes and blocks per kind from
# valgrind's LEAK SUMMARY (definitely_lost, indirectly_lost,
# possibly_lost, still_reachable, all 0 when it says "All heap blocks were
# freed") and "heuristics": bytes and blocks per heuristic from its "of
# which reachable via heuristic" lines.
#
# Stdout carries only the JSON: CMD's stdout is sent to stderr (stdin is
# passed through), valgrind's own messages go to a log file, which is kept
# at $VG_SUMMARY_LOG when that is set (otherwise removed).
# $VALGRIND overrides the valgrind command (default: valgrind from PATH).
#
# Exit status: CMD's exit status as valgrind reports it; 124 when valgrind
# did not print a complete HEAP SUMMARY (the client aborted, valgrind
# crashed, ...): then the log is shown on stderr and nothing is printed.

set -u
vg_opts=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do vg_opts+=("$1"); shift; done
if [ $# -lt 2 ]; then
  echo "usage: $0 [VALGRIND OPTIONS...] -- CMD [ARGS...]" >&2
  exit 125
fi
shift # the --

log=${VG_SUMMARY_LOG:-}
if [ -z "$log" ]; then
  log=$(mktemp "${TMPDIR:-/tmp}/vg-summary.XXXXXX") || exit 125
  trap 'rm -f "$log"' EXIT
fi

${VALGRIND:-valgrind} --tool=memcheck --leak-check=no --log-file="$log" \
  "${vg_opts[@]}" -- "$@" >&2
status=$?

# "Program aborting because of call to pvalloc" and friends still end with
# a HEAP SUMMARY; refuse such a run: its numbers are not the program's.
if grep -q 'Program aborting' "$log"; then
  echo "$0: valgrind aborted the program:" >&2
  sed 's/^/  | /' "$log" >&2
  exit 124
fi

if ! json=$(sed -n \
  -e 's/^==[0-9]*==[ ]*in use at exit: \([0-9,]*\) bytes in \([0-9,]*\) blocks.*/inuse \1 \2/p' \
  -e 's/^==[0-9]*==[ ]*total heap usage: \([0-9,]*\) allocs, \([0-9,]*\) frees, \([0-9,]*\) bytes allocated.*/total \1 \2 \3/p' \
  "$log" | tr -d , | awk '
    $1 == "inuse" { ib = $2; iblk = $3; n++ }
    $1 == "total" { a = $2; f = $3; b = $4; n++ }
    END {
      if (n != 2) exit 1
      printf "{\"allocs\":%s,\"frees\":%s,\"bytes_allocated\":%s,\"in_use_bytes\":%s,\"in_use_blocks\":%s}\n", a, f, b, ib, iblk
    }') || [ -z "$json" ]; then
  echo "$0: no complete HEAP SUMMARY in valgrind's log (exit status $status):" >&2
  sed 's/^/  | /' "$log" >&2
  exit 124
fi
case " ${vg_opts[*]} " in
  *" --leak-check=full "*)
    json=$(python3 - "$log" "$json" <<'PY'
import json, re, sys
log = open(sys.argv[1]).read()
out = json.loads(sys.argv[2])
num = lambda s: int(s.replace(",", ""))
leaks = {k: {"bytes": 0, "blocks": 0} for k in
         ("definitely_lost", "indirectly_lost", "possibly_lost", "still_reachable")}
for kind, b, n in re.findall(r"==\d+==\s+(definitely lost|indirectly lost|possibly lost|still reachable): ([\d,]+) bytes in ([\d,]+) blocks", log):
    leaks[kind.replace(" ", "_")] = {"bytes": num(b), "blocks": num(n)}
heur = {k: {"bytes": 0, "blocks": 0} for k in ("stdstring", "length64", "newarray", "multipleinheritance")}
for h, b, n in re.findall(r"==\d+==\s+(stdstring|length64|newarray|multipleinheritance)\s*: ([\d,]+) bytes in ([\d,]+) blocks", log):
    heur[h] = {"bytes": num(b), "blocks": num(n)}
out["leaks"] = leaks
out["heuristics"] = heur
print(json.dumps(out))
PY
) || exit 124 ;;
esac
printf '%s\n' "$json"
exit "$status"
