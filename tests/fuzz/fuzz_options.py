#!/usr/bin/python3
"""tests/fuzz/fuzz_options.py: hostile option strings (issue 19, "hostile
inputs"), generated from a seed so a failing case is reproduced by it.

usage: fuzz_options.py cli HEAPSPY FIRST_SEED COUNT
       fuzz_options.py spy LIBHEAPSPY SPY_OPTIONS_H FIRST_SEED COUNT

cli: `heapspy run ARGS -- /bin/echo ok` and `heapspy valgrind ARGS
/bin/echo ok`, ARGS one to four options named in `heapspy run --help`
(so every option in the table is reached, valgrind's included), each
given a hostile value: empty, negative, 2^64, suffixes past any size,
unterminated %q{, a 20 KB string, bad UTF-8, newlines, unwritable paths.
spy: the program run directly with the spy preloaded and HEAPSPY_OPTIONS
made of the keys of src/spy/spy_options.h with such values, joined by
':' (escaped or not): the environment a user, a script or a child
inherits, with no CLI to check it first.

For each seed one line is printed:
  seed S: status R, out=OK|CHANGED, E stderr lines, first=FIRST_LINE; ARGS
where OK means the program's own output ("ok") came through unchanged.
Runs are in the current directory (files they create stay there), with
HOME set to it, a 20 s timeout and a 2 GiB address-space limit.
"""
import os
import random
import re
import resource
import subprocess
import sys

HOSTILE = ["", "0", "-1", "1", "yes", "no", "full", "all", "none", "18446744073709551616",
           "99999999999999999999G", "9T", "1.5.5M", "0x10", "1e9", " 4096", "4096 ",
           "%", "%p%p%p%n", "%q{", "%q{HOME", "%q{HOME}", "%q{}", "out.%p", "/dev/null",
           "/dev/full", "/nonexistent/dir/file", ".", "x" * 20000, "\xff\xfe", "a\nb",
           "definite,bogus", "definite,,possible", "heap>", "heap>1M,rss>", "growth>-5/s",
           "SIGUSR1", "99", "0777", "7777", "overflow", "underflow", "memcheck", "helgrind",
           "-o", "--", "=", ":", "\\:", "\\"]


def pick_value(rng):
    v = rng.choice(HOSTILE)
    if rng.random() < 0.2:
        v += rng.choice(HOSTILE)
    return v


def run(argv, env=None):
    def limit():
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    try:
        r = subprocess.run(argv, capture_output=True, timeout=20, preexec_fn=limit, env=env,
                           stdin=subprocess.DEVNULL)
        return r.returncode, r.stdout, r.stderr
    except subprocess.TimeoutExpired:
        return "timeout", b"", b""


def report(seed, status, out, err, args):
    lines = err.decode(errors="replace").splitlines()
    first = lines[0][:160] if lines else ""
    shown = " ".join(repr(a)[:60] for a in args)
    print("seed %d: status %s, out=%s, %d stderr lines, first=%s; %s" % (
        seed, status, "OK" if out == b"ok\n" else "CHANGED", len(lines), first, shown), flush=True)


def cli(heapspy, first, count):
    help_text = subprocess.run([heapspy, "run", "--help"], capture_output=True, text=True).stdout
    names = sorted(set(re.findall(r"^ +(?:-\w, )?(--[a-z][a-z-]*)", help_text, re.M)) - {"--help"})
    for seed in range(first, first + count):
        rng = random.Random(seed)
        args = []
        for _ in range(rng.randint(1, 4)):
            name, val = rng.choice(names), pick_value(rng)
            form = rng.randrange(3)
            if form == 1 and val == "yes":   # a separate "yes" is a program: yes(1), endless
                form = 0
            args += [name + "=" + val] if form == 0 else [name, val] if form == 1 else [name]
        cmd = [heapspy, "valgrind"] + args + ["/bin/echo", "ok"] if seed % 2 else \
              [heapspy, "run"] + args + ["--", "/bin/echo", "ok"]
        status, out, err = run(cmd)
        report(seed, status, out, err, cmd[1:-2])


def spy(lib, header, first, count):
    keys = [k for k in re.findall(r'"([a-z_]+)"', open(header).read())]
    env = dict(os.environ, HOME=os.getcwd(), LD_PRELOAD=lib)
    for seed in range(first, first + count):
        rng = random.Random(seed)
        parts = []
        for _ in range(rng.randint(1, 6)):
            key = rng.choice(keys + ["bogus", ""])
            val = pick_value(rng)
            if rng.random() < 0.5:
                val = val.replace(":", "\\:")
            parts.append(key + ("=" + val if rng.random() < 0.9 else ""))
        opts = ":".join(parts)
        env["HEAPSPY_OPTIONS"] = opts.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        status, out, err = run(["/bin/echo", "ok"], env)
        report(seed, status, out, err, [env["HEAPSPY_OPTIONS"]])


def main():
    if sys.argv[1] == "cli":
        cli(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        spy(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))


if __name__ == "__main__":
    main()
