#!/usr/bin/python3
"""tests/truth/truth.py: who catches what (issue 3, deliverable 5).

Runs each bug program (ROWS) under each tool (COLUMNS) and reduces what
the tool reports to one cell: the kind, in heapspy's words; where it was
caught (at the bug itself, at a later free, at exit); where the bad
address lies in its block. `--write FILE` renders doc/who-catches-what.md;
`--cells` prints one "row<TAB>column<TAB>cell" line per cell, which the
test (tests/oracle/t2300-who-catches-what.sh) compares with the committed
table.

Each tool is one column, defined once below: a class with `available()`
(a reason when it is not) and `run(row)` returning a Finding. Must never:
hard-code a cell; every cell comes from a run.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("HEAPSPY_BUILD", os.path.join(TOP, "build"))   # the tree under test
TESTBIN = os.path.join(BUILD, "tests")
HEAPSPY = os.environ.get("HEAPSPY_UNDER_TEST", os.path.join(BUILD, "bin", "heapspy"))
SOURCES = {"check_heap": "tests/cases/check_heap.c", "check_cxx": "tests/cases/check_cxx.cpp"}
TIMEOUT = 120


class Row:
    def __init__(self, rid, prog, mode, bug_marks, what):
        self.id, self.prog, self.mode, self.what = rid, prog, mode, what
        self.bug_marks = bug_marks          # `mark:` names of the bug's own lines

    def source(self):
        return os.path.join(TOP, SOURCES[self.prog])

    def bug_lines(self):
        lines = set()
        with open(self.source()) as f:
            for n, text in enumerate(f, 1):
                m = re.search(r"mark: ([\w-]+)( \*/)?$", text.rstrip())
                if m and m.group(1) in self.bug_marks:
                    lines.add(n)
        if len(lines) != len(self.bug_marks):
            sys.exit(f"truth.py: row {self.id}: marks {self.bug_marks} not all found in {self.source()}")
        return lines


ROWS = [
    Row("story 2", "check_heap", "use-after-free", ["obj-release", "obj-holder-release"],
        "refcounted object freed by its creator; a holder's release() decrements it"),
    Row("uaf-read", "check_heap", "uaf-read", ["uaf-read-bug"], "read 1 byte of a freed 48-byte block"),
    Row("uaf-write", "check_heap", "uaf-write", ["uaf-write-bug"], "write 1 byte into a freed 48-byte block"),
    Row("double-free", "check_heap", "double-free", ["double-second"], "free the same 32-byte block twice"),
    Row("free-never-allocated", "check_heap", "invalid-never", ["invalid-never"],
        "free a pointer into an mmap'd page malloc never returned"),
    Row("free-interior", "check_heap", "invalid-interior", ["interior-free"],
        "free a pointer 16 bytes into a 64-byte block"),
    Row("free-stack", "check_heap", "invalid-stack", ["invalid-stack"], "free a stack array"),
    Row("free-global", "check_heap", "invalid-global", ["invalid-global"], "free a global array"),
    Row("overflow-1", "check_heap", "overflow1", ["overflow1-bug"], "write 1 byte past a 24-byte block"),
    Row("overflow-10", "check_heap", "overflow-many", ["overflow-many-bug"],
        "memset 10 bytes past a 24-byte block"),
    Row("underflow-1", "check_heap", "underflow", ["underflow-bug"], "write 1 byte before a 24-byte block"),
    Row("underflow-10", "check_heap", "underflow-many", ["underflow-many-bug"],
        "memset the 10 bytes before a 24-byte block"),
    Row("malloc/delete", "check_cxx", "malloc-delete", ["malloc-delete-free"], "delete a malloc'd int"),
    Row("new/free", "check_cxx", "new-free", ["new-free-free"], "free a new'd int"),
    Row("new[]/delete", "check_cxx", "array-delete", ["array-delete-free"], "delete (not delete[]) a new[]'d array"),
    Row("new/delete[]", "check_cxx", "new-delete-array", ["new-delete-array-free"], "delete[] a new'd int"),
    Row("virtual-after-delete", "check_cxx", "virtual-after-delete", ["virtual-after-delete-call"],
        "call a virtual function of a deleted 8-byte object"),
]


class Finding:
    """What one tool said about one row, reduced to comparable facts."""

    def __init__(self, kind=None, stack=(), offset=None, size=None, more=0, status=0, note=None):
        self.kind = kind            # heapspy's errors[].kind words, None: nothing reported
        self.stack = stack          # detection stack as (file basename, line), innermost first
        self.offset, self.size = offset, size   # bad byte relative to the block
        self.more = more            # further reports in the same run
        self.status = status        # exit status (128+N: signal N)
        self.note = note            # the tool could not run this row, and why

    def where(self, row):
        src = os.path.basename(row.source())
        lines = [ln for f, ln in self.stack if f == src]
        if not lines:
            return "at exit"
        if lines[0] in row.bug_lines():
            return "at the bug"
        with open(row.source()) as f:
            text = f.read().splitlines()[lines[0] - 1]
        return "at a later free" if re.search(r"\bfree\(|\bdelete\b", text) else f"at line {lines[0]}"

    def cell(self, row):
        if self.note:
            return self.note
        if not self.kind:
            died = f"; the program died of signal {self.status - 128}" if self.status > 128 else ""
            return "not detected" + died
        c = f"{self.kind} {self.where(row)}"
        if self.offset is not None and self.size and self.kind in OFFSET_KINDS:
            c += f", offset {self.offset} of {self.size} bytes"
        if self.more:
            c += f" (+{self.more} more)"
        return c


OFFSET_KINDS = {"use_after_free", "heap_overflow", "heap_underflow", "invalid_free"}


def run(argv, env=None, stdin=subprocess.DEVNULL):
    t0 = time.monotonic()
    p = subprocess.run(argv, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=dict(os.environ, **(env or {})), timeout=TIMEOUT)
    status = p.returncode if p.returncode >= 0 else 128 - p.returncode
    return status, p.stderr.decode(errors="replace"), time.monotonic() - t0


# ---- the columns ---------------------------------------------------------

class Heapspy:
    """heapspy run --check or --guard: the JSON errors[] of the profile."""

    def __init__(self, option):
        self.option, self.title = option, f"heapspy {option}"

    def available(self):
        if not os.access(HEAPSPY, os.X_OK):
            return "n/a (not built)"
        with tempfile.TemporaryDirectory() as d:
            st, _, _ = run([HEAPSPY, "run", self.option, "-q", "-o", os.path.join(d, "p.hsp"), "--", "/bin/true"])
        return None if st == 0 else "n/a (not built)"

    def command(self, prog, args, d):
        return [HEAPSPY, "run", self.option, "-q", "-o", os.path.join(d, "p.hsp"), "--",
                os.path.join(TESTBIN, prog)] + args

    def run(self, row):
        with tempfile.TemporaryDirectory() as d:
            st, _, _ = run(self.command(row.prog, [row.mode], d))
            p = subprocess.run([HEAPSPY, "report", "--format", "json", os.path.join(d, "p.hsp")],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=TIMEOUT)
        if p.returncode:
            return Finding(status=st, note=f"no profile (exit {st})")
        errors = json.loads(p.stdout)["errors"]
        if not errors:
            return Finding(status=st)
        e = errors[0]
        frames = tuple((os.path.basename(f["file"] or ""), f["line"]) for f in e["access_stack"])
        offset = None if e["kind"] == "mismatched_free" else e["offset"]
        return Finding(e["kind"], frames, offset, e["size"], len(errors) - 1, st)


class Memcheck:
    """valgrind --tool=memcheck: its XML error stream."""
    title = "valgrind memcheck"

    def available(self):
        return None if subprocess.run(["sh", "-c", "command -v valgrind"], stdout=subprocess.DEVNULL).returncode == 0 \
            else "n/a (valgrind not installed)"

    def command(self, prog, args, d):
        return ["valgrind", "-q", "--xml=yes", f"--xml-file={d}/vg.xml", os.path.join(TESTBIN, prog)] + args

    @staticmethod
    def reduce(kind, aux):
        """memcheck's kind and first auxwhat in heapspy's words, offset, size."""
        m = re.search(r"is (\d+) bytes (after|before|inside) a block of size (\d+) (alloc'd|free'd)", aux or "")
        off = size = None
        if m:
            n, rel, size, state = int(m.group(1)), m.group(2), int(m.group(3)), m.group(4)
            off = size + n if rel == "after" else -n if rel == "before" else n
        if kind == "MismatchedFree":
            return "mismatched_free", off, size
        if kind == "InvalidFree":
            return ("double_free" if m and state == "free'd" else "invalid_free"), off, size
        if kind in ("InvalidRead", "InvalidWrite"):
            if not m:
                return "invalid_access", None, None
            return ({"after": "heap_overflow", "before": "heap_underflow"}.get(rel, "use_after_free")
                    if state == "alloc'd" or rel != "inside" else "use_after_free"), off, size
        return kind, off, size

    def run(self, row):
        with tempfile.TemporaryDirectory() as d:
            st, _, _ = run(self.command(row.prog, [row.mode], d))
            try:
                root = ET.parse(os.path.join(d, "vg.xml")).getroot()
            except (ET.ParseError, FileNotFoundError):
                return Finding(status=st, note=f"no XML from valgrind (exit {st})")
        errors = root.findall("error")
        if not errors:
            return Finding(status=st)
        e = errors[0]
        kind, off, size = self.reduce(e.findtext("kind"), e.findtext("auxwhat"))
        frames = tuple((f.findtext("file") or "", int(f.findtext("line") or 0))
                       for f in e.find("stack").findall("frame"))
        return Finding(kind, frames, off, size, len(errors) - 1, st)


class Asan:
    """AddressSanitizer: the programs rebuilt by clang -fsanitize=address."""
    title = "AddressSanitizer"
    ENV = {"ASAN_OPTIONS": "detect_leaks=0:allocator_frees_and_returns_null_on_realloc_zero=1"}
    KINDS = {"heap-use-after-free": "use_after_free", "attempting double-free": "double_free",
             "alloc-dealloc-mismatch": "mismatched_free", "attempting free": "invalid_free"}

    def available(self):
        return None if os.access(os.path.join(TESTBIN, "asan", "check_heap"), os.X_OK) \
            else "n/a (clang not installed)"

    def command(self, prog, args, d):
        return [os.path.join(TESTBIN, "asan", prog)] + args

    def run(self, row):
        st, err, _ = run(self.command(row.prog, [row.mode], None), env=self.ENV)
        head = re.search(r"ERROR: AddressSanitizer: (attempting [\w-]+|[\w-]+)", err)
        if not head:
            return Finding(status=st)
        loc = re.search(r"is located (\d+) bytes (to the right of|to the left of|inside of) (\d+)-byte region", err)
        off = size = None
        if loc:
            n, rel, size = int(loc.group(1)), loc.group(2), int(loc.group(3))
            off = size + n if "right" in rel else -n if "left" in rel else n
        kind = self.KINDS.get(head.group(1))
        if head.group(1) == "heap-buffer-overflow":
            kind = "heap_underflow" if off is not None and off < 0 else "heap_overflow"
        frames, started = [], False
        for line in err[head.end():].splitlines()[1:]:
            if not re.match(r"\s+#\d+ ", line):
                if started:
                    break                   # the first stack only
                continue
            started = True
            m = re.match(r"\s+#\d+ 0x[0-9a-f]+ in .*? (/\S+?):(\d+)", line)
            if m:
                frames.append((os.path.basename(m.group(1)), int(m.group(2))))
        return Finding(kind or head.group(1), tuple(frames), off, size, 0, st)


COLUMNS = [Heapspy("--check"), Heapspy("--guard"), Memcheck(), Asan()]


def cost(col):
    """Wall time of check_heap's clean mode (every allocator call, 100,000
    malloc/free pairs) under the column's tool, best of three."""
    with tempfile.TemporaryDirectory() as d:
        argv = col.command("check_heap", ["clean"], d)
        env = getattr(col, "ENV", None)
        return min(run(argv, env=env)[2] for _ in range(3))


# ---- output --------------------------------------------------------------

def results():
    cols = [(c, c.available()) for c in COLUMNS]
    table = {}
    for row in ROWS:
        for c, why in cols:
            table[row.id, c.title] = why or c.run(row).cell(row)
    return cols, table


def markdown(cols, table, costs):
    native = min(run([os.path.join(TESTBIN, "check_heap"), "clean"])[2] for _ in range(3))
    out = ["# Who catches what", "",
           "Generated by `make who-catches-what` (tests/truth/truth.py) from real runs of the",
           "bug programs in tests/cases/check_heap.c and check_cxx.cpp; never edit it by hand.",
           "`make test` (t2300-who-catches-what) fails when a tool's findings differ from it.", "",
           "Each cell: the kind reported (in heapspy's `errors[].kind` words), where it was",
           "caught (*at the bug*: the faulty line itself; *at a later free*; *at exit*: by the",
           "final check), and where the bad byte lies in its block; *(+N more)*: further reports",
           "in the same run. heapspy needs no rebuild; AddressSanitizer needs the program",
           "rebuilt with `clang -fsanitize=address` (here at -O0, so every frame keeps its line);",
           "memcheck runs the program on a synthetic CPU. \"not detected\" with a signal: the",
           "program died as it does natively (glibc's own check aborts it).", "",
           "| bug | what the program does | " + " | ".join(c.title for c, _ in cols) + " |",
           "| --- | --- | " + " | ".join("---" for _ in cols) + " |"]
    for row in ROWS:
        out.append(f"| {row.id} | {row.what} | " + " | ".join(table[row.id, c.title] for c, _ in cols) + " |")
    out += ["", "Cost: wall time of `check_heap clean` (every allocator call, 100,000 malloc/free",
            "pairs), best of three, start-up included, on whatever machine generated this",
            f"table (native: {native * 1000:.0f} ms). Real workloads: `make bench`.", "",
            "| " + " | ".join(c.title for c, _ in cols) + " |", "| " + " | ".join("---" for _ in cols) + " |",
            "| " + " | ".join(costs.get(c.title, why or "?") for c, why in cols) + " |", ""]
    return "\n".join(out)


def main():
    cols, table = results()
    if len(sys.argv) > 2 and sys.argv[1] == "--write":
        costs = {c.title: f"{cost(c) * 1000:.0f} ms" for c, why in cols if not why}
        with open(sys.argv[2], "w") as f:
            f.write(markdown(cols, table, costs))
    else:
        for row in ROWS:
            for c, _ in cols:
                print(f"{row.id}\t{c.title}\t{table[row.id, c.title]}")


if __name__ == "__main__":
    main()
