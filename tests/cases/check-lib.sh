# tests/cases/check-lib.sh: helpers of the --check tests (t14NN), sourced
# after tap.sh.
#   check_run NAME PROG ARGS...  heapspy run --check -q: NAME.out (stdout),
#                     NAME.err (stderr), NAME.json (the JSON report);
#                     sets $addr to the program's "block=" line
#   errs NAME         the errors of NAME.json as (kind, address, size,
#                     offset, access line, alloc line, free line) tuples
#   mark SRC NAME     line of the `mark: NAME` comment in tests/cases/SRC
#   vg_finds PROG ARGS...  memcheck's "Invalid ..." reports ("" without valgrind)
check_run() {
  local name=$1; shift
  timeout 60 "$HEAPSPY" run --check -q -o "$name.hsp" -- "$@" >"$name.out" 2>"$name.err"
  echo $? >"$name.status"
  "$HEAPSPY" report --format json "$name.hsp" >"$name.json" 2>/dev/null
  addr=$(sed -n 's/^block=//p' "$name.out")
}
errs() {
  python3 - "$1.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
line = lambda s: s[0]["line"] if s else None
print([(e["kind"], e["address"], e["size"], e["offset"], line(e["access_stack"]),
        line(e["alloc_stack"]), line(e["free_stack"])) for e in j["errors"]])
PY
}
mark() { grep -nE "mark: $2( \*/)?$" "$TOP/tests/cases/$1" | cut -d: -f1; }
have_valgrind() { command -v valgrind >/dev/null 2>&1; }
vg_finds() { timeout 60 valgrind -q "$@" 2>&1 >/dev/null | grep -cE '^==[0-9]+== (Invalid (write|read|free)|Mismatched free)'; }
