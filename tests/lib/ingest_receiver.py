#!/usr/bin/env python3
# tests/lib/ingest_receiver.py PORT PORTFILE OUTDIR NAME: a stand-in for
# Pyroscope's HTTP ingest API (POST /ingest), for the --push tests. It
# checks each request as Pyroscope would need it: method POST, path
# ending in /ingest, query name == NAME, from and until Unix seconds with
# from <= until, format=pprof, and a body; a good one is answered 200 and
# its body saved as OUTDIR/N.pb.gz with its query in OUTDIR/N.query, a bad
# one 400 with the reason in OUTDIR/N.bad. PORT 0: any free port; the
# port bound is written to PORTFILE.
import os, sys
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import urlsplit, parse_qs

port, portfile, outdir, name = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
os.makedirs(outdir, exist_ok=True)
count = [0]

class Ingest(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_GET(self):
        self.send_error(405)

    def do_POST(self):
        count[0] += 1
        n = count[0]
        u = urlsplit(self.path)
        q = parse_qs(u.query)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        why = None
        one = lambda k: q.get(k, [None])[0]
        if not u.path.endswith("/ingest"):
            why = "path %s" % u.path
        elif one("name") != name:
            why = "name %r, expected %r" % (one("name"), name)
        elif not (one("from") or "").isdigit() or not (one("until") or "").isdigit():
            why = "from/until %r %r" % (one("from"), one("until"))
        elif int(one("from")) > int(one("until")):
            why = "from %s after until %s" % (one("from"), one("until"))
        elif one("format") != "pprof":
            why = "format %r" % one("format")
        elif not body:
            why = "empty body"
        if why:
            open(os.path.join(outdir, "%d.bad" % n), "w").write(why + "\n")
            self.send_response(400)
        else:
            open(os.path.join(outdir, "%d.pb.gz" % n), "wb").write(body)
            open(os.path.join(outdir, "%d.query" % n), "w").write(u.path + "?" + u.query + "\n")
            self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

srv = HTTPServer(("127.0.0.1", port), Ingest)
with open(portfile + ".tmp", "w") as f:
    f.write("%d\n" % srv.server_address[1])
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
