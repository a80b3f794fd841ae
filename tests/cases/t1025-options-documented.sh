#!/usr/bin/env bash
# t1025-options-documented: every option a command accepts is documented,
# and nothing documented is missing from the code. For `run` and `report`,
# three lists must be equal: the long options of the command's getopt
# table (src/cli/cmd_X.c), the options `heapspy X --help` lists (one per
# line, at the start of its line), and the option headings of the man
# page's OPTIONS OF X section. The man page's version is --version's.
source "$(dirname "$0")/../lib/tap.sh"
MAN="$TOP/doc/heapspy.1"
plan 5

# The long options named at the start of each line (also "-o, --x" and
# "--a N, --b N" pairs), one per line, sorted.
longs() { grep -oE -- '(^|, )--[a-z][a-z0-9-]*' | sed 's/^, //' | sort -u; }

for cmd in run report; do
  up=$(echo "$cmd" | tr a-z A-Z)
  grep -oE '\{ "[a-z][a-z0-9-]*", (no|required|optional)_argument' "$TOP/src/cli/cmd_$cmd.c" |
    sed 's/^{ "/--/; s/",.*//' | grep -vx -- --help | sort -u >code.txt
  "$HEAPSPY" "$cmd" --help | sed -nE 's/^ {2,8}((-[a-zA-Z], )?--[a-z].*)$/\1/p' | longs >help.txt
  awk -v s=".SH OPTIONS OF $up" '$0 == s {f = 1; next} /^\.SH/ {f = 0} f && prev == ".TP" {print} {prev = $0}' "$MAN" |
    sed 's/\\-/-/g; s/^\.B[IR]* //; s/ *" *, *" */, /g; s/"//g' | longs >man.txt
  is "$(comm -3 code.txt help.txt | tr -d '\t' | tr '\n' ' ')" "" "$cmd: --help lists exactly the options the code accepts"
  is "$(comm -3 code.txt man.txt | tr -d '\t' | tr '\n' ' ')" "" "$cmd: the man page documents exactly the options the code accepts"
done
is "$(sed -n 's/^\.TH HEAPSPY 1 "[^"]*" "heapspy \([^"]*\)".*/\1/p' "$MAN")" \
   "$("$HEAPSPY" --version | awk '{print $2}')" "the man page's version is heapspy --version's"
done_testing
