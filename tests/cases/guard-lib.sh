# tests/cases/guard-lib.sh: helpers of the --guard and crash tests
# (t1430, t1440), sourced after tap.sh and check-lib.sh (mark).
#   grun NAME [RUN-OPTIONS] -- PROG ARGS...  heapspy run RUN-OPTIONS -q:
#                  NAME.out, NAME.err, NAME.status, NAME.json; sets $addr
#                  and $fault from the program's "block=" / "fault=" lines
#   gerrs NAME PROG  the errors of NAME.json as (kind, address, size, offset,
#                  access, access_size, first frame of the program in the
#                  access stack as function:line, alloc line, free line)
#                  tuples
#   insn_size NAME PROG  the oracle of access_size: objdump disassembles the
#                  faulting instruction of NAME.json's first error (in PROG
#                  or a library it loads); prints the bytes it accesses
#                  (None: masked, unknown by design), a tab, the instruction
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
print([(e["kind"], e["address"], e["size"], e["offset"], e.get("access"), e.get("access_size"), mine(e["access_stack"]),
        line(e["alloc_stack"]), line(e["free_stack"])) for e in j["errors"]])
PY
}
insn_size() {
  python3 - "$1.json" "$2" <<'PY'
import json, re, subprocess, sys
f = json.load(open(sys.argv[1]))["errors"][0]["access_stack"][0]
libs = dict(re.findall(r"^\s*(\S+) => (\S+)", subprocess.run(["ldd", sys.argv[2]],
            capture_output=True, text=True).stdout, re.M))
pc = f["offset"] - 1        # frame 0 holds the faulting pc + 1 (symbolizers look at pc - 1)
out = subprocess.run(["objdump", "-d", "--no-show-raw-insn", "--start-address=%d" % pc,
                      "--stop-address=%d" % (pc + 15), libs.get(f["module"], sys.argv[2])],
                     capture_output=True, text=True).stdout
insn = re.search(r"^\s*%x:\s*(.*\S)" % pc, out, re.M).group(1)
string = re.match(r"(rep[nz]* )?(stos|lods|movs|scas|cmps)([bwlq]?) ?(%(al|ax|eax|rax))?", insn)
if "{%k" in insn:
    size = None                              # masked: the bytes touched depend on the mask
elif string:
    size = {"b": 1, "w": 2, "l": 4, "q": 8, "al": 1, "ax": 2, "eax": 4, "rax": 8}[string.group(3) or string.group(5)]
elif re.match(r"v?mov(u|a|nt)p[sd]|v?movdq[au](8|16|32|64)? |v?movntdq ", insn):
    size = {"x": 16, "y": 32, "z": 64}[re.search(r"%([xyz])mm", insn).group(1)]
elif re.match(r"v?movq ", insn):
    size = 8                                 # xmm <-> memory, 8 bytes
elif re.match(r"v?movd ", insn):
    size = 4
elif re.match(r"mov[bwlq]? ", insn):         # an integer move: the suffix or the register's width
    suffix = re.match(r"mov([bwlq]) ", insn)
    reg = "" if suffix else re.search(r"%(\w+)", re.sub(r"\([^)]*\)", "", insn)).group(1)  # not the address's
    size = ({"b": 1, "w": 2, "l": 4, "q": 8}[suffix.group(1)] if suffix else
            1 if re.fullmatch(r"[a-d][lh]|[sd]il|[sb]pl|r\d+b", reg) else
            2 if re.fullmatch(r"[a-d]x|[sd]i|[sb]p|r\d+w", reg) else
            4 if re.fullmatch(r"e\w\w|r\d+d", reg) else 8)
else:
    sys.exit("insn_size: no oracle for " + insn)
print("%s\t%s" % (size, insn))
PY
}
