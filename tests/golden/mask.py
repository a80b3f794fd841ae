#!/usr/bin/python3
"""tests/golden/mask.py KIND FILE [TOP [BUILD]]: print a report with what changes from run
to run masked, so that two runs of the same program compare equal and any
other change of output shows. KIND is text or json.

Masked: addresses and program counters (ASLR), pids, times and durations,
the kernel's RSS and virtual sizes, the timeline's rows and verdicts (they
follow the clock), glibc's figures (RSS EXPLAINED, the points' glibc keys), the sample block's bytes (which block of a site is the
sample is not fixed) and the source tree's path. Never masked: counts,
sizes, leak kinds, stacks (function, file, line, module), sections and
their wording. TOP (the source tree) reads $TOP, and BUILD (the build
directory under test, e.g. make check-debug's build-debug) $TOP/build, so
every build compares with the same expected files. Must never drop a line
that is not about time or place."""
import json
import re
import sys

kind, path = sys.argv[1], sys.argv[2]
tmp = sys.argv[3] if len(sys.argv) > 3 else None
build = sys.argv[4] if len(sys.argv) > 4 else None


def places(s):
    """The build directory, then the source tree, by name."""
    if build:
        s = s.replace(build, "$TOP/build")
    return s.replace(tmp, "$TOP") if tmp else s

TIME_KEYS = {"duration_ms", "first_alloc_ms", "t_ms", "at_ms", "time_ms", "peak_ms",
             "elapsed_ms", "ms", "rss_bytes", "vsize_bytes", "rss", "virtual", "pid", "tid",
             "profile_bytes", "start_ms", "end_ms", "cpu_ms"}
ADDR = re.compile(r"0x[0-9a-f]{5,}")


def mask_json(v, key=None):
    if key == "sample" and isinstance(v, dict):
        return {k: "<masked>" for k in v}
    if isinstance(v, dict):
        return {k: ("<masked>" if k in ("timeline", "threads_at_exit", "timeline_verdict",
                                        "retention_verdict", "rss_explained", "glibc",
                                        "free_held_bytes") else mask_json(x, k))
                for k, x in v.items()}
    if isinstance(v, list):
        return [mask_json(x, key) for x in v]
    if key in TIME_KEYS or (key or "").endswith(("_ms", "_us")):
        return "<n>" if v is not None else None
    if key == "offset" and isinstance(v, int) and v > 4096:
        return v
    if isinstance(v, str):
        v = ADDR.sub("0xADDR", v)
        return places(v)
    return v


def mask_text(lines):
    out, in_timeline, in_rss = [], False, False
    for line in lines:
        line = places(line)
        if line.startswith("RSS EXPLAINED"):
            in_rss = True
        elif not line.strip():
            in_rss = False
        if in_rss:                             # the spy's view of glibc and the kernel
            line = re.sub(r" *\b\d[\d,.]*( ?[KMG]?B)?\b", " N", line)
        if line.startswith("TIMELINE"):
            in_timeline = True
            out.append(line)
            continue
        if in_timeline:
            if re.match(r"\s+[\d.]+ s\s", line) or re.match(r"  (heap (grew|shrank|rose)|retention, not|leak, not) ", line):
                continue                       # rows and verdict follow the clock
            if not line.strip():
                in_timeline = False
        if re.match(r"\s+sample block ", line):
            out.append("  sample block <masked>")
            continue
        if re.match(r"\s+[0-9a-f]{4}  ([0-9a-f]{2} )", line):
            continue                           # its hex dump
        line = ADDR.sub("0xADDR", line)
        line = re.sub(r"\(pid \d+\)", "(pid PID)", line)
        line = re.sub(r"\bpid \d+", "pid PID", line)
        line = re.sub(r"\b(tid|thread) \d+", r"\1 TID", line)
        line = re.sub(r"\d[\d,]*(\.\d+)? ?(s|ms)\b", "T", line)
        line = re.sub(r"\d[\d,.]* ?[KMG]?B/s", "RATE", line)
        if in_timeline or re.search(r"\bRSS\b|virtual", line):
            line = re.sub(r"\d[\d,.]* ?[KMG]?B\b", "SIZE", line)
        out.append(line)
    return out


text = open(path, encoding="utf-8", errors="replace").read()
if kind == "json":
    print(json.dumps(mask_json(json.loads(text)), indent=1, sort_keys=False))
else:
    sys.stdout.write("\n".join(mask_text(text.split("\n"))))
