#!/usr/bin/env python3
"""churn.py - Python allocation-churn workload of the heapspy bench.

Run with PYTHONMALLOC=malloc so every object allocation goes through libc
malloc/free (and so through the tracer under test) instead of pymalloc's
arenas.  Deterministic (fixed seed), no I/O besides one summary line.

Each round: build a dict of records with string keys and list values,
serialise it to JSON and parse it back, run a few regexes over generated
text, sort/group/slice lists, format strings, then drop most of it while
keeping a small rolling cache alive (so the heap both churns and keeps a
live set, like a real service).

usage: churn.py [ROUNDS]     (default 40, ~2-4 s natively on a 2020s x86)
"""

import json
import random
import re
import sys

WORDS = ("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo "
         "lima mike november oscar papa quebec romeo sierra tango uniform "
         "victor whiskey xray yankee zulu").split()

RE_KV = re.compile(r"(\w+)=(\d+)")
RE_WORD = re.compile(r"\b([a-z]{4,6})\b")
RE_EMAIL = re.compile(r"[\w.]+@[\w]+\.(?:com|org|net)")


def make_text(rng, n):
    parts = []
    for i in range(n):
        w = rng.choice(WORDS)
        k = rng.randrange(6)
        if k == 0:
            parts.append("%s=%d" % (w, rng.randrange(100000)))
        elif k == 1:
            parts.append("%s.%d@%s.%s" % (w, i, rng.choice(WORDS), rng.choice(("com", "org", "net"))))
        else:
            parts.append(w)
    return " ".join(parts)


def one_round(rng, rnd, cache):
    # dict of records
    records = {}
    for i in range(3000):
        key = "%s-%d-%d" % (rng.choice(WORDS), rnd, i)
        records[key] = {
            "id": i,
            "tags": [rng.choice(WORDS) for _ in range(rng.randrange(1, 8))],
            "score": rng.random() * 100,
            "name": rng.choice(WORDS).upper() + str(i),
        }

    # JSON round trip
    blob = json.dumps(records)
    back = json.loads(blob)
    assert len(back) == len(records)

    # regexes over generated text
    text = make_text(rng, 4000)
    kv = dict(RE_KV.findall(text))
    words = RE_WORD.findall(text)
    mails = RE_EMAIL.findall(text)
    text2 = RE_WORD.sub(lambda m: m.group(1)[::-1], text)

    # grouping, sorting, slicing
    groups = {}
    for k, v in back.items():
        for t in v["tags"]:
            groups.setdefault(t, []).append((v["score"], k))
    top = []
    for t, lst in groups.items():
        lst.sort(reverse=True)
        top.extend(k for _, k in lst[:5])
    top.sort(key=lambda s: (len(s), s))

    # string building
    lines = ["%-12s|%8.3f|%s" % (k[:12], back[k]["score"], ",".join(back[k]["tags"])) for k in top]
    report = "\n".join(lines)

    # keep a small rolling live set
    cache.append((report[:2000], sorted(kv)[:50], words[:100], mails[:20], len(text2)))
    if len(cache) > 8:
        cache.pop(0)
    return len(blob) + len(report) + len(words) + len(mails) + len(kv)


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    rng = random.Random(12345)
    cache = []
    total = 0
    for rnd in range(rounds):
        total += one_round(rng, rnd, cache)
    print("churn: %d rounds, checksum %d" % (rounds, total))


if __name__ == "__main__":
    main()
