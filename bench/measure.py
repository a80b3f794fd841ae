#!/usr/bin/env python3
"""measure.py - wall time and peak memory of a whole process tree (heapspy bench).

Two sub-commands:

  measure.py run [--interval S] [--timeout S] [--mem-limit-mb MB] [--metric rss|pss]
                 [--stdout FILE] [--stderr FILE] [--tag K=V ...] -- CMD [ARGS...]
      Starts CMD, polls /proc every --interval seconds (default 0.02) and sums
      the memory of every live process descended from this sampler (the
      command, its children, and orphans: the sampler makes itself a
      "child subreaper" so daemonised/reparented helpers are still counted
      and waited for).  Prints one JSON object on stdout:
        {"status": "ok"|"exit"|"signal"|"timeout"|"memlimit"|"spawn"|"output",
         "wall_s", "cpu_s", "peak_kb", "peak_procs", "exit", "signal",
         "samples", "pid", ...tags}
      cpu_s is user+sys CPU time of the whole tree (steadier than wall time
      on a busy machine).
      Wall time runs from spawn until the last process of the tree is gone
      (so a tracer's post-processing after the program exits is included).
      The peak is max(largest sampled tree sum, largest VmHWM of any single
      process seen) so a short spike of one process between two polls is
      not lost.  --expect-file/--expect-stderr validate a tracer's output
      afterwards (status "output" + "why" when it is missing or corrupt).

  measure.py table RESULTS.jsonl [--out FILE]
      Reads the JSON lines written by bench/run.sh and prints the markdown
      tables (median wall time, median peak MB, ratios to native).

Memory metric: "rss" (default) sums VmRSS from /proc/PID/statm - cheap, but
pages shared between processes of the tree (libc text...) count once per
process; "pss" reads /proc/PID/smaps_rollup (proportional share, more
accurate for trees, costlier per poll on big processes).
"""

import argparse
import ctypes
import glob
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import time

PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
PR_SET_CHILD_SUBREAPER = 36
KILL_GRACE_S = 2.0
DEFAULT_LIMIT_CAP_KB = 8 << 20  # default memory cap: half of MemAvailable, at most 8 GiB


# --------------------------------------------------------------------------
# sampling
# --------------------------------------------------------------------------

def set_subreaper():
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # still works for ordinary trees, only orphans escape


def children_of(pid):
    """Direct children of every thread of pid (needs CONFIG_PROC_CHILDREN)."""
    out = []
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return out
    for tid in tids:
        try:
            with open("/proc/%d/task/%s/children" % (pid, tid), "rb") as f:
                out.extend(int(x) for x in f.read().split())
        except (OSError, ValueError):
            pass
    return out


def descendants(root):
    """All live descendants of root, walking only the tree (cheap)."""
    out, stack, seen = [], [root], {root}
    while stack:
        for c in children_of(stack.pop()):
            if c not in seen:
                seen.add(c)
                out.append(c)
                stack.append(c)
    return out


def proc_kb(pid, metric):
    """(current kB, high-water kB) of one process; (0, 0) if it vanished.

    VmHWM is the kernel's own peak RSS of the process (reset on exec), so
    a single process's spike between two polls is still seen.
    """
    cur = hwm = 0
    try:
        with open("/proc/%d/status" % pid, "rb") as f:
            for line in f:
                if line.startswith(b"VmHWM:"):
                    hwm = int(line.split()[1])
                elif line.startswith(b"VmRSS:"):
                    cur = int(line.split()[1])
                    break
        if metric == "pss":
            cur = 0
            with open("/proc/%d/smaps_rollup" % pid, "rb") as f:
                for line in f:
                    if line.startswith(b"Pss:"):
                        cur = int(line.split()[1])
                        break
    except (OSError, ValueError, IndexError):
        pass
    return cur, hwm


def mem_available_kb():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def kill_tree(pids, sig):
    for p in pids:
        try:
            os.kill(p, sig)
        except OSError:
            pass


def post_checks(a):
    """Validate a tracer's outputs after the run (not timed). None = fine."""
    for pattern in a.expect_file or []:
        files = [f for f in glob.glob(pattern) if os.path.isfile(f)]
        if not files or all(os.path.getsize(f) == 0 for f in files):
            return "no output file %s" % os.path.basename(pattern)
        for f in files:
            tester = None
            if f.endswith(".zst"):
                tester = ["zstd", "-q", "-t", f]
            elif f.endswith(".gz"):
                tester = ["gzip", "-t", f]
            if tester:
                try:
                    rc = subprocess.call(tester, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL)
                except OSError:
                    rc = 0  # no tester installed: cannot tell
                if rc != 0:
                    return "corrupt output %s" % os.path.basename(f)
    for needle in a.expect_stderr or []:
        try:
            with open(a.stderr, "rb") as f:
                data = f.read()
        except (OSError, TypeError):
            data = b""
        if needle.encode() not in data:
            return "stderr lacks '%s'" % needle
    return None


def cmd_run(a):
    cmd = a.cmd
    if cmd and cmd[0] == "--":
        cmd = cmd[1:]
    if not cmd:
        print("measure.py run: no command", file=sys.stderr)
        return 2
    limit_kb = int(a.mem_limit_mb * 1024) if a.mem_limit_mb else 0
    if limit_kb <= 0:
        limit_kb = min(mem_available_kb() // 2, DEFAULT_LIMIT_CAP_KB)

    set_subreaper()
    me = os.getpid()
    result = {"cmd": cmd}
    for t in a.tag or []:
        k, _, v = t.partition("=")
        result[k] = v

    out = open(a.stdout, "wb") if a.stdout else subprocess.DEVNULL
    err = open(a.stderr, "wb") if a.stderr else subprocess.DEVNULL
    t0 = time.monotonic()
    try:
        child = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                 close_fds=True)
    except OSError as e:
        result.update(status="spawn", error=str(e), wall_s=None, peak_kb=None)
        print(json.dumps(result))
        return 0
    root = child.pid

    peak_kb = peak_procs = samples = 0
    hwm_single = 0
    root_status = None
    reason = None
    t_kill = None
    t_end = None
    while True:
        # reap whatever finished (the root, its helpers, adopted orphans)
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                pid = -1
                break
            if pid == 0:
                break
            if pid == root:
                root_status = status
        if pid == -1:  # no children left at all
            t_end = time.monotonic()
            break

        tree = descendants(me)
        total = 0
        for p in tree:
            cur, hwm = proc_kb(p, a.metric)
            total += cur
            hwm_single = max(hwm_single, hwm)
        samples += 1
        if total > peak_kb:
            peak_kb = total
        peak_procs = max(peak_procs, len(tree))
        now = time.monotonic()
        if reason is None and limit_kb and total > limit_kb:
            reason = "memlimit"
        elif reason is None and a.timeout and now - t0 > a.timeout:
            reason = "timeout"
        if reason is not None:
            # SIGTERM first so wrappers run their cleanup (heaptrack's script
            # removes its /tmp fifo in an EXIT trap), SIGKILL after a grace
            # (to the root's descendants only while it has any: a wrapper
            # script killed together with its child would skip its traps)
            if t_kill is None:
                t_kill = now
            if now - t_kill < KILL_GRACE_S:
                kill_tree([p for p in tree if p != root] or [root], signal.SIGTERM)
            else:
                kill_tree(tree, signal.SIGKILL)
        time.sleep(a.interval)

    # (ru_maxrss is useless here: a forked child keeps the sampler's own
    # high-water mark across exec, so the per-process VmHWM is used instead)
    if a.metric == "rss":
        peak_kb = max(peak_kb, hwm_single)

    # CPU time (user+sys) of every process of the tree: all were reaped by
    # their parents or by this subreaper.  Taken before post_checks() runs
    # its own children.  Far less sensitive to a busy machine than wall time.
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_s = ru.ru_utime + ru.ru_stime
    why = None
    if reason is None:
        why = post_checks(a)
    code = sig = None
    if root_status is not None:
        if os.WIFEXITED(root_status):
            code = os.WEXITSTATUS(root_status)
        elif os.WIFSIGNALED(root_status):
            sig = os.WTERMSIG(root_status)
    status = reason or ("ok" if code == 0 else ("signal" if sig else "exit"))
    if status == "ok" and why:
        status = "output"
        result["why"] = why
    result.update(status=status, pid=root, wall_s=round(t_end - t0, 4),
                  cpu_s=round(cpu_s, 4), peak_kb=peak_kb,
                  peak_procs=peak_procs, exit=code, signal=sig, samples=samples,
                  metric=a.metric, mem_limit_kb=limit_kb)
    print(json.dumps(result))
    sys.stdout.flush()
    return 0


# --------------------------------------------------------------------------
# tables
# --------------------------------------------------------------------------

def load(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                try:
                    rows.append(json.loads(line))
                except ValueError:
                    pass
    return rows


def summarize(runs):
    """Median over successful runs, or a failure description."""
    if not runs:
        return None
    bad = [r for r in runs if r.get("status") != "ok"]
    if runs[0].get("status") == "skipped":
        why = runs[0].get("why", "skipped")
        return {"failed": why, "short": why}
    if bad:
        r = bad[0]
        why = r.get("why") or r.get("status")
        if r.get("status") == "exit":
            why = "exit %s" % r.get("exit")
        elif r.get("status") == "signal":
            why = "signal %s" % r.get("signal")
        elif r.get("status") == "memlimit":
            why = "killed above %d MB" % (r.get("mem_limit_kb", 0) // 1024)
        elif r.get("status") == "timeout":
            why = "timeout after %.0f s" % (r.get("wall_s") or 0)
        return {"failed": "failed (%s; %d/%d runs)" % (why, len(bad), len(runs)),
                "short": "failed"}
    return {"wall": statistics.median(r["wall_s"] for r in runs),
            "cpu": (statistics.median(r["cpu_s"] for r in runs)
                    if all(r.get("cpu_s") is not None for r in runs) else None),
            "mb": statistics.median(r["peak_kb"] for r in runs) / 1024.0,
            "trace_bytes": (statistics.median(r["trace_bytes"] for r in runs)
                            if all("trace_bytes" in r for r in runs) else None),
            "n": len(runs)}


def fmt_time(s, base=None, key="wall", digits=1):
    if s is None:
        return "-"
    if "failed" in s:
        return s["failed"] if key == "wall" else s["short"]
    if s.get(key) is None:
        return "-"
    txt = "%.2f" % s[key]
    if base and base.get(key):
        txt += " (%.*fx)" % (digits, s[key] / base[key])
    return txt


def fmt_mb(s, base=None):
    if s is None:
        return "-"
    if "failed" in s:
        return s["short"]
    txt = "%.0f" % s["mb"]
    if base and "mb" in base and base["mb"] > 0:
        txt += " (%.1fx)" % (s["mb"] / base["mb"])
    return txt


def ratio(a, b, key="wall", digits=2):
    if not a or not b or a.get(key) is None or not b.get(key):
        return "-"
    return "%.*f" % (digits, a[key] / b[key])


def overhead_ratio(hs, ht, nat, key="wall"):
    """The issue's target metric: heapspy's overhead (ratio to native - 1)
    divided by heaptrack's. At most 0.50 means half of heaptrack's cost."""
    if not hs or not ht or not nat or not nat.get(key) or hs.get(key) is None \
            or ht.get(key) is None:
        return "-"
    o_hs = hs[key] / nat[key] - 1
    o_ht = ht[key] / nat[key] - 1
    if o_ht <= 0:
        return "-"
    return "%.2f" % (o_hs / o_ht)


def md_table(columns, rows):
    """Markdown lines: the header, then one line per row of cells; the
    first column left-aligned, the others right."""
    return (["| " + " | ".join(columns) + " |", "|---|" + "---:|" * (len(columns) - 1)] +
            ["| " + " | ".join(r) + " |" for r in rows])


def section(out, caption, columns, rows):
    out += ["", caption, ""] + md_table(columns, rows)


def cmd_table(a):
    rows = load(a.results)
    order, by = [], {}
    for r in rows:
        w, m = r.get("workload"), r.get("mode")
        if w is None or m is None:
            continue
        if w not in by:
            order.append(w)
            by[w] = {}
        by[w].setdefault(m, []).append(r)

    def summaries(w, *modes):
        """The summary of each named mode of workload w, in order."""
        return [summarize(by[w].get(m)) for m in modes]

    def rows(long_label):
        """(label, native, heaptrack-or-heaptrack -r, heapspy) per table row."""
        for w in order:
            modes = by[w]
            nat = summarize(modes.get("native"))
            hs = summarize(modes.get("heapspy"))
            variants = [("heaptrack", w)]
            if "heaptrack-r" in modes:
                variants.append(("heaptrack-r", w + (" (heaptrack -r, record only)" if long_label
                                                     else " (heaptrack -r)")))
            for mode, label in variants:
                yield label, nat, summarize(modes.get(mode)), hs

    out = md_table(
        ["workload", "native s", "heaptrack s (ratio)", "heapspy s (ratio)", "heapspy/heaptrack",
         "overhead heapspy/heaptrack", "native MB", "heaptrack MB", "heapspy MB"],
        ((label, fmt_time(nat), fmt_time(ht, nat), fmt_time(hs, nat), ratio(hs, ht),
          overhead_ratio(hs, ht, nat), fmt_mb(nat), fmt_mb(ht, nat), fmt_mb(hs, nat))
         for label, nat, ht, hs in rows(True)))

    # CPU time: same comparison, much less disturbed by other tenants
    section(out, "CPU time (user+sys of all processes of the run, median; steadier than "
            "wall time on a busy machine):",
            ["workload", "native cpu s", "heaptrack cpu s (ratio)", "heapspy cpu s (ratio)",
             "heapspy/heaptrack", "overhead heapspy/heaptrack"],
            ((label, fmt_time(nat, key="cpu"), fmt_time(ht, nat, key="cpu"),
              fmt_time(hs, nat, key="cpu"), ratio(hs, ht, key="cpu"),
              overhead_ratio(hs, ht, nat, key="cpu")) for label, nat, ht, hs in rows(False)))

    # corruption checking (issue 3): --check's target is at most 2x native wall
    def check_rows():
        for w in order:
            nat, ck, gd = summaries(w, "native", "heapspy-check", "heapspy-guard")
            yield (w, fmt_time(nat), fmt_time(ck, nat), fmt_time(gd, nat),
                   fmt_time(nat, key="cpu"), fmt_time(ck, nat, key="cpu"),
                   fmt_time(gd, nat, key="cpu"), fmt_mb(nat), fmt_mb(ck, nat), fmt_mb(gd, nat))
    if any("heapspy-check" in by[w] or "heapspy-guard" in by[w] for w in order):
        section(out, "Corruption checking (`heapspy run --check` / `--guard`; target for --check: "
                "at most 2x native wall time):",
                ["workload", "native s", "--check s (ratio)", "--guard s (ratio)", "native cpu s",
                 "--check cpu s (ratio)", "--guard cpu s (ratio)", "native MB", "--check MB",
                 "--guard MB"], check_rows())

    # the peer of --check: ASan's runtime preloaded into the same stock binary
    def asan_rows():
        for w in order:
            nat, ck, az, af = summaries(w, "native", "heapspy-check", "asan", "asan-full")
            yield (w, fmt_time(nat), fmt_time(ck, nat), fmt_time(az, nat), fmt_time(af, nat),
                   ratio(ck, az), ratio(ck, af), fmt_mb(nat), fmt_mb(ck, nat), fmt_mb(az, nat),
                   fmt_mb(af, nat))
    if any("asan" in by[w] or "asan-full" in by[w] for w in order):
        section(out, "--check beside AddressSanitizer's runtime preloaded into the same stock "
                "binaries (no rebuild, so no instrumented loads and stores; asan: its "
                "frame-pointer stacks, 1-2 frames deep on Debian's binaries; asan-full: "
                "fast_unwind_on_malloc=0, full stacks like heapspy's):",
                ["workload", "native s", "--check s (ratio)", "asan s (ratio)", "asan-full s (ratio)",
                 "--check/asan", "--check/asan-full", "native MB", "--check MB", "asan MB",
                 "asan-full MB"], asan_rows())

    # production mode (issue 16): --sample 512K, target at most 1.03x native,
    # beside jemalloc's sampled profiler at the same mean and plain jemalloc
    def sample_rows():
        for w in order:
            nat, fl, sp, gs, je, jp = summaries(w, "native", "floor", "heapspy-sample",
                                                "heapspy-gsample", "jemalloc", "jemalloc-prof")
            yield (w, fmt_time(nat), fmt_time(sp, nat, digits=2), fmt_time(nat, key="cpu"),
                   fmt_time(fl, nat, key="cpu", digits=3),
                   fmt_time(sp, nat, key="cpu", digits=3), ratio(sp, fl, key="cpu", digits=3),
                   fmt_time(gs, nat, key="cpu", digits=2),
                   ratio(gs, sp, key="cpu", digits=3), fmt_time(je, nat, key="cpu", digits=2),
                   fmt_time(jp, nat, key="cpu", digits=2), ratio(jp, je, key="cpu"),
                   fmt_mb(nat), fmt_mb(sp, nat), fmt_mb(jp, nat))
    if any("heapspy-sample" in by[w] for w in order):
        section(out, "Production mode (`heapspy run --sample 512K -q`: the profile, no report at "
                "exit; target: at most 1.03x native) "
                "beside jemalloc's own sampled profiler at the same mean (LD_PRELOAD, "
                "prof:true,lg_prof_sample:19) and plain jemalloc (its allocator's own speed; "
                "jemalloc-prof/jemalloc = the profiler's cost); +gs: --sample 512K "
                "--guard-sample (1 in 10000 in a guard slot; target: at most 1% on top); "
                "floor: a null interposer (bench/floor.c), what any LD_PRELOAD tool pays "
                "before it does any work:",
                ["workload", "native s", "--sample s (ratio)", "native cpu s",
                 "floor cpu s (ratio)", "--sample cpu s (ratio)", "--sample/floor cpu",
                 "+gs cpu s (ratio)", "+gs/--sample cpu",
                 "jemalloc cpu s (ratio)", "jemalloc-prof cpu s (ratio)",
                 "jemalloc-prof/jemalloc cpu", "native MB", "--sample MB", "jemalloc-prof MB"],
                sample_rows())

    # full traces: heapspy --trace against heaptrack (both record every event)
    def trace_rows():
        for w in order:
            modes = by[w]
            nat = summarize(modes.get("native"))
            ht = summarize(modes.get("heaptrack"))
            tr = summarize(modes.get("heapspy-trace"))
            hb = ht.get("trace_bytes") if ht else None
            tb = tr.get("trace_bytes") if tr else None
            yield (w, fmt_time(ht, nat), fmt_time(tr, nat), overhead_ratio(tr, ht, nat),
                   fmt_time(ht, nat, key="cpu"), fmt_time(tr, nat, key="cpu"),
                   overhead_ratio(tr, ht, nat, key="cpu"),
                   "%.2f MB" % (hb / 1e6) if hb else "-", "%.2f MB" % (tb / 1e6) if tb else "-",
                   "%.2f" % (tb / hb) if hb and tb else "-")
    if any("heapspy-trace" in by[w] for w in order):
        section(out, "Full traces (heapspy --trace vs heaptrack; both record every event; "
                "overhead = (ratio to native - 1), target: heapspy's at most heaptrack's):",
                ["workload", "heaptrack s", "--trace s", "overhead --trace/heaptrack",
                 "heaptrack cpu s", "--trace cpu s", "cpu overhead --trace/heaptrack",
                 "heaptrack file", "--trace file", "size --trace/heaptrack"], trace_rows())

    # thread scaling: same per-thread work, so 2t/1t should stay ~1.0
    if "stress1" in by and "stress2" in by:
        n1 = summarize(by["stress1"].get("native"))
        n2 = summarize(by["stress2"].get("native"))

        def scaling_rows():
            for mode in ("native", "heaptrack", "heapspy"):
                s1 = summarize(by["stress1"].get(mode))
                s2 = summarize(by["stress2"].get(mode))
                native = mode == "native"
                yield (mode, fmt_time(s1), fmt_time(s2), ratio(s2, s1),
                       "1.00" if native else ratio(s1, n1), "1.00" if native else ratio(s2, n2))
        section(out, "Thread scaling (bench/stress: same work per thread; "
                "2 threads on 2 cores ideally take as long as 1):",
                ["mode", "1 thread s", "2 threads s", "2t/1t", "overhead vs native 1t",
                 "overhead vs native 2t"], scaling_rows())
        h1 = summarize(by["stress1"].get("heapspy"))
        h2 = summarize(by["stress2"].get("heapspy"))
        if h1 and h2 and "wall" in h1 and "wall" in h2 and n1 and n2 \
                and "wall" in n1 and "wall" in n2:
            out.append("")
            o1 = h1["wall"] / n1["wall"] - 1
            o2 = h2["wall"] / n2["wall"] - 1
            out.append("heapspy overhead vs native (ratio - 1): %.2f with 1 thread, %.2f with "
                       "2 threads; 2-thread overhead / 1-thread overhead = %.2f (target: at most "
                       "1.30; above that, heapspy would be serialising threads)." % (
                           o1, o2, o2 / o1 if o1 > 0 else float("nan")))

    text = "\n".join(out) + "\n"
    sys.stdout.write(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text)
    return 0


def main():
    ap = argparse.ArgumentParser(description="process-tree wall time / peak memory sampler")
    sub = ap.add_subparsers(dest="sub", required=True)
    r = sub.add_parser("run", help="run a command and measure it")
    r.add_argument("--interval", type=float, default=0.02)
    r.add_argument("--timeout", type=float, default=0, help="seconds, 0 = none")
    r.add_argument("--mem-limit-mb", type=float, default=0,
                   help="kill the tree above this sum (default: half of MemAvailable, "
                        "at most 8 GiB)")
    r.add_argument("--metric", choices=("rss", "pss"), default="rss")
    r.add_argument("--stdout")
    r.add_argument("--stderr")
    r.add_argument("--tag", action="append", help="K=V copied into the JSON result")
    r.add_argument("--expect-file", action="append", metavar="GLOB",
                   help="after the run, a non-empty file must match (.zst/.gz are "
                        "integrity-tested); else status 'output'")
    r.add_argument("--expect-stderr", action="append", metavar="TEXT",
                   help="after the run, --stderr FILE must contain TEXT")
    r.add_argument("cmd", nargs=argparse.REMAINDER)
    t = sub.add_parser("table", help="render markdown tables from results")
    t.add_argument("results")
    t.add_argument("--out")
    a = ap.parse_args()
    return cmd_run(a) if a.sub == "run" else cmd_table(a)


if __name__ == "__main__":
    sys.exit(main())
