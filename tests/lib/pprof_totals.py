#!/usr/bin/env python3
# tests/lib/pprof_totals.py FILE...: each pprof read by `go tool pprof
# -raw` (the peer that decides whether the file is a valid profile), one
# line per file: "FILE TYPE=TOTAL ..." for every sample type, the totals
# over all samples. Exits 1 (after a line on stderr) if pprof refuses one.
import subprocess, sys

for path in sys.argv[1:]:
    r = subprocess.run(["go", "tool", "pprof", "-raw", path], capture_output=True, text=True)
    if r.returncode != 0 or "Samples:" not in r.stdout:
        sys.stderr.write("go tool pprof -raw %s: %s\n" % (path, r.stderr.strip()[:300]))
        sys.exit(1)
    lines = r.stdout.split("Samples:\n", 1)[1].splitlines()
    types = [t.replace("[dflt]", "").split("/")[0] for t in lines[0].split()]
    totals = [0] * len(types)
    for line in lines[1:]:
        if ":" not in line or not line.startswith(" "):
            break
        vals = line.split(":", 1)[0].split()
        for i, v in enumerate(vals):
            totals[i] += int(v)
    print(path, " ".join("%s=%d" % (t, v) for t, v in zip(types, totals)))
