#!/usr/bin/env bash
# t1225-report-sarif: `heapspy report --format sarif` (issue 18, 3): a
# SARIF 2.1.0 log for code scanning.
#
# Three runs: check_heap's "three" under --check (a double free, an
# overflow by one, an interior free), story 1's marshal-demo (one lost
# site) and lock_misuse's unlock of a mutex another thread holds. Each
# log is validated by python3-jsonschema against the SARIF 2.1.0 JSON
# schema (the copy @microsoft/jest-sarif ships, installed from npm into
# build/ at test time), plus the one rule its errata added: a region has
# a startLine. Then what the logs say, checked against the programs'
# `mark:` source lines and the JSON report: one result per error and lost
# site, ruleId = the JSON kind, the rule's index and level, the location
# at the user's line with the path relative to SRCROOT (--srcroot, or an
# absolute file: URI outside it), the code flow's allocation, free and
# access lines in time order, and fingerprints that differ within a run
# and stay equal in a second run whose addresses differ.
source "$(dirname "$0")/../lib/tap.sh"
source "$TOP/tests/lib/npm-peer.sh"
plan 24

PY=/usr/bin/python3      # Debian's python3-jsonschema, whatever python is first on PATH
mark() { grep -nE "mark: $2( \*/)?$" "$TOP/tests/cases/$1" | cut -d: -f1; }
S=check_heap.c
DEMO="$HEAPSPY_BUILD/examples/marshal-demo"
MALLOC_LINE=$(grep -n 'malloc(sizeof \*w' "$TOP/examples/marshal-leak/marshal.c" | cut -d: -f1)

"$HEAPSPY" run --check -q -o three.hsp -- "$TESTBIN/check_heap" three >three1.out 2>&1
"$HEAPSPY" run --check -q -o again.hsp -- "$TESTBIN/check_heap" three >three2.out 2>&1
"$HEAPSPY" run -q -o demo.hsp -- "$DEMO" 1000 >/dev/null 2>&1
timeout 25 "$HEAPSPY" run --locks -q -o unlock.hsp -- "$TESTBIN/lock_misuse" unlock >/dev/null 2>&1
"$HEAPSPY" report --format sarif --srcroot "$TOP" three.hsp >three.sarif 2>three.err
is "$?" 0 "sarif: exit status 0"
"$HEAPSPY" report --format sarif --srcroot "$TOP" -o again.sarif again.hsp
"$HEAPSPY" report --format sarif demo.hsp >demo.sarif        # SRCROOT: the current folder
"$HEAPSPY" report --format sarif --srcroot "$TOP" unlock.hsp >unlock.sarif
"$HEAPSPY" report --format json three.hsp >three.json
"$HEAPSPY" report --format json demo.hsp >demo.json
"$HEAPSPY" report --format json unlock.hsp >unlock.json
# what the JSON report lists: errors[] and lost leak sites
results() { json "$1.json" 'len(j["errors"]) + sum(1 for l in j["leaks"] if l["kind"] in ("definitely_lost", "indirectly_lost", "possibly_lost"))'; }

# ---- the schema -------------------------------------------------------------
NM=$(npm_peer @microsoft/jest-sarif@1.0.0-beta.0)
SCHEMA="$NM/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json"
if [ -f "$SCHEMA" ] && $PY -c 'import jsonschema' 2>/dev/null; then
  for f in three demo unlock; do
    want=$(results $f)
    is "$($PY - "$SCHEMA" $f.sarif <<'EOF'
import json, sys, jsonschema
schema, log = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
errs = ["%s at %s" % (e.message[:160], "/".join(map(str, e.absolute_path)))
        for e in jsonschema.Draft4Validator(schema).iter_errors(log)]
def regions(x):   # the errata's anyOf: startLine, charOffset or byteOffset
    if isinstance(x, dict):
        if "region" in x and not x["region"].get("startLine", 0) >= 1: errs.append("region without startLine")
        for v in x.values(): regions(v)
    elif isinstance(x, list):
        for v in x: regions(v)
regions(log)
print("; ".join(errs[:3]) or "valid", len(log["runs"][0]["results"]))
EOF
)" "valid $want" \
      "$f: valid SARIF 2.1.0 (JSON schema), every region with a startLine; one result per error and lost site"
  done
else
  for f in three demo unlock; do
    skip "$f: valid SARIF 2.1.0" "$([ -f "$SCHEMA" ] && echo "python3-jsonschema not installed" || npm_peer_why @microsoft/jest-sarif@1.0.0-beta.0)"
  done
fi

# ---- what the logs say ------------------------------------------------------
# facts FILE: one line per result: ruleId level rule-ok uri line | flow lines | fingerprint
cat >facts.py <<'EOF'
import json, sys
run = json.load(open(sys.argv[1]))["runs"][0]
rules = run["tool"]["driver"]["rules"]
what = sys.argv[2]
for r in run["results"]:
    pl = r["locations"][0].get("physicalLocation", {})
    al = pl.get("artifactLocation", {})
    ok = rules[r["ruleIndex"]]["id"] == r["ruleId"] and rules[r["ruleIndex"]]["defaultConfiguration"]["level"] == r["level"]
    flow = r["codeFlows"][0]["threadFlows"][0]["locations"]
    if what == "loc":
        print(r["ruleId"], r["level"], ok, al.get("uriBaseId"), al.get("uri"), pl.get("region", {}).get("startLine"))
    elif what == "flow":
        print(r["ruleId"], " ".join("%s:%s" % (f["location"]["message"]["text"].split()[0],
              f["location"]["physicalLocation"]["region"]["startLine"]) for f in flow))
    elif what == "fp":
        print(r["partialFingerprints"]["heapspyStack/v1"])
    elif what == "addr":
        print(r["properties"]["address"])
if what == "root": print(run["originalUriBaseIds"]["SRCROOT"]["uri"])
EOF
facts() { python3 facts.py "$1" "$2"; }
is "$(facts three.sarif loc | paste -sd'|')" \
   "double_free error True SRCROOT tests/cases/check_heap.c $(mark $S double-second)|heap_overflow error True SRCROOT tests/cases/check_heap.c $(mark $S overflow1-free)|invalid_free error True SRCROOT tests/cases/check_heap.c $(mark $S interior-free)" \
   "three errors: one result each, ruleId and level of its rule, at the detecting line"
is "$(facts three.sarif loc | cut -d' ' -f1 | paste -sd' ')" "$(json three.json '" ".join(e["kind"] for e in j["errors"])')" \
   "the results are the JSON report's errors[], in order"
is "$(facts three.sarif flow | paste -sd'|')" \
   "double_free allocated:$(mark $S double-alloc) freed:$(mark $S double-first) detected:$(mark $S double-second)|heap_overflow allocated:$(mark $S overflow1-alloc) detected:$(mark $S overflow1-free)|invalid_free allocated:$(mark $S interior-alloc) detected:$(mark $S interior-free)" \
   "code flows: allocation, free, detection, at their lines, in time order"
is "$(facts three.sarif root)" "file://$TOP/" "originalUriBaseIds: SRCROOT is --srcroot as a file: URI"
check "SRCROOT + uri is the real source file" test -f "$TOP/$(facts three.sarif loc | sed -n 1p | cut -d' ' -f5)"
is "$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["runs"][0]["results"][0]; fr = r["codeFlows"][0]["threadFlows"][0]["locations"][0]["stack"]["frames"]; print([f["module"] for f in fr][:2], sorted({"physicalLocation" in f["location"] for f in fr if f["module"].startswith("libc.so")}))' three.sarif)" \
   "['check_heap', 'check_heap'] [False]" "each flow step carries its whole stack; libc's frames have no file of the user's"

is "$(facts three.sarif fp | sort -u | wc -l)" 3 "fingerprints: three different results, three fingerprints"
is "$(facts again.sarif fp)" "$(facts three.sarif fp)" "fingerprints: the same in a second run"
check "the second run's blocks lie elsewhere (so the fingerprints ignore addresses)" \
  test "$(facts again.sarif addr)" != "$(facts three.sarif addr)"

LOST=$(json demo.json 'j["leaks"][0]["bytes"]')
is "$(facts demo.sarif loc)" "definitely_lost warning True SRCROOT examples/marshal-leak/marshal.c $MALLOC_LINE" \
   "story 1: the lost site, a warning, at marshal.c's malloc line (relative to the current folder)"
is "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["runs"][0]["results"][0]["message"]["text"])' demo.sarif)" \
   "$(python3 -c 'print(format(int('"$LOST"'), ","))') bytes in 1,000 blocks are definitely lost (malloc), allocated in marshal_to_wire" \
   "story 1: the message says bytes, blocks, kind, family and function, as the JSON report counts them"
is "$(results demo)" 1 "story 1: one lost site in the JSON report"

is "$(facts unlock.sarif loc | sed -n 1p)" \
   "lock_unlock_not_held error True SRCROOT tests/cases/lock_misuse.c $(grep -n 'mark: unlock-not-held \*/' "$TOP/tests/cases/lock_misuse.c" | cut -d: -f1)" \
   "a lock error: its rule, at the unlocking line"

# a program compiled from an absolute path: relative under SRCROOT (the
# current folder), an absolute file: URI outside it (--srcroot elsewhere)
mkdir -p src && printf '#include <stdlib.h>\nvoid *keep;\nint main(void) {\n  keep = malloc(10);\n  keep = 0;\n  return 0;\n}\n' >src/lost.c
gcc -g -O0 -o lost "$PWD/src/lost.c"
"$HEAPSPY" run -q -o lost.hsp -- ./lost >/dev/null 2>&1
"$HEAPSPY" report --format sarif lost.hsp >in.sarif
"$HEAPSPY" report --format sarif --srcroot "$TOP" lost.hsp >out.sarif
is "$(facts in.sarif loc)" "definitely_lost warning True SRCROOT src/lost.c 4" \
   "an absolute source path under SRCROOT: relative to it"
is "$(facts out.sarif loc)" "definitely_lost warning True None file://$PWD/src/lost.c 4" \
   "an absolute source path outside SRCROOT: an absolute file: URI"
gcc -O0 -o nodebug "$PWD/src/lost.c"
"$HEAPSPY" run -q -o nodebug.hsp -- ./nodebug >/dev/null 2>&1
"$HEAPSPY" report --format sarif nodebug.hsp >nodebug.sarif
is "$(facts nodebug.sarif loc)" "definitely_lost warning True SRCROOT nodebug None" \
   "no line information: located in the binary, without a region"
"$HEAPSPY" report --format sarif --peak three.hsp >/dev/null 2>peak.err
is "$?" 125 "--format sarif with --peak: a usage error"
"$HEAPSPY" report --format sarif --srcroot "$TMP/none" three.hsp >/dev/null 2>root.err
is "$?:$(cat root.err)" "125:heapspy: report: --srcroot $TMP/none: not a folder" "--srcroot must be a folder"

# a suppressed error stays a result, suppressed for code scanning
printf '{\n   sarif-double\n   Memcheck:Free\n   fun:free\n   fun:double_free\n}\n' >double.supp
"$HEAPSPY" report --format sarif --suppressions double.supp three.hsp >supp.sarif
is "$(python3 -c 'import json,sys; print([(r["ruleId"], r.get("suppressions")) for r in json.load(open(sys.argv[1]))["runs"][0]["results"]])' supp.sarif)" \
   "[('double_free', [{'kind': 'external', 'justification': 'heapspy suppression \"sarif-double\"'}]), ('heap_overflow', None), ('invalid_free', None)]" \
   "--suppressions: the double free is a result with an external suppression, the others are not"
is "$(facts supp.sarif fp)" "$(facts three.sarif fp)" "a suppression leaves the fingerprints alone"
done_testing
