#!/usr/bin/env bash
# tests/oracle/t2300-who-catches-what.sh: issue 3, side-by-side truth. The
# bug programs of tests/truth/truth.py (story 2, use after free, double
# and invalid frees, overflows and underflows by 1 and by 10, the four C++
# mismatches, a virtual call through a deleted object) run under heapspy --check, heapspy --guard,
# valgrind memcheck and AddressSanitizer. Asserts, per tool, that it names
# each bug's true kind (--check's known blind spot excepted: reads of
# freed memory), and that
# every cell of the committed doc/who-catches-what.md is what the tools
# report today (a column is skipped when its tool is missing).
source "$(dirname "$0")/../lib/tap.sh"
DOC="$TOP/doc/who-catches-what.md"

/usr/bin/python3 "$TOP/tests/truth/truth.py" >cells.tsv || { plan 1; check "truth.py runs" false; done_testing; }
/usr/bin/python3 - "$DOC" cells.tsv >doc.tsv <<'PY'
import sys
rows = [l.strip().strip("|").strip().split(" | ") for l in open(sys.argv[1]) if l.startswith("| ")]
head = rows[0]                          # bug | what | columns...
body = [r for r in rows[1:] if r[0] != "---" and len(r) == len(head)]
cells = {(r[0], head[i]): r[i] for r in body for i in range(2, len(head))}
for line in open(sys.argv[2]):
    row, col, _ = line.rstrip("\n").split("\t")
    print(f"{row}\t{col}\t{cells.get((row, col), 'MISSING FROM THE DOC')}")
PY
n=$(wc -l <cells.tsv)
plan $((n + 4))

# The true kind of each bug program, and what each tool says first.
truth() {
  /usr/bin/python3 - "$1" "$2" "$3" <<'PY'
import sys
kinds = {"story 2": "use_after_free", "uaf-read": "use_after_free", "uaf-write": "use_after_free",
         "double-free": "double_free", "free-never-allocated": "invalid_free",
         "free-interior": "invalid_free", "free-stack": "invalid_free", "free-global": "invalid_free",
         "overflow-1": "heap_overflow", "overflow-10": "heap_overflow", "underflow-1": "heap_underflow",
         "underflow-10": "heap_underflow", "malloc/delete": "mismatched_free", "new/free": "mismatched_free",
         "new[]/delete": "mismatched_free", "new/delete[]": "mismatched_free",
         "virtual-after-delete": "use_after_free"}
blind = set(sys.argv[2].split(",")) - {""}          # must be "not detected"
maybe = set(sys.argv[3].split(",")) - {""}          # may be either
wrong = []
seen = 0
for line in open("cells.tsv"):
    row, col, cell = line.rstrip("\n").split("\t")
    if col != sys.argv[1]:
        continue
    seen += 1
    if cell.startswith("n/a"):
        print("n/a")
        sys.exit()
    want = ["not detected"] if row in blind else [kinds[row] + " "] + (["not detected"] if row in maybe else [])
    if not any(cell.startswith(w) for w in want):
        wrong.append(f"{row}: {cell}")
print("ok" if seen == len(kinds) and not wrong else "; ".join(wrong) or f"{seen} rows")
PY
}
column() {  # TITLE BLIND-ROWS (never caught) MAYBE-ROWS (not asserted either way)
  local got; got=$(truth "$1" "$2" "$3")
  if [ "$got" = n/a ]; then skip "$1 names every bug's true kind" "$(grep -m1 -P "\t$1\t" cells.tsv | cut -f3)"
  else is "$got" ok "$1 names every bug's true kind${2:+ (not: $2)}${3:+ (maybe not: $3)}"; fi
}
column "heapspy --check" "uaf-read"
column "heapspy --guard" ""
column "valgrind memcheck" ""
column "AddressSanitizer" ""

while IFS=$'\t' read -r row col cell; do
  doc=$(grep -m1 -F "$row"$'\t'"$col"$'\t' doc.tsv | cut -f3)
  case $cell in
    n/a*) skip "$row / $col: as in the doc" "$cell" ;;
    *) is "$cell" "$doc" "$row / $col: as in doc/who-catches-what.md (make who-catches-what regenerates it)" ;;
  esac
done <cells.tsv
done_testing
