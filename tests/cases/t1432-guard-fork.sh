#!/usr/bin/env bash
# t1432-guard-fork: issue 15's bug first. Under --guard or --check with
# --follow-children, a forked child starts from the live-block table as
# it was at the fork: the parent's allocations and frees right after
# fork() (bash's make_child records the child in a fresh 32-byte block)
# never reach the child's table, so the child never reads a block that
# is inaccessible in its own address space (it used to: bad_access at
# exit in the subshell, or a SIGSEGV through a pyenv shim). Real
# programs that fork and exec the way CI runs them: bash command
# substitution, a pipeline, make -j2, a shim script that execs.
# Each: exit status 0, no error on stderr or in any profile (one per
# process and image), the program's output unchanged.
source "$(dirname "$0")/../lib/tap.sh"
plan 40

cat >shim.sh <<'EOF'
#!/bin/bash
# a version-manager shim (pyenv's kind): find the program, exec it
prog=$1; shift
exec "$prog" "$@"
EOF
chmod +x shim.sh
printf 'all: a b\n\tx=$$(cat a b); echo $$x > all\na:\n\techo a > a\nb:\n\techo b | tr b B > b\n' >Makefile

# frun NAME MODE EXPECTED -- PROG ARGS: run under MODE with children
# followed, 4 checks: status, output, stderr clean, every profile clean
frun() {
  local name=$1 mode=$2 want=$3; shift 4
  rm -f a b all
  timeout 120 "$HEAPSPY" run "$mode" --follow-children -q -o "$name.%p.hsp" -- "$@" >"$name.out" 2>"$name.err"
  local status=$?
  [ -f all ] && cat all >>"$name.out"
  is "$status" 0 "$name: exit status 0"
  is "$(cat "$name.out")" "$want" "$name: the program's output"
  is "$(grep -c 'heapspy: ERROR' "$name.err")" 0 "$name: no error on stderr"
  local bad=0 n=0
  for f in "$name".*.hsp*; do
    n=$((n + 1))
    "$HEAPSPY" report --format json "$f" 2>/dev/null |
      python3 -c 'import json,sys; sys.exit(len(json.load(sys.stdin)["errors"]) != 0)' || bad=$((bad + 1))
  done
  is "$bad $([ "$n" -ge 2 ] && echo children)" "0 children" "$name: $n profiles (children followed), none with an error"
}

for mode in --guard --check; do
  m=${mode#--}
  frun "comsub-$m" "$mode" "hihihihihi" -- bash -c 'r=; for i in 1 2 3 4 5; do r=$r$(echo hi); done; echo $r'
  frun "pipe-$m" "$mode" "A
B" -- bash -c 'printf "b\na\n" | sort | tr a-z A-Z'
  frun "make-$m" "$mode" "a B" -- make -s -j2
  frun "shim-$m" "$mode" "42" -- ./shim.sh /usr/bin/python3 -c 'print(6 * 7)'
  frun "shim-bash-$m" "$mode" "x=in" -- ./shim.sh bash -c 'v=$(echo in); echo "x=$v"'
done
