#!/usr/bin/env python3
# vgxml.py FILE [--summary|--check|--supp]: reads valgrind's XML output
# (protocol 4) the way its consumers do (Jenkins' valgrind plugin, Qt
# Creator: xml.etree over valgrindoutput/error/stack/frame), for t1029.
#   --summary  one line per error: kind, what or xwhat text (addresses
#              masked), leakedbytes/leakedblocks, and the first frame with
#              a source file (fn file:line) of each stack; then the
#              errorcounts' counts
#   --check    what a consumer relies on, or the first thing missing:
#              protocolversion 4, protocoltool memcheck, pid/ppid numbers,
#              args/argv/exe, status RUNNING then FINISHED, every error
#              with a hex unique, a tid, a known kind, a text and frames
#              with a hex ip
#   --supp     the rawtext of every <suppression>, as a suppressions file
import re
import sys
import xml.etree.ElementTree as ET

KINDS = {"InvalidFree", "MismatchedFree", "InvalidRead", "InvalidWrite", "InvalidJump", "Overlap",
         "InvalidMemPool", "UninitCondition", "UninitValue", "SyscallParam", "ClientCheck",
         "Leak_DefinitelyLost", "Leak_IndirectlyLost", "Leak_PossiblyLost", "Leak_StillReachable"}

root = ET.parse(sys.argv[1]).getroot()
mode = sys.argv[2] if len(sys.argv) > 2 else "--summary"
mask = lambda s: re.sub(r"0x[0-9A-Fa-f]+", "0x?", s or "")


def first_sourced(stack):
    for f in stack.findall("frame"):
        if f.find("file") is not None:
            return "%s %s:%s" % (f.findtext("fn"), f.findtext("file"), f.findtext("line"))
    return "-"


if mode == "--summary":
    for e in root.findall("error"):
        text = e.findtext("what") or e.findtext("xwhat/text")
        parts = [e.findtext("kind"), mask(text)]
        if e.find("xwhat/leakedbytes") is not None:
            parts.append("%s/%s" % (e.findtext("xwhat/leakedbytes"), e.findtext("xwhat/leakedblocks")))
        parts += [mask(a.text) for a in e.findall("auxwhat")]
        parts += [first_sourced(s) for s in e.findall("stack")]
        print(" | ".join(parts))
    print("errorcounts: " + " ".join(p.findtext("count") for p in root.findall("errorcounts/pair")))
elif mode == "--check":
    problems = []
    need = lambda cond, what: cond or problems.append(what)
    need(root.tag == "valgrindoutput", "root valgrindoutput")
    need(root.findtext("protocolversion") == "4", "protocolversion 4")
    need(root.findtext("protocoltool") == "memcheck", "protocoltool memcheck")
    need((root.findtext("pid") or "").isdigit() and (root.findtext("ppid") or "").isdigit(), "pid/ppid")
    need(root.findtext("tool") == "memcheck", "tool")
    need(root.findtext("args/argv/exe"), "args/argv/exe")
    need([s.findtext("state") for s in root.findall("status")] == ["RUNNING", "FINISHED"], "status")
    need(root.find("errorcounts") is not None, "errorcounts")
    for e in root.findall("error"):
        need(re.fullmatch(r"0x[0-9a-f]+", e.findtext("unique") or ""), "error/unique")
        need((e.findtext("tid") or "").isdigit(), "error/tid")
        need(e.findtext("kind") in KINDS, "error/kind %s" % e.findtext("kind"))
        need(e.findtext("what") or e.findtext("xwhat/text"), "error/what")
        need(e.findall("stack"), "error/stack")
        for f in e.findall("stack/frame"):
            need(re.fullmatch(r"0x[0-9A-F]+", f.findtext("ip") or ""), "frame/ip")
    print("ok" if not problems else "missing: " + ", ".join(map(str, problems)))
elif mode == "--supp":
    for s in root.findall("error/suppression"):
        print(s.findtext("rawtext").strip())
