# tests/cases/locks-lib.sh: helpers of the --locks tests (t13NN), sourced
# after tap.sh.
#   jv FILE EXPR      evaluate EXPR on the JSON report j; tuples print spaced
#   line_of MARK SRC  line of the `mark: MARK` comment in tests/cases/SRC
#   helgrind_orders PROG ARGS...  number of distinct lock-order contexts
#                     helgrind reports ("" when valgrind is missing)
jv() { python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); r=eval(sys.argv[2]); print(" ".join(map(str, r)) if isinstance(r, tuple) else r)' "$1" "$2"; }
line_of() { grep -n "mark: $1 \*/" "$TOP/tests/cases/$2" | cut -d: -f1; }
have_helgrind() { command -v valgrind >/dev/null 2>&1; }
helgrind_orders() {
  timeout 25 valgrind --tool=helgrind "$@" >helgrind.out 2>helgrind.err
  grep -c 'lock order ".*" violated' helgrind.err
}
