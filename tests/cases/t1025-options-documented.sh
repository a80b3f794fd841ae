#!/usr/bin/env bash
# t1025-options-documented: every option a command accepts is documented,
# and nothing documented is missing from the code. For `run` and `report`,
# three lists must be equal: the long options of the command's table
# (run: src/cli/run_options.h, from which getopt's table and --help are
# made; report: the getopt table of src/cli/cmd_report.c), the options
# `heapspy X --help` lists (one per line, at the start of its line), and
# the option headings of the man page's OPTIONS OF X section. `heap`
# (src/cli/cmd_heap.c's getopt table, OPTIONS OF HEAP) and `attach` too. The man
# page's version is --version's.
source "$(dirname "$0")/../lib/tap.sh"
MAN="$TOP/doc/heapspy.1"
plan 10

# The long options named at the start of each line (also "-o, --x" and
# "--a N, --b N" pairs), one per line, sorted.
longs() { grep -oE -- '(^|, )--[a-z][a-z0-9-]*' | sed 's/^, //' | grep -vx -- --help | sort -u; }

for cmd in run report heap attach; do
  up=$(echo "$cmd" | tr a-z A-Z)
  cat "$TOP/src/cli/cmd_$cmd.c" "$TOP/src/cli/${cmd}_options.h" 2>/dev/null |
    grep -oE '(\{ |X\([A-Z_]+, )"[a-z][a-z0-9-]*", ([^,]+, )?(no|required|optional)_argument' |
    sed -E 's/^(\{ |X\([A-Z_]+, )"/--/; s/",.*//' | grep -vx -- --help | sort -u >code.txt
  "$HEAPSPY" "$cmd" --help | sed -nE 's/^ {2,8}((-[a-zA-Z], )?--[a-z].*)$/\1/p' | longs >help.txt
  awk -v s=".SH OPTIONS OF $up" '$0 == s {f = 1; next} /^\.SH/ {f = 0} f && prev == ".TP" {print} {prev = $0}' "$MAN" |
    sed 's/\\-/-/g; s/^\.B[IR]* //; s/ *" *, *" */, /g; s/"//g' | longs >man.txt
  is "$(comm -3 code.txt help.txt | tr -d '\t' | tr '\n' ' ')" "" "$cmd: --help lists exactly the options the code accepts"
  is "$(comm -3 code.txt man.txt | tr -d '\t' | tr '\n' ' ')" "" "$cmd: the man page documents exactly the options the code accepts"
done
# The spy keys the run table passes are keys the spy reads (spy_options.h).
/usr/bin/python3 - "$TOP/src/cli/run_options.h" "$TOP/src/spy/spy_options.h" >keys.txt <<'PY'
import re, sys
run = re.findall(r'X\([A-Z_]+, "[^"]+", [^,]+, \w+, "[^"]*", "(\w+)"', open(sys.argv[1]).read())
spy = set(re.findall(r'(?:STR|NUM|BOOL)\("(\w+)"', open(sys.argv[2]).read()))
print(len(run), " ".join(k for k in run if k not in spy))
PY
is "$(cat keys.txt)" "22 " "the 22 spy keys of run's table are all keys of the spy's table"
is "$(sed -n 's/^\.TH HEAPSPY 1 "[^"]*" "heapspy \([^"]*\)".*/\1/p' "$MAN")" \
   "$("$HEAPSPY" --version | awk '{print $2}')" "the man page's version is heapspy --version's"
done_testing
