#!/usr/bin/python3
"""tests/oracle/heaptrack-summary.py FILE.zst [OWN_MODULE]: heaptrack_print's
totals as JSON, and heaptrack's own share of them.

heaptrack's preload library links libstdc++, whose start-up allocates its
exception emergency pool (one call, ~72 KB, freed at exit: a temporary) in
every traced program. For a program that does not itself link OWN_MODULE
(default libstdc++.so.6), the sites whose innermost frame lies in
OWN_MODULE are heaptrack's own, and "own" sums them, so that
total - own is what the program itself did.

Prints {"calls", "temporary", "peak", "own": {"calls", "temporary",
"peak"}}; sizes in bytes as heaptrack rounds them (K = 1000, 2 decimals).
"""
import json
import re
import subprocess
import sys

UNITS = {"": 1, "B": 1, "K": 1e3, "M": 1e6, "G": 1e9}


def size(text):
    m = re.fullmatch(r"([\d.]+)([KMG]?B?)", text)
    return float(m.group(1)) * UNITS[m.group(2).rstrip("B") or ""] if m else 0.0


def main():
    path = sys.argv[1]
    own_mod = sys.argv[2] if len(sys.argv) > 2 else "libstdc++.so.6"
    out = subprocess.run(["heaptrack_print", "-a", "1", "-p", "1", "-T", "1", "-n", "100000",
                          "-s", "0", path], capture_output=True, text=True, check=True).stdout
    lines = out.splitlines()
    res = {"own": {"calls": 0, "temporary": 0, "peak": 0.0}}
    for i, line in enumerate(lines):
        m = re.match(r"calls to allocation functions: (\d+)", line)
        if m:
            res["calls"] = int(m.group(1))
        m = re.match(r"temporary memory allocations: (\d+)", line)
        if m:
            res["temporary"] = int(m.group(1))
        m = re.match(r"peak heap memory consumption: (\S+)", line)
        if m:
            res["peak"] = size(m.group(1))
        # a top-level site: the title line, its location, "  in MODULE"
        if i + 2 >= len(lines) or not lines[i + 2].startswith("  in ") \
                or not lines[i + 2].rstrip().endswith("/" + own_mod):
            continue
        m = re.fullmatch(r"(\d+) calls to allocation functions with \S+ peak consumption from", line)
        if m:
            res["own"]["calls"] += int(m.group(1))
        m = re.fullmatch(r"(\S+) peak memory consumed over \d+ calls from", line)
        if m:
            res["own"]["peak"] += size(m.group(1))
        m = re.fullmatch(r"(\d+) temporary allocations of \d+ allocations in total .* from", line)
        if m:
            res["own"]["temporary"] += int(m.group(1))
    print(json.dumps(res))


main()
