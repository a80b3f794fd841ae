#!/usr/bin/env bash
# t1600-bash-completion: doc/heapspy.bash-completion, sourced into this
# bash, completes what the built heapspy's --help says: commands, each
# command's options and their values, PIDs for the inspection commands,
# *.hsp profiles for report, commands after `run --`. Runs the completion
# function with COMP_WORDS set as bash would; never needs a terminal or the
# bash-completion package, and never changes anything outside $TMP.
source "$(dirname "$0")/../lib/tap.sh"
plan 15

COMPLETION="$TOP/doc/heapspy.bash-completion"
check "the completion file is valid bash" bash -n "$COMPLETION"
source "$COMPLETION"
is "$(complete -p heapspy 2>/dev/null)" "complete -F _heapspy heapspy" "sourced, it registers _heapspy for heapspy"

# comp WORD...: COMPREPLY, sorted, one line, for the line `heapspy WORD...`
# with the cursor at the end of the last word ("" = after a space)
comp() {
  COMP_WORDS=("$HEAPSPY" "$@")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMP_LINE="${COMP_WORDS[*]}" COMP_POINT=${#COMP_LINE}
  COMPREPLY=()
  _heapspy
  printf '%s\n' "${COMPREPLY[@]}" | sort -u | tr '\n' ' ' | sed 's/ $//'
}
has() { [[ " $1 " == *" $2 "* ]]; }

is "$(comp r)" "report run" "heapspy r<TAB>: report run"
is "$(comp '')" "--help --version attach detach heap maps report run snapshot stacks threads valgrind vtop" \
   "heapspy <TAB>: the eleven commands of heapspy --help"
got=$(comp run --fo)
check "heapspy run --fo<TAB>: --format and --follow-children" eval 'has "$got" --format && has "$got" --follow-children'
is "$got" "--follow-children --format" "  ... and nothing else"
is "$(comp run --run-libc)" "--run-libc-freeres=" "an option with glued values is offered with its '='"
is "$(comp run --run-libc-freeres = '')" "no yes" "--run-libc-freeres=<TAB>: yes no"
is "$(comp report --format '')" \
   "$("$HEAPSPY" report --help | grep -oE -- '--format [a-z|-]+' | head -1 | cut -d' ' -f2 | tr '|' '\n' | sort | paste -sd' ')" \
   "report --format <TAB>: the formats of report --help"

got=$(comp threads '')
check "heapspy threads <TAB>: includes this shell's PID ($$)" has "$got" "$$"
got=$(comp stacks -n 2 '')
check "stacks -n 2 <TAB>: PIDs (the option's argument is skipped)" has "$got" "$$"
is "$(comp stacks -n '')" "" "stacks -n <TAB>: nothing (a number)"
is "$(comp maps "$$" '')" "" "maps PID <TAB>: nothing (an address)"

mkdir prof && touch prof/a.hsp prof/b.txt && mkdir prof/sub
is "$(cd prof && comp report '')" "a.hsp sub" "report <TAB>: *.hsp profiles and folders, nothing else"

got=$(comp run -- bas)
check "run -- bas<TAB>: commands (bash)" has "$got" bash

done_testing
