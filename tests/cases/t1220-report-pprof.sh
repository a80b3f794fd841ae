#!/usr/bin/env bash
# t1220-report-pprof: `heapspy report --format pprof` (SPEC "Files and
# formats", issue 5 "Formats") on story 1's demo (marshal-demo, 1000
# iterations: 1000 blocks, 35890 bytes lost at marshal_to_wire).
#
# The file is gzipped profile.proto. Decoded here field by field (a small
# protobuf reader below, so the check needs nothing but python): string
# table with "" first; sample types alloc_objects/count, alloc_space/bytes,
# inuse_objects/count, inuse_space/bytes; in-use sums equal the report's
# in-use totals and alloc sums its allocation totals; the demo's mapping
# carries its path and build-id; the culprit's location has the line of
# marshal.c's malloc. Then `go tool pprof -top` (Debian's golang-go) must
# read it and name marshal_to_wire with 35890 B in use; SKIP without go.
source "$(dirname "$0")/../lib/tap.sh"
plan 14

DEMO="$HEAPSPY_BUILD/examples/marshal-demo"
EXDIR=examples/marshal-leak
MALLOC_LINE=$(grep -n 'malloc(sizeof \*w' "$TOP/$EXDIR/marshal.c" | cut -d: -f1)
LOST_BYTES=$(python3 -c 'print(sum(4 + len("record #%d: temperature %d.%d C" % (i, 20 + i % 7, i % 10)) + 1 for i in range(1000)))')

check "the demo is built (make examples)" test -x "$DEMO"
"$HEAPSPY" run -q -o demo.hsp -- "$DEMO" 1000 >/dev/null 2>&1
"$HEAPSPY" report --format json demo.hsp >demo.json
"$HEAPSPY" report --format pprof -o demo.pb.gz demo.hsp 2>pprof.err
is "$?" 0 "pprof: exit status 0"
is "$(head -c2 demo.pb.gz | od -An -tx1 | tr -d ' ')" "1f8b" "the file is gzip"

# decode: prints one fact per line, "key value..."
cat >decode.py <<'EOF'
import gzip, sys
def fields(b):
    i = 0
    while i < len(b):
        key = 0; s = 0
        while True:
            c = b[i]; i += 1; key |= (c & 0x7f) << s; s += 7
            if c < 0x80: break
        f, w = key >> 3, key & 7
        if w == 0:
            v = 0; s = 0
            while True:
                c = b[i]; i += 1; v |= (c & 0x7f) << s; s += 7
                if c < 0x80: break
            yield f, v
        elif w == 2:
            n = 0; s = 0
            while True:
                c = b[i]; i += 1; n |= (c & 0x7f) << s; s += 7
                if c < 0x80: break
            yield f, b[i:i + n]; i += n
        else:
            raise SystemExit("unexpected wire type %d" % w)
def unpack(b):
    out, v, s = [], 0, 0
    for c in b:
        v |= (c & 0x7f) << s; s += 7
        if c < 0x80: out.append(v); v = 0; s = 0
    return out
p = list(fields(gzip.decompress(open(sys.argv[1], "rb").read())))
strs = [v.decode() for f, v in p if f == 6]
print("first_string", repr(strs[0]))
types = []
for f, v in p:
    if f == 1:
        d = dict(fields(v)); types.append("%s/%s" % (strs[d.get(1, 0)], strs[d.get(2, 0)]))
print("types", " ".join(types))
sums = [0, 0, 0, 0]; nsamples = 0
for f, v in p:
    if f == 2:
        nsamples += 1
        for k, x in enumerate(unpack(dict(fields(v))[2])): sums[k] += x
print("sums", *sums)
funcs = {}
for f, v in p:
    if f == 5:
        d = dict(fields(v)); funcs[d[1]] = (strs[d.get(2, 0)], strs[d.get(4, 0)])
maps = {}
for f, v in p:
    if f == 3:
        d = dict(fields(v)); maps[d[1]] = (strs[d.get(5, 0)], strs[d.get(6, 0)], d.get(2, 0), d.get(3, 0))
        print("mapping", strs[d.get(5, 0)], strs[d.get(6, 0)], d.get(2, 0) < d.get(3, 0))
ids_ok = True
for f, v in p:
    if f == 4:
        d = list(fields(v)); lo = dict(d)
        lines = [dict(fields(x)) for k, x in d if k == 4]
        if lo.get(2) and not (maps[lo[2]][2] <= lo.get(3, 0) < maps[lo[2]][3]): ids_ok = False
        for l in lines:
            if l.get(1) not in funcs: ids_ok = False
            name, file = funcs.get(l.get(1), ("?", "?"))
            if name == "marshal_to_wire": print("culprit_line", file, l.get(2, 0))
print("ids_ok", ids_ok)
EOF
python3 decode.py demo.pb.gz >facts.txt 2>decode.err
is "$?" 0 "the protobuf decodes"
is "$(sed -n 's/^first_string //p' facts.txt)" "''" "string table: \"\" first"
is "$(sed -n 's/^types //p' facts.txt)" "alloc_objects/count alloc_space/bytes inuse_objects/count inuse_space/bytes" \
   "sample types: alloc_objects/count alloc_space/bytes inuse_objects/count inuse_space/bytes"
is "$(sed -n 's/^sums //p' facts.txt)" \
   "$(json demo.json '"%d %d %d %d" % (j["totals"]["allocs"], j["totals"]["bytes_allocated"], j["totals"]["in_use_blocks"], j["totals"]["in_use_bytes"])')" \
   "sample sums: allocs, bytes allocated, in-use blocks and bytes as the report's totals"
BUILD_ID=$(readelf -n "$DEMO" 2>/dev/null | sed -n 's/^ *Build ID: *//p' | head -1)
is "$(grep -c "^mapping $DEMO $BUILD_ID True$" facts.txt)" 1 \
   "a mapping names the demo with its build-id ($BUILD_ID) and an extent"
is "$(sed -n 's/^culprit_line //p' facts.txt | sort -u)" "$EXDIR/marshal.c $MALLOC_LINE" \
   "marshal_to_wire's line: $EXDIR/marshal.c:$MALLOC_LINE"
is "$(sed -n 's/^ids_ok //p' facts.txt)" True "every line names a function; every address lies in its mapping"

if command -v go >/dev/null 2>&1; then
  export HOME="$TMP" GOCACHE="$TMP/gocache" PPROF_TMPDIR="$TMP"
  go tool pprof -top -unit=B demo.pb.gz >top.txt 2>top.err
  is "$?" 0 "go tool pprof -top reads the file"
  like "$(cat top.txt)" "^Type: inuse_space$" "go tool pprof: default sample type inuse_space"
  like "$(cat top.txt)" "Total samples = ${LOST_BYTES}B" "go tool pprof: ${LOST_BYTES} B in use in all"
  like "$(grep -E '^ +[0-9]' top.txt | head -1)" "^ +${LOST_BYTES}B +100% .*marshal_to_wire$" \
    "go tool pprof: marshal_to_wire holds all of it (first row)"
else
  for d in "go tool pprof -top reads the file" "go tool pprof: default sample type" \
           "go tool pprof: total in use" "go tool pprof: marshal_to_wire first"; do
    skip "$d" "go not installed (Debian golang-go)"
  done
fi

done_testing
