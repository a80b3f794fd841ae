# tests/oracle/workload.py: the CPython workload of the "exact accounting"
# oracle test (t2110-valgrind-python3.sh), run as
#   PYTHONMALLOC=malloc PYTHONHASHSEED=0 /usr/bin/python3 -s workload.py
# once under valgrind and once under heapspy; the heap totals must match.
# PYTHONMALLOC=malloc sends every object allocation straight to malloc (no
# pymalloc arenas), so the churn below is thousands of malloc/realloc/free
# calls. Deterministic on purpose: fixed hash seed (set by the caller), no
# time, no random, no os.urandom, no threads, no files, no environment reads
# beyond what the interpreter does at startup; the output is a fixed
# checksum.

import json
import re


def words(n):
    syll = ["ka", "lo", "mi", "ne", "su", "ter", "qua", "zo", "rin", "bel"]
    out = []
    x = 12345
    for _ in range(n):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF  # fixed LCG
        w = "".join(syll[(x >> s) % len(syll)] for s in (3, 7, 11, 15)[: 2 + x % 3])
        out.append(w)
    return out


def dict_churn(ws):
    counts = {}
    for w in ws:
        counts[w] = counts.get(w, 0) + 1
    index = {}
    for i, w in enumerate(ws):
        index.setdefault(w[:3], []).append(i)
    for k in list(index)[::2]:
        del index[k]
    nested = {w: {"len": len(w), "up": w.upper(), "pos": index.get(w[:3], [])[:3]}
              for w in sorted(counts)[:300]}
    return len(counts) + len(index) + sum(v["len"] for v in nested.values())


def list_churn(n):
    rows = [[i, i * i, str(i), (i, -i)] for i in range(n)]
    rows.sort(key=lambda r: (r[2], -r[0]))
    flat = [x for r in rows[: n // 2] for x in r[:2]]
    while len(flat) > 10:
        flat = flat[: len(flat) // 2] + [sum(flat[len(flat) // 2:])]
    s = set(range(0, n, 3)) ^ set(range(0, n, 5))
    return len(rows) + sum(flat) % 1000003 + len(s)


def str_churn(ws):
    text = " ".join(ws)
    parts = text.split("ka")
    joined = "|".join(p.strip().title() for p in parts)
    acc = []
    for i in range(0, len(joined), 37):
        acc.append(joined[i:i + 50].replace("|", "/").center(60, "."))
    blob = "\n".join(acc)
    b = blob.encode("utf-8")
    u = b.decode("utf-8") + "\u00e9\u4e2d" * 20
    f = "".join(f"{i:05d}:{w[::-1]};" for i, w in enumerate(ws[:500]))
    return len(blob) + len(b) + len(u.encode("utf-8")) + len(f)


def json_churn(ws):
    doc = {
        "title": "heapspy oracle",
        "items": [{"id": i, "word": w, "tags": [w[:2], w[-2:]], "score": i * 0.5}
                  for i, w in enumerate(ws[:500])],
        "meta": {"nested": [[j, str(j)] for j in range(200)], "ok": True, "none": None},
    }
    total = 0
    for indent in (None, 1):
        # check_circular=False: the circularity check keys a dict by id(obj),
        # and an int made from an address has an address-dependent size.
        s = json.dumps(doc, indent=indent, sort_keys=True, check_circular=False)
        back = json.loads(s)
        total += len(s) + len(back["items"])
    return total


def re_churn(ws):
    text = " ".join(ws)
    pats = [r"\b(ka|lo)\w+", r"(\w)(\w)\2", r"[aeiou]{2,}", r"\b\w{6,8}\b", r"(?P<a>ter|qua)(?P<b>\w*)"]
    total = 0
    for p in pats:
        rx = re.compile(p)
        total += len(rx.findall(text))
        total += len(rx.sub(lambda m: m.group(0).upper(), text[:10000]))
        total += sum(1 for _ in rx.finditer(text[:5000]))
    total += len(re.split(r"\s+(?=k)", text))
    return total


def main():
    ws = words(3000)
    total = dict_churn(ws)
    total += list_churn(2000)
    total += str_churn(ws)
    total += json_churn(ws)
    total += re_churn(ws)
    print("workload.py checksum", total)


main()
