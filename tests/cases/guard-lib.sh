# tests/cases/guard-lib.sh: helpers of the --guard and crash tests
# (t1430, t1440), sourced after tap.sh and check-lib.sh (mark).
#   grun NAME [RUN-OPTIONS] -- PROG ARGS...  heapspy run RUN-OPTIONS -q:
#                  NAME.out, NAME.err, NAME.status, NAME.json; sets $addr
#                  and $fault from the program's "block=" / "fault=" lines
#   gerrs NAME PROG  the errors of NAME.json as (kind, address, size, offset,
#                  access, first frame of the program in the access stack
#                  as function:line, alloc line, free line) tuples
grun() {
  local name=$1; shift
  local opts=()
  while [ "$1" != -- ]; do opts+=("$1"); shift; done
  shift
  timeout 120 "$HEAPSPY" run "${opts[@]}" -q -o "$name.hsp" -- "$@" >"$name.out" 2>"$name.err"
  echo $? >"$name.status"
  "$HEAPSPY" report --format json "$name.hsp" >"$name.json" 2>/dev/null
  addr=$(sed -n 's/^block=//p' "$name.out")
  fault=$(sed -n 's/^fault=//p' "$name.out")
}
gerrs() {
  python3 - "$1.json" "$(basename "${2:-}")" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
prog = sys.argv[2]
def mine(s):
    f = [x for x in s if not prog or x["module"] == prog]
    return "%s:%s" % (f[0]["function"], f[0]["line"]) if f else None
line = lambda s: s[0]["line"] if s else None
print([(e["kind"], e["address"], e["size"], e["offset"], e.get("access"), mine(e["access_stack"]),
        line(e["alloc_stack"]), line(e["free_stack"])) for e in j["errors"]])
PY
}
